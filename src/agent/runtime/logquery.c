/* PodLogOptions from a query string (logquery.h). The decoding follows Kubernetes' query parameter
 * conversion: booleans as Go's strconv.ParseBool reads them (a bare name counts as true, as the API server's
 * own handlers always accepted), integers in base 10; sinceTime in RFC 3339. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "agent/runtime/logquery.h"

static int parse_bool(const char *name, const char *v, bool *ret, Error *err) {
  static const char *const yes[] = {"", "1", "t", "T", "true", "TRUE", "True"};
  static const char *const no[] = {"0", "f", "F", "false", "FALSE", "False"};
  for (size_t i = 0; i < ELEMENTSOF(yes); i++)
    if (streq(v, yes[i]))
      return *ret = true, 0;
  for (size_t i = 0; i < ELEMENTSOF(no); i++)
    if (streq(v, no[i]))
      return *ret = false, 0;
  return error_setk(err, -EBADMSG, 400, "BadRequest", "invalid value for %s: %s", name, v);
}

/* -1 stays "absent"; anything given must be a whole number. */
static int parse_int(const char *name, const char *v, int64_t *ret, Error *err) {
  if (!v) {
    *ret = -1;
    return 0;
  }
  char *end;
  errno = 0;
  long long x = strtoll(v, &end, 10);
  if (!*v || *end || errno)
    return error_setk(err, -EBADMSG, 400, "BadRequest", "invalid value for %s: %s", name, v);
  *ret = x;
  return 0;
}

int runtime_log_query_parse(RuntimeLogQueryGet get, void *userdata, int64_t now_sec, RuntimeLogQuery *ret,
                            Error *err) {
  RuntimeLogQuery q = {.opts = {.tail = -1}};
  static const struct {
    const char *name;
    size_t off;
  } bools[] = {
      {"follow", offsetof(RuntimeLogQuery, follow)},
      {"previous", offsetof(RuntimeLogQuery, previous)},
      {"timestamps", offsetof(RuntimeLogQuery, opts.timestamps)},
  };
  for (size_t i = 0; i < ELEMENTSOF(bools); i++) {
    const char *v = get(userdata, bools[i].name);
    if (v && parse_bool(bools[i].name, v, (bool *)((char *)&q + bools[i].off), err) < 0)
      return -EBADMSG;
  }
  /* The kubelet's older spelling: tail=N, "all" = no limit; tailLines wins when both are given. */
  const char *tail = get(userdata, "tailLines"), *tail_name = "tailLines";
  if (!tail && (tail = get(userdata, "tail"))) {
    tail_name = "tail";
    if (streq(tail, "all"))
      tail = NULL;
  }
  int64_t limit;
  if (parse_int(tail_name, tail, &q.tail_lines, err) < 0 ||
      parse_int("sinceSeconds", get(userdata, "sinceSeconds"), &q.since_seconds, err) < 0 ||
      parse_int("limitBytes", get(userdata, "limitBytes"), &limit, err) < 0)
    return -EBADMSG;
  const char *since_time = get(userdata, "sinceTime");
  q.since_time = -1;
  if (since_time && parse_rfc3339(since_time, &q.since_time) < 0)
    return error_setk(err, -EBADMSG, 400, "BadRequest", "invalid value for sinceTime: %s", since_time);
  /* ValidatePodLogOptions */
  Error v = ERROR_INIT;
  if (tail && q.tail_lines < 0)
    error_add_cause(&v, "FieldValueInvalid", "tailLines",
                    "Invalid value: %" PRId64 ": must be greater than or equal to 0", q.tail_lines);
  if (get(userdata, "limitBytes") && limit < 1)
    error_add_cause(&v, "FieldValueInvalid", "limitBytes",
                    "Invalid value: %" PRId64 ": must be greater than 0", limit);
  if (q.since_seconds != -1 && since_time)
    error_add_cause(&v, "FieldValueForbidden", NULL,
                    "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified");
  else if (get(userdata, "sinceSeconds") && q.since_seconds < 1)
    error_add_cause(&v, "FieldValueInvalid", "sinceSeconds",
                    "Invalid value: %" PRId64 ": must be greater than 0", q.since_seconds);
  if (v.n_causes) {
    if (err) {
      error_reset(err);
      *err = v;
      err->code = -EINVAL;
    } else {
      error_reset(&v);
    }
    return -EINVAL;
  }
  if (!tail)
    q.tail_lines = -1;
  if (!get(userdata, "sinceSeconds"))
    q.since_seconds = -1;
  q.opts.tail = q.tail_lines;
  q.limit_bytes = get(userdata, "limitBytes") ? limit : 0;
  if (q.since_seconds > 0)
    q.opts.since_sec = now_sec - q.since_seconds;
  else if (q.since_time >= 0)
    q.opts.since_sec = q.since_time;
  *ret = q;
  return 0;
}

void runtime_log_query_format(const RuntimeLogQuery *q, Buf *out) {
  size_t start = out->len;
#define SEP() (out->len > start ? "&" : "")
  if (q->follow)
    buf_printf(out, "%sfollow=true", SEP());
  if (q->previous)
    buf_printf(out, "%sprevious=true", SEP());
  if (q->opts.timestamps)
    buf_printf(out, "%stimestamps=true", SEP());
  if (q->since_seconds >= 0)
    buf_printf(out, "%ssinceSeconds=%" PRId64, SEP(), q->since_seconds);
  if (q->since_time >= 0) {
    char ts[32];
    format_rfc3339(q->since_time, ts);
    buf_printf(out, "%ssinceTime=%s", SEP(), ts); /* only digits, '-', ':', 'T', 'Z': nothing to escape */
  }
  if (q->tail_lines >= 0)
    buf_printf(out, "%stailLines=%" PRId64, SEP(), q->tail_lines);
  if (q->limit_bytes > 0)
    buf_printf(out, "%slimitBytes=%" PRId64, SEP(), q->limit_bytes);
#undef SEP
}
