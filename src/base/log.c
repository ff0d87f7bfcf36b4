/* Log line formatting: "I1126 14:08:52.123456 component] message" like klog, one write(2) per line so
 * lines from several threads never interleave. */
#include "base/log.h"

#include <stdarg.h>
#include <time.h>

int log_max_level = LOG_LEVEL_INFO;

void log_set_level(LogLevel l) {
  log_max_level = (int)l;
}

LogLevel log_level_from_string(const char *s) {
  static const char *const names[] = {"error", "warn", "info", "debug", "trace"};
  for (size_t i = 0; i < ELEMENTSOF(names); i++)
    if (streq(s, names[i]))
      return (LogLevel)i;
  if (s[0] >= '0' && s[0] <= '9' && !s[1])
    return (LogLevel)MIN(s[0] - '0', _LOG_LEVEL_MAX - 1);
  return LOG_LEVEL_INVALID;
}

void log_emit(LogLevel l, const char *component, const char *fmt, ...) {
  static const char letters[] = "EWIDT";
  char line[4096];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, sizeof line, "%c%02d%02d %02d:%02d:%02d.%06ld %s] ", letters[l], tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, component);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  size_t len = (size_t)n + (size_t)MIN(m, (int)(sizeof line - (size_t)n - 2));
  line[len++] = '\n';
  ssize_t _unused_ w = write(STDERR_FILENO, line, len);
}
