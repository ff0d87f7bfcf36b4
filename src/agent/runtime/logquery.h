/* The query of a container log request, GET /containerLogs/NS/POD/CONTAINER on the agent and
 * GET /api/v1/namespaces/NS/pods/POD/log on the API server: the v1 PodLogOptions fields follow, previous,
 * timestamps, tailLines (or the kubelet's older `tail`, where "all" means no limit), sinceSeconds, sinceTime
 * and limitBytes, decoded and validated as Kubernetes does. Pure: no I/O, unit-tested (test-logquery). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "agent/runtime/crilog.h"
#include "base/buf.h"
#include "base/error.h"

typedef struct RuntimeLogQuery {
  RuntimeLogOptions opts; /* tail (-1 = all), timestamps, since_sec (unix seconds, 0 = all) */
  bool follow, previous;
  int64_t limit_bytes; /* 0 = no limit */
  /* As given, for passing the request on: -1 when absent. */
  int64_t tail_lines, since_seconds, since_time;
} RuntimeLogQuery;

/* Looks a query parameter up: its value, "" for a bare name, NULL when absent. */
typedef const char *(*RuntimeLogQueryGet)(void *userdata, const char *name);

/* Decodes and validates the query. now_sec is the current unix time (sinceSeconds counts back from it).
 * A value that does not parse is -EBADMSG (400 BadRequest, `invalid value for tailLines: x`); values that
 * ValidatePodLogOptions refuses are -EINVAL with one cause each (field, "Invalid value: ...", or "Forbidden:
 * at most one of `sinceTime` or `sinceSeconds` may be specified"), for a 422 the caller words. ret is written
 * only on success. */
int runtime_log_query_parse(RuntimeLogQueryGet get, void *userdata, int64_t now_sec, RuntimeLogQuery *ret,
                            Error *err);

/* Appends the query string (without "?") that asks another server for q, in the order kube-apiserver
 * writes it: follow, previous, timestamps, sinceSeconds, sinceTime, tailLines, limitBytes. */
void runtime_log_query_format(const RuntimeLogQuery *q, Buf *out);
