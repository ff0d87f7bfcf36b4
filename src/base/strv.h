/* NULL-terminated string vectors (argv-like), used for short lists such as split selectors. */
#pragma once

#include "base/util.h"

typedef char **Strv;

size_t strv_length(char *const *l);
/* Appends a copy of s; *l may be NULL. */
void strv_push(char ***l, const char *s);
void strv_free(char **l);
static inline void strv_freep(char ***l) {
  strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)
bool strv_contains(char *const *l, const char *s);
/* Splits s at every sep character (no escapes, empty fields kept). */
char **strv_split(const char *s, char sep);
