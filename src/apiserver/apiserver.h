/* The Kubernetes API server of coracle: HTTPS front (libmicrohttpd + GnuTLS), authentication, discovery,
 * OpenAPI, the REST handlers for every served resource, and the object registry on top of the store and
 * its watch cache. `coracle server` creates one ApiServer, runs it until a signal, then frees it. */
#pragma once

#include "apiserver/pki.h"
#include "base/error.h"
#include "client/httpc.h"
#include "store/store.h"

typedef struct ApiServerOptions {
  const char *data_dir;     /* /var/lib/coracle */
  const char *bind_address; /* 0.0.0.0 */
  int https_port;           /* 6443 */
  const char *node_name;
  const char *node_ip;          /* comma-separated */
  const char *cluster_cidr;     /* 10.42.0.0/16 */
  const char *service_cidr;     /* 10.43.0.0/16 */
  const char *cluster_dns;      /* 10.43.0.10 */
  const char *cluster_domain;   /* cluster.local */
  const char *write_kubeconfig; /* /etc/coracle/coracle.yaml */
  StoreSync store_sync;
  int64_t compaction_interval_sec; /* 300 */
  size_t watch_cache_events;       /* ring size */
  int metrics_resolution_ms;       /* metrics scrape period; 0 = 15 s (metrics-server's) */
  int64_t event_ttl_sec;           /* --event-ttl: Events not written for this long are deleted; 0 = 1 h */
} ApiServerOptions;

typedef struct ApiServer ApiServer;

/* The defaults of `coracle server`: data in /var/lib/coracle, 0.0.0.0:6443, cluster CIDR 10.42.0.0/16,
 * Service CIDR 10.43.0.0/16, DNS 10.43.0.10, cluster.local, kubeconfig /etc/coracle/coracle.yaml, full
 * store sync, compaction every 300 s, 8,192 watch cache events; node_name NULL (the caller's). */
ApiServerOptions apiserver_default_options(void);

/* Opens the store, loads the watch cache, makes or loads certificates, creates the built-in namespaces and
 * the kubernetes Service, starts listening and writes the kubeconfig. */
int apiserver_start(const ApiServerOptions *opts, ApiServer **ret, Error *err);
/* Stops listening, ends watches, closes the store. NULL is fine. */
void apiserver_stop(ApiServer *s);

/* The in-process transport (local.c), a ClientTransportFn with ctx = the ApiServer: client_set_transport
 * on a Client of the same process sends its requests straight to the handlers, as system:admin, in the
 * calling thread. Everything using that Client must be stopped before apiserver_stop. */
int apiserver_local_transport(void *ctx, const char *path_and_query, const HttpcRequest *req,
                              HttpcResponse *resp, Error *err);
