/* Container log rotation as the kubelet does it (--container-log-max-size, --container-log-max-files), done
 * by the writer itself: the monitor (shim.c) renames N.log to N.log.<YYYYmmdd-HHMMSS> when the next records
 * would take it past the size, reopens N.log, gzips every rotated file but the newest (N.log.<stamp>.gz)
 * and removes the oldest so that at most max_files files remain, the current one included. Readers follow
 * the rename (crilog.h: runtime_crilog_rotated). Single-threaded; the file functions say what they touch. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* Kubernetes' defaults. */
#define RUNTIME_LOG_MAX_SIZE (10ll * 1024 * 1024)
#define RUNTIME_LOG_MAX_FILES 5

/* Whether a file of size bytes must rotate before incoming more are appended (a non-empty file only, so a
 * record larger than max_size still lands somewhere). max_size <= 0 = never. */
bool runtime_log_should_rotate(off_t size, size_t incoming, int64_t max_size);
/* "PATH.YYYYmmdd-HHMMSS" for the local time t. Caller frees. */
char *runtime_log_rotated_name(const char *path, time_t t);
/* The rotated files of path (PATH.<stamp>, PATH.<stamp>.gz, PATH.<stamp>.N...), oldest first, as a
 * NULL-terminated list of full paths (strv). Reads path's directory. */
char **runtime_log_rotated(const char *path);
/* Rotates path now: renames it (a unique name even twice in one second), opens a new one into *fd (the old
 * descriptor closed), compresses the older rotated files and removes the oldest beyond max_files. On
 * failure *fd is left as it was and the error returned. */
int runtime_log_rotate(const char *path, int max_files, int *fd);
/* gzip src into src.gz (through a temporary file) and remove src. */
int runtime_log_gzip(const char *src);
