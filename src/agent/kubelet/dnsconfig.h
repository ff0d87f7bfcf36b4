/* A pod's resolv.conf from its dnsPolicy and dnsConfig, as the kubelet composes it: ClusterFirst (the cluster
 * DNS Service, the search path <ns>.svc.<domain> svc.<domain> <domain> followed by the host's, ndots:5),
 * Default (the host's resolv.conf), None (only dnsConfig), ClusterFirst on the host network behaving like
 * Default unless the policy is ClusterFirstWithHostNet; then dnsConfig's nameservers, searches and options
 * merged in, and the limits applied (3 nameservers, 32 search domains of at most 253 characters, 2048
 * characters in all). */
#pragma once

#include <jansson.h>

/* The resolv.conf text for pod (new string). cluster_dns: the cluster DNS addresses, comma-separated (NULL or
 * "" when there is none: ClusterFirst then falls back to the host's settings, with a warning). host_resolv:
 * the host's resolv.conf text (NULL when unreadable). *ret_warning (may be NULL) gets a message for an event
 * when something had to be dropped or fallen back from, else NULL; the caller frees it. */
char *kubelet_dns_resolv_conf(json_t *pod, const char *cluster_dns, const char *cluster_domain,
                              const char *host_resolv, char **ret_warning);

/* The node's cluster DNS server (src/agent/dns) on KubeletOptions.dns_bind_address (else the first node IP)
 * and dns_port (0 = 53; negative = none), with the agent's client. A failure to listen is logged as an error;
 * the agent runs on without it. */
typedef struct Kubelet Kubelet;
void kubelet_dns_start(Kubelet *k);
void kubelet_dns_stop(Kubelet *k);

/* The resolv.conf the host's resolvers are described by: /etc/resolv.conf, or systemd-resolved's list of real
 * upstream servers when /etc/resolv.conf names only a loopback stub (which a pod cannot reach), as k3s does.
 */
const char *kubelet_host_resolv_conf_path(void);
