/* The node agent (kubelet): registers this machine as a Node, heartbeats its Lease, and runs the pods bound
 * to it as runc containers through src/agent/runtime, reporting their status through the API server's
 * pods/status. It talks to the API only through a Client, so the same code runs in-process in
 * `coracle server` and, later, in a separate `coracle agent`.
 * Threads: one informer thread (pods of this node), KUBELET_WORKERS pod workers fed by a work queue, one
 * node thread (lease every 10 s, status every minute). Containers outlive the agent: a restarted agent
 * re-adopts them from DATA_DIR/agent/pods. */
#pragma once

#include "base/error.h"
#include "client/client.h"

typedef struct Kubelet Kubelet;

typedef struct KubeletOptions {
  const char *node_name;
  const char *node_ip; /* "IP[,IP]"; NULL = the default-route interface's address (else 127.0.0.1) */
  const char *data_dir;
  const char *pod_log_dir;     /* CRI logs root; NULL = /var/log/pods */
  const char *runc;            /* NULL = "runc" from PATH */
  const char *registries_path; /* NULL = /etc/coracle/registries.yaml */
  const char *cluster_dns;     /* nameserver written to pods' resolv.conf; NULL = 10.43.0.10 */
  const char *cluster_domain;  /* NULL = cluster.local */
  const char
      *dns_bind_address;    /* the cluster DNS server's address (src/agent/dns); NULL = the first node IP */
  int dns_port;             /* its port: 0 = 53, < 0 = no DNS server on this node */
  const char *cluster_cidr; /* the pod network of the cluster; NULL = 10.42.0.0/16 */
  const char *storage_path; /* local-path volumes (--default-local-storage-path); NULL = DATA_DIR/storage */

  /* The runtime (src/agent/runtime): pids.max of each pod cgroup, <= 0 = unlimited (--pod-max-pids -1);
   * CRI log rotation (logrotate.h): bytes, 0 = 10Mi, and files kept per container log, 0 = 5. */
  int64_t pod_max_pids;
  int64_t container_log_max_size;
  int container_log_max_files;

  /* Image garbage collection (imagegc.c): the kubelet's imageGCHigh/LowThresholdPercent (high 0 = the
   * defaults 85 and 80 with a minimum age of 2 min; high 100 = never), imageMinimumGCAge, and the period
   * of the pass (0 = 5 min). */
  int image_gc_high_percent, image_gc_low_percent;
  int64_t image_minimum_gc_age_sec;
  int64_t image_gc_period_sec;
} KubeletOptions;

/* Starts the agent on c (which must outlive it): registers the Node and starts the threads. */
int kubelet_start(Client *c, const KubeletOptions *opts, Kubelet **ret, Error *err);
/* The node's and its pods' usage as the kubelet's /stats/summary document (stats.c): node and per pod and
 * container cpu.usageCoreNanoSeconds and memory.workingSetBytes with their times. New object; thread-safe. */
json_t *kubelet_stats_summary(Kubelet *k);
/* Whether this agent serves /stats/summary on its HTTPS port (statsserver.c). */
bool kubelet_stats_endpoint_running(Kubelet *k);

/* A client of agents' /stats/summary endpoints, authenticated with the admin certificate of the server's
 * DATA_DIR/server/tls and trusting its CA. Thread-safe. */
typedef struct KubeletStatsClient KubeletStatsClient;
int kubelet_stats_client_new(const char *data_dir, KubeletStatsClient **ret, Error *err);
void kubelet_stats_client_free(KubeletStatsClient *c);
/* GET https://address:port/stats/summary (2 s to connect, 10 s in all). New reference, NULL with err set. */
json_t *kubelet_stats_fetch(KubeletStatsClient *c, const char *address, int port, Error *err);
/* Stops the threads; the containers keep running. NULL is fine. */
void kubelet_stop(Kubelet *k);

/* The node's address when --node-ip is not given (caller frees): the first IPv4 address of the interface
 * of the default route, else the first non-loopback IPv4 address, else "127.0.0.1". kubelet_node_ip_pick
 * is the decision on a /proc/net/route text (may be NULL) and a getifaddrs list (pure; unit-tested). */
char *kubelet_detect_node_ip(void);
struct ifaddrs;
char *kubelet_node_ip_pick(const char *route_table, const struct ifaddrs *ifs);
