/* Container logs in the CRI format kubelet and containerd use, one record a line:
 *   2026-11-26T13:53:33.789185010+00:00 stdout F hello
 * (timestamp with nanoseconds, stream, F for a full line or P for a part of a longer one, then the bytes).
 * The monitor writes them (shim.c); `kubectl logs` reads them back through the API server (podlog.c in
 * src/apiserver) with these functions. Pure formatting and parsing plus whole-file reads: no threads. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/buf.h"

/* Longest content of one record; longer lines are split into P records (kubelet's 16 KiB). */
#define RUNTIME_CRILOG_MAX_LINE 16384

/* Appends one record; data excludes the newline. */
void runtime_crilog_format(Buf *out, uint64_t realtime_nsec, const char *stream, bool partial,
                           const char *data, size_t len);

typedef struct RuntimeLogRecord {
  const char *timestamp; /* points into the line; timestamp_len bytes */
  size_t timestamp_len;
  bool is_stderr;
  bool partial;
  const char *content; /* content_len bytes, no newline */
  size_t content_len;
} RuntimeLogRecord;

/* Parses one line (without its newline). -EBADMSG when it is not a CRI record. */
int runtime_crilog_parse(const char *line, size_t len, RuntimeLogRecord *ret);

typedef struct RuntimeLogOptions {
  int64_t tail;      /* last N lines; negative = all */
  bool timestamps;   /* prefix each line with its timestamp and a space, as kubectl --timestamps shows */
  int64_t since_sec; /* only lines at or after this unix time; 0 = all */
} RuntimeLogOptions;

/* Renders the complete records of data[0..len) as the user sees them (partials joined, a newline after each
 * full line) into out, honouring opts (tail applies across the whole input). Returns the number of bytes
 * consumed: everything up to the last newline, so a follower can come back for the rest. */
size_t runtime_crilog_render(const char *data, size_t len, const RuntimeLogOptions *opts, Buf *out);

/* Reads and renders a whole log file; *ret_end (may be NULL) receives the offset a follower continues at.
 * -ENOENT if the file does not exist. */
int runtime_crilog_render_file(const char *path, const RuntimeLogOptions *opts, Buf *out, off_t *ret_end);

/* Whether path now names another file than fd (the writer rotated it: logrotate.h). A follower reads fd to
 * its end after this said true, then reopens path and reads it from the start. */
bool runtime_crilog_rotated(const char *path, int fd);
/* Longest record timestamp kept by a follower ("2026-11-26T13:53:33.789185010+00:00" and NUL). */
#define RUNTIME_CRILOG_TS_MAX 48
/* The timestamp of the last record in data[0..len) into ts; false when there is none. */
bool runtime_crilog_last_timestamp(const char *data, size_t len, char ts[static RUNTIME_CRILOG_TS_MAX]);
/* The same for the records of fd before offset end; ts = "" when there is none. */
void runtime_crilog_file_last_timestamp(int fd, off_t end, char ts[static RUNTIME_CRILOG_TS_MAX]);
/* What a follower reads after the file it read was rotated away from path: the oldest rotated file whose
 * first record is later than `after` (the last record it read; the writer rotated more than once between
 * two looks — a compressed file is decompressed into an anonymous file), else path itself. path may be a
 * symlink to the log file. A new descriptor to read from the start, or -errno. */
int runtime_crilog_open_next(const char *path, const char *after);
