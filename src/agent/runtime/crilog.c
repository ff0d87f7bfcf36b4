/* CRI log records: formatting for the monitor, parsing and rendering for `kubectl logs` (see crilog.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "agent/runtime/crilog.h"

/* A log file larger than this is read from its last part only: kubectl logs of a huge file must not make the
 * API server allocate without limit. */
#define CRILOG_READ_MAX (32u * 1024 * 1024)

void runtime_crilog_format(Buf *out, uint64_t realtime_nsec, const char *stream, bool partial,
                           const char *data, size_t len) {
  time_t sec = (time_t)(realtime_nsec / 1000000000u);
  struct tm tm;
  gmtime_r(&sec, &tm);
  buf_printf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%09u+00:00 %s %c ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(realtime_nsec % 1000000000u), stream,
             partial ? 'P' : 'F');
  buf_append(out, data, len);
  buf_putc(out, '\n');
}

int runtime_crilog_parse(const char *line, size_t len, RuntimeLogRecord *ret) {
  const char *end = line + len;
  const char *sp1 = memchr(line, ' ', len);
  if (!sp1 || sp1 == line)
    return -EBADMSG;
  const char *stream = sp1 + 1;
  const char *sp2 = memchr(stream, ' ', (size_t)(end - stream));
  if (!sp2)
    return -EBADMSG;
  bool is_stderr;
  if ((size_t)(sp2 - stream) == 6 && memcmp(stream, "stdout", 6) == 0)
    is_stderr = false;
  else if ((size_t)(sp2 - stream) == 6 && memcmp(stream, "stderr", 6) == 0)
    is_stderr = true;
  else
    return -EBADMSG;
  const char *tag = sp2 + 1;
  if (tag >= end || (*tag != 'F' && *tag != 'P'))
    return -EBADMSG;
  const char *content = tag + 1;
  if (content < end && *content == ' ')
    content++;
  else if (content < end)
    return -EBADMSG;
  *ret = (RuntimeLogRecord){
      .timestamp = line,
      .timestamp_len = (size_t)(sp1 - line),
      .is_stderr = is_stderr,
      .partial = *tag == 'P',
      .content = content,
      .content_len = (size_t)(end - content),
  };
  return 0;
}

/* Unix seconds of a record's timestamp (to the second), or -1. */
static int64_t record_sec(const RuntimeLogRecord *r) {
  char ts[40];
  if (r->timestamp_len >= sizeof ts)
    return -1;
  memcpy(ts, r->timestamp, r->timestamp_len);
  ts[r->timestamp_len] = 0;
  int64_t sec;
  return parse_rfc3339(ts, &sec) < 0 ? -1 : sec;
}

size_t runtime_crilog_render(const char *data, size_t len, const RuntimeLogOptions *opts, Buf *out) {
  const char *last_nl = len ? memrchr(data, '\n', len) : NULL;
  if (!last_nl)
    return 0;
  size_t consumed = (size_t)(last_nl - data) + 1;
  /* For a tail, find where the last N full lines begin by counting F records backwards. */
  size_t start = 0;
  if (opts && opts->tail >= 0) {
    int64_t full = 0;
    size_t pos = consumed;
    start = consumed;
    while (pos > 0) {
      size_t line_end = pos - 1; /* index of the newline */
      const char *prev = line_end ? memrchr(data, '\n', line_end) : NULL;
      size_t line_start = prev ? (size_t)(prev - data) + 1 : 0;
      RuntimeLogRecord r;
      if (runtime_crilog_parse(data + line_start, line_end - line_start, &r) == 0 && !r.partial) {
        if (full == opts->tail)
          break;
        full++;
      }
      start = line_start;
      pos = line_start;
    }
  }
  bool at_line_start = true;
  for (size_t pos = start; pos < consumed;) {
    const char *nl = memchr(data + pos, '\n', consumed - pos);
    size_t line_len = (size_t)(nl - (data + pos));
    RuntimeLogRecord r;
    if (runtime_crilog_parse(data + pos, line_len, &r) == 0 &&
        !(opts && opts->since_sec > 0 && record_sec(&r) >= 0 && record_sec(&r) < opts->since_sec)) {
      if (at_line_start && opts && opts->timestamps) {
        buf_append(out, r.timestamp, r.timestamp_len);
        buf_putc(out, ' ');
      }
      buf_append(out, r.content, r.content_len);
      if (!r.partial)
        buf_putc(out, '\n');
      at_line_start = !r.partial;
    }
    pos += line_len + 1;
  }
  return consumed;
}

int runtime_crilog_render_file(const char *path, const RuntimeLogOptions *opts, Buf *out, off_t *ret_end) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return -errno;
  off_t from = st.st_size > (off_t)CRILOG_READ_MAX ? st.st_size - (off_t)CRILOG_READ_MAX : 0;
  size_t want = (size_t)(st.st_size - from);
  _cleanup_free_ char *data = xmalloc(want + 1);
  size_t got = 0;
  while (got < want) {
    ssize_t n = pread(fd, data + got, want - got, from + (off_t)got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -errno;
    if (n == 0)
      break;
    got += (size_t)n;
  }
  size_t skip = 0;
  if (from > 0) { /* started mid-file: drop the first, cut line */
    const char *nl = memchr(data, '\n', got);
    skip = nl ? (size_t)(nl - data) + 1 : got;
  }
  size_t used = runtime_crilog_render(data + skip, got - skip, opts, out);
  if (ret_end)
    *ret_end = from + (off_t)(skip + used);
  return 0;
}
