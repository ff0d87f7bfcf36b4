/* Byte slices and a growable buffer. Buffers always keep a NUL after their content so that they can be
 * handed to libc functions, but the length is what counts. */
#pragma once

#include "base/util.h"

typedef struct Slice {
  const char *ptr;
  size_t len;
} Slice;

#define SLICE_STR(s) ((Slice){(s), strlen(s)})

typedef struct Buf {
  char *data;
  size_t len;
  size_t cap;
} Buf;

#define BUF_INIT                                                                                             \
  { 0 }

void buf_reserve(Buf *b, size_t extra);
void buf_append(Buf *b, const void *p, size_t n);
void buf_puts(Buf *b, const char *s);
void buf_putc(Buf *b, char c);
void buf_printf(Buf *b, const char *fmt, ...) _printf_(2, 3);
/* Appends s as a JSON string literal with quotes and escapes. */
void buf_put_json_string(Buf *b, const char *s);
/* One byte as Go's %q writes it inside quotes: \" \\ \a \b \f \n \r \t \v, other ASCII controls and DEL as
 * \xNN, anything else as is (callers decide about non-ASCII). */
void buf_put_go_byte(Buf *b, unsigned char c);
void buf_reset(Buf *b);
void buf_free(Buf *b);
/* Returns the data (NUL-terminated, never NULL) and leaves the buffer empty. */
char *buf_steal(Buf *b, size_t *ret_len);
static inline void buf_freep(Buf *b) {
  buf_free(b);
}
#define _cleanup_buf_ _cleanup_(buf_freep)
