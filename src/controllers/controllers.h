/* The controller manager: the in-process equivalent of kube-controller-manager. It shares one informer per
 * resource among the controllers (ReplicaSet, Deployment, garbage collector, Endpoints and EndpointSlice,
 * ServiceAccount) and runs each controller as a work queue with a few worker threads. Everything goes
 * through a Client, so the same code could run against a remote server. */
#pragma once

#include <stdbool.h>

#include "base/error.h"
#include "client/client.h"

typedef struct CtrlManager CtrlManager;

typedef struct CtrlManagerOptions {
  unsigned workers;          /* worker threads per controller; 0 = 2 */
  unsigned sync_timeout_sec; /* how long start waits for the informers' first lists; 0 = 60 */
  const char *apiserver_ip;  /* when set, default/kubernetes's Endpoints and EndpointSlice point here... */
  int apiserver_port;        /* ...on this port (the API server's HTTPS port) */
  uint64_t hpa_sync_period_usec;      /* HPA sync period; 0 = 15 s */
  uint64_t hpa_downscale_window_usec; /* HPA scale-down stabilization when no behavior is given; 0 = 5 min */
  const char *cluster_cidr; /* pod network; each Node gets a /24 of it as spec.podCIDR (NULL = none) */
  uint64_t node_grace_usec; /* --node-monitor-grace-period: silence before a node is Unknown; 0 = 40 s */
} CtrlManagerOptions;

/* Starts the informers, waits for their first lists, then starts the workers. c must outlive the manager.
 * opts may be NULL. Fails with the informers' errors (-ETIMEDOUT if they do not sync). */
int ctrl_manager_start(Client *c, const CtrlManagerOptions *opts, CtrlManager **ret, Error *err);
/* Stops the informers and the workers (in-flight requests finish first) and frees. NULL is fine. */
void ctrl_manager_stop(CtrlManager *m);
