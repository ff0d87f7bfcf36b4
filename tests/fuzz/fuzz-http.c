/* libFuzzer target for the HTTP client's parsers (src/client/httpc-parse.c): response heads, the chunked
 * decoder and URLs. Besides crashes and leaks it checks what the client relies on: a head is only parsed
 * once httpc_head_length found its end, and its status is 100..999; the chunked decoder gives the same
 * payload and verdict whether the input comes in one piece or byte by byte, and never consumes more than it
 * was given; a URL that parses resolves "/" to a URL that parses again. */
#include <errno.h>
#include <stdint.h>

#include "client/httpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int collect(const char *p, size_t n, void *userdata) {
  buf_append(userdata, p, n);
  return 0;
}

static void check_chunked(const char *in, size_t len) {
  HttpcChunked a = HTTPC_CHUNKED_INIT, b = HTTPC_CHUNKED_INIT;
  Buf whole = BUF_INIT, bytes = BUF_INIT;
  size_t used_a = 0;
  int ra = httpc_chunked_feed(&a, in, len, &used_a, collect, &whole);
  if (used_a > len)
    abort();
  int rb = 0;
  size_t used_b = 0;
  for (size_t i = 0; i < len && rb == 0; i++) {
    size_t u = 0;
    rb = httpc_chunked_feed(&b, in + i, 1, &u, collect, &bytes);
    used_b += u;
  }
  if (ra != rb || (ra == 1 && used_a != used_b))
    abort();
  if (ra >= 0 && (whole.len != bytes.len || (whole.len && memcmp(whole.data, bytes.data, whole.len) != 0)))
    abort();
  buf_free(&whole);
  buf_free(&bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  size_t hl = httpc_head_length(in, size);
  if (hl > size)
    abort();
  if (hl) {
    HttpcHead h;
    if (httpc_head_parse(in, hl, &h) == 0) {
      if (h.status < 100 || h.status > 999)
        abort();
      (void)httpc_head_has_token(&h, "Connection", "close");
      httpc_head_done(&h);
    }
  }
  check_chunked(in, size);
  char *s = xstrndup(in, size);
  HttpcUrl u;
  if (httpc_url_parse(s, &u) == 0) {
    char *r = httpc_url_resolve(&u, "/x");
    HttpcUrl again;
    if (!r || httpc_url_parse(r, &again) < 0)
      abort();
    httpc_url_done(&again);
    free(r);
    httpc_url_done(&u);
  }
  free(s);
  return 0;
}
