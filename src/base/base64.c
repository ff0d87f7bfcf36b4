/* Base64 implementation (see base64.h). */
#include "base/base64.h"

#include <errno.h>

char *base64_encode(const void *data, size_t len, bool url) {
  const char *abc = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                        : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const uint8_t *p = data;
  char *out = xmalloc(4 * ((len + 2) / 3) + 1), *o = out;
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    *o++ = abc[v >> 18];
    *o++ = abc[(v >> 12) & 63];
    *o++ = abc[(v >> 6) & 63];
    *o++ = abc[v & 63];
  }
  if (i < len) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
    *o++ = abc[v >> 18];
    *o++ = abc[(v >> 12) & 63];
    if (i + 1 < len)
      *o++ = abc[(v >> 6) & 63];
    else if (!url)
      *o++ = '=';
    if (!url)
      *o++ = '=';
  }
  *o = 0;
  return out;
}

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

int base64_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len) {
  while (len > 0 && s[len - 1] == '=')
    len--;
  if (len % 4 == 1)
    return -EINVAL;
  uint8_t *out = xmalloc(len * 3 / 4 + 1);
  size_t n = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_value(s[i]);
    if (v < 0) {
      free(out);
      return -EINVAL;
    }
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  *ret = out;
  *ret_len = n;
  return 0;
}

char *base64_decode_string(const char *s) {
  if (!s)
    return NULL;
  uint8_t *raw = NULL;
  size_t n = 0;
  if (base64_decode(s, strlen(s), &raw, &n) < 0)
    return NULL;
  char *r = xstrndup((const char *)raw, n);
  free(raw);
  return r;
}
