/* CRI log records: formatting for the monitor, parsing and rendering for `kubectl logs` (see crilog.h). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <time.h>
#include <zlib.h>

#include "agent/runtime/crilog.h"
#include "agent/runtime/logrotate.h"
#include "base/strv.h"

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

bool runtime_crilog_rotated(const char *path, int fd) {
  struct stat a, b;
  if (fstat(fd, &a) < 0 || stat(path, &b) < 0)
    return false; /* between the rename and the new file: look again later */
  return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

bool runtime_crilog_last_timestamp(const char *data, size_t len, char ts[static RUNTIME_CRILOG_TS_MAX]) {
  while (len > 0 && data[len - 1] == '\n')
    len--;
  const char *nl = len ? memrchr(data, '\n', len) : NULL;
  const char *line = nl ? nl + 1 : data;
  size_t n = strcspn(line, " \n");
  if (len == 0 || n == 0 || n >= RUNTIME_CRILOG_TS_MAX || line + n > data + len)
    return false;
  memcpy(ts, line, n);
  ts[n] = 0;
  return true;
}

void runtime_crilog_file_last_timestamp(int fd, off_t end, char ts[static RUNTIME_CRILOG_TS_MAX]) {
  char buf[RUNTIME_CRILOG_MAX_LINE + 256];
  off_t from = end > (off_t)sizeof buf ? end - (off_t)sizeof buf : 0;
  ssize_t n = pread(fd, buf, (size_t)(end - from), from);
  if (n <= 0 || !runtime_crilog_last_timestamp(buf, (size_t)n, ts))
    ts[0] = 0;
}

/* The timestamp of the first record of a rotated file (compressed or not), or "". */
static void first_timestamp(const char *path, char ts[static RUNTIME_CRILOG_TS_MAX]) {
  char buf[RUNTIME_CRILOG_TS_MAX] = {0};
  int n = 0;
  if (endswith(path, ".gz")) {
    gzFile gz = gzopen(path, "rb");
    if (gz) {
      n = gzread(gz, buf, sizeof buf - 1);
      gzclose(gz);
    }
  } else {
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    n = fd >= 0 ? (int)read(fd, buf, sizeof buf - 1) : 0;
  }
  buf[n > 0 ? n : 0] = 0;
  size_t k = strcspn(buf, " \n");
  memcpy(ts, buf, k);
  ts[k] = 0;
}

/* A compressed rotated file, decompressed into an anonymous file. */
static int open_gz(const char *path) {
  gzFile gz = gzopen(path, "rb");
  if (!gz)
    return -EIO;
  int fd = memfd_create("crilog", MFD_CLOEXEC);
  char chunk[65536];
  int n = 0;
  size_t total = 0;
  while (fd >= 0 && (n = gzread(gz, chunk, sizeof chunk)) > 0 && total < CRILOG_READ_MAX) {
    if (write(fd, chunk, (size_t)n) != n) {
      n = -1;
      break;
    }
    total += (size_t)n;
  }
  gzclose(gz);
  if (fd < 0 || n < 0) {
    if (fd >= 0)
      close(fd);
    return -EIO;
  }
  lseek(fd, 0, SEEK_SET);
  return fd;
}

/* The oldest rotated file of path whose first record is later than after, opened; -ENOENT if none. */
static int open_rotated_after(const char *path, const char *after) {
  _cleanup_strv_free_ char **rotated = runtime_log_rotated(path);
  for (char **p = rotated; p && *p && !isempty(after); p++) {
    /* A plain file may be compressed (and removed) under our feet: then its .gz is the same records. */
    _cleanup_free_ char *gz = endswith(*p, ".gz") ? xstrdup(*p) : xasprintf("%s.gz", *p);
    char ts[RUNTIME_CRILOG_TS_MAX];
    first_timestamp(*p, ts);
    if (isempty(ts))
      first_timestamp(gz, ts);
    if (isempty(ts) || strcmp(ts, after) <= 0)
      continue;
    int nfd = endswith(*p, ".gz") ? -ENOENT : open(*p, O_RDONLY | O_CLOEXEC);
    if (nfd < 0)
      nfd = open_gz(gz);
    if (nfd >= 0)
      return nfd;
  }
  return -ENOENT;
}

int runtime_crilog_open_next(const char *link, const char *after) {
  /* The rotated files sit beside the file itself, not beside a symlink to it (current.log). */
  _cleanup_free_ char *real = realpath(link, NULL);
  const char *path = real ? real : link;
  /* Records are in time order across files (a batch never straddles a rotation): the first rotated file
   * that starts after the last record read is the one to go on with, else the current file — looked at
   * again once that is open, in case the writer rotated it in between. */
  int nfd = open_rotated_after(path, after);
  if (nfd >= 0)
    return nfd;
  int cur = open(path, O_RDONLY | O_CLOEXEC);
  if (cur < 0)
    return -errno;
  nfd = open_rotated_after(path, after);
  if (nfd >= 0) {
    close(cur);
    return nfd;
  }
  return cur;
}
