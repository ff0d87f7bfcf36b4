/* Base64 (RFC 4648) encoding and decoding, standard and URL-safe alphabets. */
#pragma once

#include "base/util.h"

/* Returns a NUL-terminated encoding (padded for the standard alphabet, unpadded for url). */
char *base64_encode(const void *data, size_t len, bool url);
/* Decodes either alphabet, padding optional, no whitespace. -EINVAL on bad input. */
int base64_decode(const char *s, size_t len, uint8_t **ret, size_t *ret_len);
/* Decodes s (NUL-terminated) into a new NUL-terminated string (text such as PEM held base64 in JSON);
 * NULL when s is NULL or not base64. */
char *base64_decode_string(const char *s);
