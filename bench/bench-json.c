/* JSON speed (src/api/jsonfast.c against jansson): a PodList of N pods as the API server sends it (compact,
 * managedFields included), decoded ROUNDS times by each decoder in turn (json_loadb, json_fast_loadb), then
 * encoded ROUNDS times by each encoder (json_dumps compact, json_fast_dumps); prints the median MB/s and
 * objects/s of each and their ratios. Both results are checked equal once.
 * Usage: bench-json [-n PODS] [-r ROUNDS] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonfast.h"
#include "base/buf.h"
#include "base/util.h"

static void pod(Buf *b, unsigned i) {
  buf_printf(
      b,
      "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-%05u\",\"generateName\":\"web-\","
      "\"namespace\":\"default\",\"uid\":\"6f1d2c3b-%04x-4e5f-8a9b-0c1d2e3f4a5b\",\"resourceVersion\":\"%u\","
      "\"creationTimestamp\":\"2026-11-27T07:00:00Z\",\"labels\":{\"app\":\"web\",\"pod-template-hash\":"
      "\"7d9c8b6f5\"},\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":"
      "\"web-7d9c8b6f5\",\"uid\":\"1a2b3c4d-0000-4e5f-8a9b-0c1d2e3f4a5b\",\"controller\":true,"
      "\"blockOwnerDeletion\":true}],\"managedFields\":[{\"manager\":\"kube-controller-manager\","
      "\"operation\":"
      "\"Update\",\"apiVersion\":\"v1\",\"time\":\"2026-11-27T07:00:00Z\",\"fieldsType\":\"FieldsV1\","
      "\"fieldsV1\":{\"f:metadata\":{\"f:generateName\":{},\"f:labels\":{\".\":{},\"f:app\":{},"
      "\"f:pod-template-hash\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},"
      "\"f:image\":{},\"f:name\":{},\"f:resources\":{\".\":{},\"f:requests\":{}}}}}}}]},\"spec\":{"
      "\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80,"
      "\"protocol\":\"TCP\"}],\"resources\":{\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}},"
      "\"terminationMessagePath\":\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\","
      "\"imagePullPolicy\":\"IfNotPresent\"}],\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":"
      "30,"
      "\"dnsPolicy\":\"ClusterFirst\",\"nodeName\":\"sim-%u\",\"schedulerName\":\"default-scheduler\","
      "\"tolerations\":[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\",\"effect\":"
      "\"NoExecute\",\"tolerationSeconds\":300}],\"priority\":0,\"enableServiceLinks\":true},\"status\":{"
      "\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastProbeTime\":null,"
      "\"lastTransitionTime\":\"2026-11-27T07:00:01Z\"},{\"type\":\"PodScheduled\",\"status\":\"True\","
      "\"lastProbeTime\":null,\"lastTransitionTime\":\"2026-11-27T07:00:00Z\"}],\"hostIP\":\"10.64.0.%u\","
      "\"podIP\":\"10.128.%u.%u\",\"startTime\":\"2026-11-27T07:00:00Z\",\"containerStatuses\":[{\"name\":"
      "\"web\",\"state\":{\"running\":{\"startedAt\":\"2026-11-27T07:00:01Z\"}},\"lastState\":{},\"ready\":"
      "true,\"restartCount\":0,\"image\":\"nginx:1.25\",\"imageID\":\"sha256:0123\",\"containerID\":"
      "\"sim://%u\",\"started\":true}],\"qosClass\":\"Burstable\"}}",
      i, i & 0xffff, 1000 + i, i % 1000, i % 250, (i >> 8) & 255, i & 255, i);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  unsigned n = 500, rounds = 21;
  int o;
  while ((o = getopt(argc, argv, "n:r:")) != -1) {
    if (o == 'n')
      n = (unsigned)strtoul(optarg, NULL, 10);
    else if (o == 'r')
      rounds = (unsigned)strtoul(optarg, NULL, 10);
    else
      return 2;
  }
  if (!n || !rounds)
    return 2;
  Buf b = BUF_INIT;
  buf_puts(
      &b, "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[");
  for (unsigned i = 0; i < n; i++) {
    if (i)
      buf_putc(&b, ',');
    pod(&b, i);
  }
  buf_puts(&b, "]}");

  json_error_t je;
  json_t *a = json_loadb(b.data, b.len, 0, &je), *f = json_fast_loadb(b.data, b.len, &je);
  if (!a || !f || !json_equal(a, f)) {
    fprintf(stderr, "bench-json: the decoders disagree\n");
    return 1;
  }
  json_decref(f);
  char *dj = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY), *df = json_fast_dumps(a, NULL);
  if (!dj || !df || strcmp(dj, df) != 0) {
    fprintf(stderr, "bench-json: the encoders disagree\n");
    return 1;
  }
  free(dj);
  free(df);

  double *t_jansson = calloc(rounds, sizeof(double)), *t_fast = calloc(rounds, sizeof(double));
  for (unsigned r = 0; r < rounds; r++) {
    uint64_t t0 = now_monotonic_usec();
    json_decref(json_loadb(b.data, b.len, 0, &je));
    uint64_t t1 = now_monotonic_usec();
    json_decref(json_fast_loadb(b.data, b.len, &je));
    uint64_t t2 = now_monotonic_usec();
    t_jansson[r] = (double)(t1 - t0) / 1e6;
    t_fast[r] = (double)(t2 - t1) / 1e6;
  }
  double *e_jansson = calloc(rounds, sizeof(double)), *e_fast = calloc(rounds, sizeof(double));
  for (unsigned r = 0; r < rounds; r++) {
    uint64_t t0 = now_monotonic_usec();
    free(json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY));
    uint64_t t1 = now_monotonic_usec();
    free(json_fast_dumps(a, NULL));
    uint64_t t2 = now_monotonic_usec();
    e_jansson[r] = (double)(t1 - t0) / 1e6;
    e_fast[r] = (double)(t2 - t1) / 1e6;
  }
  json_decref(a);
  qsort(t_jansson, rounds, sizeof(double), cmp_double);
  qsort(t_fast, rounds, sizeof(double), cmp_double);
  qsort(e_jansson, rounds, sizeof(double), cmp_double);
  qsort(e_fast, rounds, sizeof(double), cmp_double);
  double mj = t_jansson[rounds / 2], mf = t_fast[rounds / 2], mb = (double)b.len / 1e6;
  double ej = e_jansson[rounds / 2], ef = e_fast[rounds / 2];
  printf("pods=%u bytes=%zu rounds=%u jansson_ms=%.2f jansson_MBps=%.0f jansson_pods_per_s=%.0f fast_ms=%.2f "
         "fast_MBps=%.0f fast_pods_per_s=%.0f speedup=%.2f encode_jansson_MBps=%.0f encode_fast_MBps=%.0f "
         "encode_speedup=%.2f\n",
         n, b.len, rounds, mj * 1e3, mb / mj, n / mj, mf * 1e3, mb / mf, n / mf, mj / mf, mb / ej, mb / ef,
         ej / ef);
  free(t_jansson);
  free(t_fast);
  free(e_jansson);
  free(e_fast);
  buf_free(&b);
  return 0;
}
