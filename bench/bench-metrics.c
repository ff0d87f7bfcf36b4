/* Benchmark of the metrics pipeline and the HPA (issue 8): the cost of one metrics collection pass and of
 * one HPA sync with N pods (default 1,000) on simulated nodes.
 *
 * Everything runs in this process: an API server on a temporary data directory, simulated nodes
 * (src/agent/sim, which report the pods bound to them Running and Ready), N pods spread over them with a
 * Deployment selecting them (no controller manager runs, so nothing else creates pods), and for each
 * simulated node an in-process stats source that builds its /stats/summary document (every pod burning
 * 80m with 100m requested). Timed:
 *   scrape   apiserver_metrics_scrape: every node's summary built and ingested into the store
 *   ingest   metrics_store_ingest of the same, already built summaries (the store's own share)
 *   hpa      one sync of an HPA (cpu 50%, max = N) on the Deployment: GET scale, LIST PodMetrics over HTTPS,
 *            the pods from the informer, the calculation, the status write when it changed
 * Prints one key=value line per repetition and the medians. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/sim/sim.h"
#include "api/jsonutil.h"
#include "apiserver/apiserver.h"
#include "apiserver/metrics.h"
#include "base/log.h"
#include "controllers/controllers-internal.h"

typedef struct NodeSrc {
  char name[32];
  json_t *pods; /* [{name, uid}] */
  uint64_t start_usec;
} NodeSrc;

static json_t *node_summary(void *userdata) {
  NodeSrc *n = userdata;
  uint64_t now = now_realtime_usec(), el = now - n->start_usec;
  char ts[32], t[48];
  format_rfc3339((int64_t)(now / 1000000u), ts);
  ts[strcspn(ts, "Z")] = 0;
  snprintf(t, sizeof t, "%s.%06uZ", ts, (unsigned)(now % 1000000u));
  uint64_t per_pod = el * 1000u * 80u / 1000u; /* 80m: ns of cpu per elapsed usec = 0.08 * 1000 */
  json_t *pods = json_array();
  size_t i;
  json_t *p;
  json_array_foreach(n->pods, i, p) {
    json_array_append_new(
        pods,
        json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:I},s:{s:s,s:I},s:[{s:s,s:{s:s,s:I},s:{s:s,s:I}}]}", "podRef",
                  "name", jstr(p, "name"), "namespace", "default", "uid", jstr(p, "uid"), "cpu", "time", t,
                  "usageCoreNanoSeconds", (json_int_t)per_pod, "memory", "time", t, "workingSetBytes",
                  (json_int_t)(8 << 20), "containers", "name", "c", "cpu", "time", t, "usageCoreNanoSeconds",
                  (json_int_t)per_pod, "memory", "time", t, "workingSetBytes", (json_int_t)(8 << 20)));
  }
  return json_pack("{s:{s:s,s:{s:s,s:I},s:{s:s,s:I}},s:o}", "node", "nodeName", n->name, "cpu", "time", t,
                   "usageCoreNanoSeconds", (json_int_t)(per_pod * json_array_size(n->pods)), "memory", "time",
                   t, "workingSetBytes", (json_int_t)1 << 30, "pods", pods);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, size_t n) {
  qsort(v, n, sizeof *v, cmp_u64);
  return v[n / 2];
}

static void die(const char *what, Error *e) {
  fprintf(stderr, "bench-metrics: %s: %s\n", what, e->message ? e->message : "");
  exit(1);
}

