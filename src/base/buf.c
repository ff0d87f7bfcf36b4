/* Growable buffer implementation (see buf.h). */
#include "base/buf.h"

#include <stdarg.h>

void buf_reserve(Buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap)
    return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1)
    cap *= 2;
  b->data = xrealloc(b->data, cap);
  b->cap = cap;
}

void buf_append(Buf *b, const void *p, size_t n) {
  buf_reserve(b, n);
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = 0;
}

void buf_puts(Buf *b, const char *s) {
  buf_append(b, s, strlen(s));
}

void buf_putc(Buf *b, char c) {
  buf_append(b, &c, 1);
}

void buf_printf(Buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char tmp[256];
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  if ((size_t)n < sizeof tmp) {
    buf_append(b, tmp, (size_t)n);
    return;
  }
  buf_reserve(b, (size_t)n);
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

void buf_put_json_string(Buf *b, const char *s) {
  buf_putc(b, '"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      buf_puts(b, "\\\"");
      break;
    case '\\':
      buf_puts(b, "\\\\");
      break;
    case '\n':
      buf_puts(b, "\\n");
      break;
    case '\r':
      buf_puts(b, "\\r");
      break;
    case '\t':
      buf_puts(b, "\\t");
      break;
    default:
      if (*p < 0x20)
        buf_printf(b, "\\u%04x", *p);
      else
        buf_putc(b, (char)*p);
    }
  }
  buf_putc(b, '"');
}

void buf_reset(Buf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = 0;
}

void buf_free(Buf *b) {
  free(b->data);
  *b = (Buf)BUF_INIT;
}

char *buf_steal(Buf *b, size_t *ret_len) {
  if (!b->data)
    buf_reserve(b, 0);
  b->data[b->len] = 0;
  if (ret_len)
    *ret_len = b->len;
  char *d = b->data;
  *b = (Buf)BUF_INIT;
  return d;
}

void buf_put_go_byte(Buf *b, unsigned char c) {
  static const char esc[][3] = {
      ['"'] = "\\\"", ['\\'] = "\\\\", ['\a'] = "\\a", ['\b'] = "\\b", ['\f'] = "\\f",
      ['\n'] = "\\n", ['\r'] = "\\r",  ['\t'] = "\\t", ['\v'] = "\\v",
  };
  if (c < sizeof esc / sizeof esc[0] && esc[c][0])
    buf_append(b, esc[c], 2);
  else if (c < 0x20 || c == 0x7f)
    buf_printf(b, "\\x%02x", c);
  else
    buf_putc(b, (char)c);
}
