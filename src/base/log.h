/* Leveled, structured logging (klog-like key=value lines on stderr). The level check happens in the macro,
 * so a disabled level costs one compare. Library layers log at debug at most; the daemon logs info+. */
#pragma once

#include "base/util.h"

typedef enum LogLevel {
  LOG_LEVEL_ERROR,
  LOG_LEVEL_WARN,
  LOG_LEVEL_INFO,
  LOG_LEVEL_DEBUG,
  LOG_LEVEL_TRACE,
  _LOG_LEVEL_MAX,
  LOG_LEVEL_INVALID = -1,
} LogLevel;

extern int log_max_level;

void log_set_level(LogLevel l);
/* Parses "error|warn|info|debug|trace" or a number; returns LOG_LEVEL_INVALID when unknown. */
LogLevel log_level_from_string(const char *s);
void log_emit(LogLevel l, const char *component, const char *fmt, ...) _printf_(3, 4);

#define log_at(l, comp, ...)                                                                                 \
  do {                                                                                                       \
    if ((int)(l) <= log_max_level)                                                                           \
      log_emit((l), (comp), __VA_ARGS__);                                                                    \
  } while (0)
#define log_error(comp, ...) log_at(LOG_LEVEL_ERROR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_at(LOG_LEVEL_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_at(LOG_LEVEL_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...) log_at(LOG_LEVEL_DEBUG, comp, __VA_ARGS__)
#define log_trace(comp, ...) log_at(LOG_LEVEL_TRACE, comp, __VA_ARGS__)