int main(int argc, char **argv) {
  unsigned n_pods = 1000, n_nodes = 10, reps = 5;
  int port = 6499;
  static const struct option longopts[] = {{"pods", required_argument, NULL, 'p'},
                                           {"nodes", required_argument, NULL, 'n'},
                                           {"reps", required_argument, NULL, 'r'},
                                           {"port", required_argument, NULL, 'P'},
                                           {0}};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
    if (c == 'p')
      n_pods = (unsigned)atoi(optarg);
    else if (c == 'n')
      n_nodes = (unsigned)atoi(optarg);
    else if (c == 'r')
      reps = (unsigned)atoi(optarg);
    else if (c == 'P')
      port = atoi(optarg);
    else
      return 2;
  }
  if (!n_pods || !n_nodes || !reps || reps > 100)
    return 2;
  log_set_level(LOG_LEVEL_WARN);
  char tmpl[] = "/tmp/bench-metrics-XXXXXX";
  if (!mkdtemp(tmpl))
    return 1;
  ApiServerOptions o = apiserver_default_options();
  o.data_dir = tmpl;
  o.bind_address = "127.0.0.1";
  o.https_port = port;
  o.node_name = "bench";
  o.write_kubeconfig = NULL;
  o.store_sync = STORE_SYNC_NORMAL;
  o.compaction_interval_sec = 0;
  o.metrics_resolution_ms = 3600 * 1000; /* passes only when this program asks */
  Error e = ERROR_INIT;
  ApiServer *s = NULL;
  if (apiserver_start(&o, &s, &e) < 0)
    die("server", &e);
  char url[64];
  snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
  Client *cl = NULL;
  if (client_new_local(tmpl, url, &cl, &e) < 0)
    die("client", &e);
  Sim *sim = NULL;
  SimOptions so = {.prefix = "bench-", .count = n_nodes, .pods = (n_pods / n_nodes) + 10};
  if (sim_start(cl, &so, &sim, &e) < 0)
    die("sim", &e);

  /* The pods, spread over the nodes, and a Deployment selecting them. */
  const ApiResource *pods_r = api_resource_find("", "v1", "pods"),
                    *dep_r = api_resource_find("apps", "v1", "deployments");
  NodeSrc *nodes = xcalloc(n_nodes, sizeof *nodes);
  for (unsigned i = 0; i < n_nodes; i++) {
    snprintf(nodes[i].name, sizeof nodes[i].name, "bench-%u", i);
    nodes[i].pods = json_array();
    nodes[i].start_usec = now_realtime_usec();
  }
  uint64_t t0 = now_monotonic_usec();
  for (unsigned i = 0; i < n_pods; i++) {
    char name[32];
    snprintf(name, sizeof name, "bench-%05u", i);
    NodeSrc *nd = &nodes[i % n_nodes];
    json_t *pod = json_pack("{s:s,s:s,s:{s:s,s:s,s:{s:s}},s:{s:s,s:[{s:s,s:s,s:{s:{s:s}}}]}}", "apiVersion",
                            "v1", "kind", "Pod", "metadata", "name", name, "namespace", "default", "labels",
                            "app", "bench", "spec", "nodeName", nd->name, "containers", "name", "c", "image",
                            "busybox", "resources", "requests", "cpu", "100m");
    json_t *created = NULL;
    if (client_create(cl, pods_r, "default", pod, &created, &e) < 0)
      die("create pod", &e);
    json_array_append_new(nd->pods,
                          json_pack("{s:s,s:s}", "name", name, "uid", jstr(created, "metadata.uid")));
    json_decref(pod);
    json_decref(created);
  }
  json_t *dep =
      json_pack("{s:s,s:s,s:{s:s},s:{s:i,s:{s:{s:s}},s:{s:{s:{s:s}},s:{s:[{s:s,s:s}]}}}}", "apiVersion",
                "apps/v1", "kind", "Deployment", "metadata", "name", "bench", "spec", "replicas", (int)n_pods,
                "selector", "matchLabels", "app", "bench", "template", "metadata", "labels", "app", "bench",
                "spec", "containers", "name", "c", "image", "busybox");
  if (client_create(cl, dep_r, "default", dep, NULL, &e) < 0)
    die("create deployment", &e);
  json_decref(dep);
  json_t *hpa =
      json_pack("{s:s,s:s,s:{s:s},s:{s:{s:s,s:s,s:s},s:i,s:i,s:[{s:s,s:{s:s,s:{s:s,s:i}}}]}}", "apiVersion",
                "autoscaling/v2", "kind", "HorizontalPodAutoscaler", "metadata", "name", "bench", "spec",
                "scaleTargetRef", "apiVersion", "apps/v1", "kind", "Deployment", "name", "bench",
                "minReplicas", 1, "maxReplicas", (int)n_pods, "metrics", "type", "Resource", "resource",
                "name", "cpu", "target", "type", "Utilization", "averageUtilization", 50);
  if (client_create(cl, api_resource_find("autoscaling", "v2", "horizontalpodautoscalers"), "default", hpa,
                    NULL, &e) < 0)
    die("create hpa", &e);
  json_decref(hpa);
  for (;;) { /* until the simulated nodes report every pod Running */
    SimStats st;
    sim_get_stats(sim, &st);
    if (st.started >= n_pods)
      break;
    usleep(100000);
  }
  fprintf(stderr, "setup: %u pods on %u nodes in %.1f s\n", n_pods, n_nodes,
          (double)(now_monotonic_usec() - t0) / 1e6);

  for (unsigned i = 0; i < n_nodes; i++)
    apiserver_set_stats_source(s, nodes[i].name, node_summary, &nodes[i]);
  apiserver_metrics_scrape(s); /* a first sample; rates need two */
  sleep(2);

  /* The HPA controller's sync, driven directly: a manager with the two informers and no worker threads. */
  CtrlManager *m = xzalloc(sizeof *m);
  m->client = cl;
  ctrl_events_init(&m->events);
  m->hpa_sync_period_usec = 3600ull * 1000000;
  m->hpa_downscale_window_usec = 300ull * 1000000;
  if (hpa_controller_setup(m, &e) < 0)
    die("hpa setup", &e);
  for (int r = 0; r < _CTRL_RES_MAX; r++)
    if (m->inf[r] && (informer_start(m->inf[r], &e) < 0 || informer_wait_for_sync(m->inf[r], 60000000u) < 0))
      die("informers", &e);
  CtrlController *hc = m->ctrls[0];

  uint64_t *scrape = xcalloc(reps, sizeof *scrape), *ingest = xcalloc(reps, sizeof *ingest),
           *sync = xcalloc(reps, sizeof *sync);
  json_t **summaries = xcalloc(n_nodes, sizeof *summaries);
  for (unsigned r = 0; r < reps; r++) {
    uint64_t a = now_monotonic_usec();
    int scraped = apiserver_metrics_scrape(s);
    scrape[r] = now_monotonic_usec() - a;
    for (unsigned i = 0; i < n_nodes; i++)
      summaries[i] = node_summary(&nodes[i]);
    MetricsStore *ms = metrics_store_new();
    a = now_monotonic_usec();
    for (unsigned i = 0; i < n_nodes; i++)
      metrics_store_ingest(ms, summaries[i]);
    ingest[r] = now_monotonic_usec() - a;
    metrics_store_free(ms);
    for (unsigned i = 0; i < n_nodes; i++)
      json_decref(summaries[i]);
    usleep(500000);
    Error se = ERROR_INIT;
    a = now_monotonic_usec();
    hc->sync(hc, "default/bench", &se);
    sync[r] = now_monotonic_usec() - a;
    error_reset(&se);
    json_t *h = NULL;
    client_get(cl, api_resource_find("autoscaling", "v2", "horizontalpodautoscalers"), "default", "bench", &h,
               &e);
    printf("rep=%u nodes=%d pods=%u scrape_ms=%.2f ingest_ms=%.2f hpa_sync_ms=%.2f hpa_current=%lld "
           "hpa_desired=%lld "
           "utilization=%lld\n",
           r, scraped, n_pods, scrape[r] / 1e3, ingest[r] / 1e3, sync[r] / 1e3,
           (long long)jint(h, "status.currentReplicas", -1), (long long)jint(h, "status.desiredReplicas", -1),
           (long long)jint(json_array_get(jpath(h, "status.currentMetrics"), 0),
                           "resource.current.averageUtilization", -1));
    json_decref(h);
  }
  printf("median pods=%u nodes=%u scrape_ms=%.2f ingest_ms=%.2f hpa_sync_ms=%.2f\n", n_pods, n_nodes,
         median(scrape, reps) / 1e3, median(ingest, reps) / 1e3, median(sync, reps) / 1e3);
  fflush(stdout);

  for (unsigned i = 0; i < n_nodes; i++) {
    apiserver_set_stats_source(s, nodes[i].name, NULL, NULL);
    json_decref(nodes[i].pods);
  }
  for (int r = 0; r < _CTRL_RES_MAX; r++)
    if (m->inf[r])
      informer_stop(m->inf[r]);
  for (int r = 0; r < _CTRL_RES_MAX; r++)
    informer_free(m->inf[r]);
  workqueue_shutdown(hc->queue);
  workqueue_free(hc->queue);
  hc->free_state(hc->state);
  free(hc);
  ctrl_events_destroy(&m->events);
  free(m);
  sim_stop(sim, true);
  client_free(cl);
  apiserver_stop(s);
  free(nodes);
  free(summaries);
  free(scrape);
  free(ingest);
  free(sync);
  char *argv_rm[] = {"rm", "-rf", tmpl, NULL};
  pid_t pid = fork();
  if (pid == 0) {
    execvp("rm", argv_rm);
    _exit(127);
  }
  if (pid > 0)
    waitpid(pid, NULL, 0);
  return 0;
}
