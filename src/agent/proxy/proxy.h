/* The service proxy of the node agent (kube-proxy's nftables mode): informers on Services, EndpointSlices
 * and this node's pods feed one sync thread that keeps the nftables table `ip coracle` of the agent's
 * network namespace in step with them. Changes are coalesced for a few milliseconds, turned into an
 * incremental nft transaction by the pure generator (rules.h) and run in-process with libnftables — no
 * process per change. At start the table is replaced atomically once the informers have synced, so a
 * restarted agent converges without a window where Services stop answering; at stop the table is left in
 * place, so Services keep working while the agent is away (`--cleanup-on-exit` removes it afterwards, with
 * the rest of the pod network). UDP conntrack entries that lead to a removed endpoint are deleted after each
 * transaction (conntrack.h).
 * Threads: three informer threads and the sync thread. */
#pragma once

#include <stdint.h>

#include "base/error.h"
#include "client/client.h"

typedef struct Proxy Proxy;

typedef struct ProxyOptions {
  const char *node_name; /* required: endpoints on this node are local */
  const char
      *cluster_cidr;      /* pod network, for masquerading decisions; NULL = masquerade all Service traffic */
  uint64_t debounce_usec; /* how long changes are coalesced; 0 = 10 ms */
  const char *data_dir;   /* where the original route_localnet is recorded (podnet_sysctl_set); NULL = not */
} ProxyOptions;

/* Starts the proxy on c (which must outlive it). Fails when libnftables cannot be initialised; the first
 * table is written by the sync thread once the informers have synced (errors there are logged and
 * retried). */
int proxy_start(Client *c, const ProxyOptions *opts, Proxy **ret, Error *err);
/* Stops the threads and frees; the table stays. NULL is fine. */
void proxy_stop(Proxy *p);

typedef struct ProxyStats {
  uint64_t syncs;         /* transactions run successfully */
  uint64_t full_syncs;    /* of which full table replacements */
  uint64_t failures;      /* failed transactions */
  uint64_t last_usec;     /* duration of the last sync (model + diff + nft) */
  uint64_t last_lag_usec; /* from the first coalesced change to the end of its sync */
  size_t endpoints;       /* endpoint chains in the table */
} ProxyStats;

void proxy_get_stats(Proxy *p, ProxyStats *ret);

/* Runs an nft script in the current network namespace in-process (for the proxy and its tests). Returns 0
 * or -EINVAL with nft's message in err. */
int proxy_nft_run(const char *script, Error *err);
