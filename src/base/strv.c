/* String vector helpers (see strv.h). */
#include "base/strv.h"

size_t strv_length(char *const *l) {
  size_t n = 0;
  while (l && l[n])
    n++;
  return n;
}

void strv_push(char ***l, const char *s) {
  size_t n = strv_length(*l);
  *l = xrealloc(*l, (n + 2) * sizeof(char *));
  (*l)[n] = xstrdup(s);
  (*l)[n + 1] = NULL;
}

void strv_free(char **l) {
  for (size_t i = 0; l && l[i]; i++)
    free(l[i]);
  free(l);
}

bool strv_contains(char *const *l, const char *s) {
  for (size_t i = 0; l && l[i]; i++)
    if (streq(l[i], s))
      return true;
  return false;
}

char **strv_split(const char *s, char sep) {
  char **l = NULL;
  const char *start = s;
  for (const char *p = s;; p++) {
    if (*p == sep || !*p) {
      _cleanup_free_ char *part = xstrndup(start, (size_t)(p - start));
      strv_push(&l, part);
      if (!*p)
        break;
      start = p + 1;
    }
  }
  return l;
}
