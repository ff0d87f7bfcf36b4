/* The resource metrics pipeline built into the API server (metrics-server's job): a scraper thread reads
 * every node's /stats/summary document every resolution period, a store keeps the last two cumulative
 * samples per node, pod and container, and metrics.k8s.io/v1beta1 serves PodMetrics and NodeMetrics from
 * them: cpu as the rate between the two samples (nanocores, window = the time between them), memory as the
 * latest working set. kubectl top and the HPA controller read that API.
 *
 * Sources: a function per node returning its summary (apiserver_set_stats_source); `coracle server` registers
 * one for its own agent that reads the agent's HTTPS port (src/agent/kubelet/statsserver.c). Nodes without a
 * source (remote agents, simulated nodes) have no metrics: scraping remote agents is not written yet.
 *
 * Threads: the store has its own mutex (MetricsStore.lock); the scraper thread is the only writer. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "apiserver/apiserver.h"

typedef struct MetricsStore MetricsStore;

MetricsStore *metrics_store_new(void);
void metrics_store_free(MetricsStore *m);
/* Takes one node's summary (the kubelet's /stats/summary shape; borrowed): shifts each node, pod and
 * container sample, starts over for a container whose counter went backwards (a restart) or a pod whose
 * uid changed, and forgets that node's pods absent from the summary. */
void metrics_store_ingest(MetricsStore *m, json_t *summary);
/* Forgets a node and its pods (the Node is gone). */
void metrics_store_forget_node(MetricsStore *m, const char *node);
/* A PodMetrics object (metadata without labels) for ns/name, or NULL when some container has fewer than two
 * samples. New reference. */
json_t *metrics_store_pod(MetricsStore *m, const char *ns, const char *name);
/* A NodeMetrics object, or NULL. New reference. */
json_t *metrics_store_node(MetricsStore *m, const char *name);
/* Number of pods with at least one sample. */
size_t metrics_store_pod_count(MetricsStore *m);

/* Go's time.Duration String() of usec: "15.0021s", "1m0.5s", "0s". */
void metrics_format_duration(uint64_t usec, char buf[static 40]);
/* "2026-11-26T14:08:52[.frac]Z" to unix microseconds; -EINVAL on anything else. */
int metrics_parse_time(const char *s, uint64_t *ret_usec);

/* A function returning a node's summary document (new reference, NULL on failure). */
typedef json_t *(*ApiServerStatsFn)(void *userdata);
/* Registers (fn != NULL) or removes (fn == NULL) the in-process stats source of node. Removal waits for a
 * scrape that is calling it. */
void apiserver_set_stats_source(ApiServer *s, const char *node, ApiServerStatsFn fn, void *userdata);
/* Runs one scrape pass now, in the calling thread (tests and benchmarks). Returns the nodes scraped. */
int apiserver_metrics_scrape(ApiServer *s);
