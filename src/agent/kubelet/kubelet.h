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
} KubeletOptions;

/* Starts the agent on c (which must outlive it): registers the Node and starts the threads. */
int kubelet_start(Client *c, const KubeletOptions *opts, Kubelet **ret, Error *err);
/* Stops the threads; the containers keep running. NULL is fine. */
void kubelet_stop(Kubelet *k);
