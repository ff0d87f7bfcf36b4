/* A JSON decoder that builds jansson values (see jsonfast.h). jansson's own decoder reads its input one
 * character at a time through a stream with UTF-8 checks and copies every string byte by byte into a
 * growing buffer; here a string without escapes is checked with a tight loop and handed to jansson in one
 * piece, numbers are converted where they stand, and nothing is read twice. What it accepts and refuses is
 * jansson's (json_loadb with flags 0): RFC 8259 JSON with an object or array at the top, valid UTF-8, no
 * control characters or \u0000 in strings, integers within int64, finite reals, at most
 * JSON_PARSER_MAX_DEPTH levels, only whitespace after the value; a repeated key keeps its last value. One
 * difference: a NUL byte outside a string is refused, where jansson's reader drops one that follows a
 * literal or a number. */
#include "api/jsonfast.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

#ifndef JSON_PARSER_MAX_DEPTH
#define JSON_PARSER_MAX_DEPTH 2048
#endif

typedef struct Parser {
  const char *start, *p, *end;
  int depth;
  /* json_fast_loadb_drop: objects at drop_depth lose metadata.managedFields. meta_depth is the depth of
   * such an object's metadata while it is parsed (else 0); skipping > 0 while a dropped value is parsed:
   * it is checked as usual but nothing is built (every value is then json_null(), which costs nothing). */
  int drop_depth, meta_depth, skipping;
  Buf scratch; /* a string with escapes, decoded */
  json_error_t *err;
  bool failed;
} Parser;

static void fail(Parser *ps, const char *msg) {
  if (ps->failed)
    return;
  ps->failed = true;
  if (!ps->err)
    return;
  *ps->err = (json_error_t){.line = -1, .column = -1, .position = (int)(ps->p - ps->start)};
  snprintf(ps->err->text, sizeof ps->err->text, "%s", msg);
  snprintf(ps->err->source, sizeof ps->err->source, "<buffer>");
}

/* fail() with the position at q; false, for the string scanner to return. */
static bool fail_at(Parser *ps, const char *q, const char *msg) {
  ps->p = q;
  fail(ps, msg);
  return false;
}

static void skip_ws(Parser *ps) {
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
    ps->p++;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0: no overlong forms, no surrogates,
 * nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t len;
  unsigned min;
  unsigned cp;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2, min = 0x80, cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, min = 0x800, cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return len;
}

static int hex4(const char *s) {
  int v = 0;
  for (int i = 0; i < 4; i++) {
    char c = s[i];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

static void put_utf8(Buf *b, unsigned cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp, n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xc0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xe0 | (cp >> 12)), out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
  } else {
    out[0] = (char)(0xf0 | (cp >> 18)), out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
  }
  buf_append(b, out, n);
}

/* Decodes the string whose opening quote is at ps->p. *ret points into the input when there was no escape,
 * else into ps->scratch; *ret_len is its length. false on a malformed string. */
static bool scan_string(Parser *ps, const char **ret, size_t *ret_len) {
  const char *s = ++ps->p;
  const char *e = ps->end;
  /* The common case: printable ASCII up to the closing quote. */
  const char *q = s;
  while (q < e && (unsigned char)*q >= 0x20 && *q != '"' && *q != '\\' && (unsigned char)*q < 0x80)
    q++;
  if (q < e && *q == '"') {
    *ret = s;
    *ret_len = (size_t)(q - s);
    ps->p = q + 1;
    return true;
  }
  bool escaped = false;
  buf_reset(&ps->scratch);
  const char *run = s; /* bytes since the last escape, copied when the next one comes */
  while (q < e) {
    unsigned char c = (unsigned char)*q;
    if (c == '"') {
      if (escaped) {
        buf_append(&ps->scratch, run, (size_t)(q - run));
        *ret = ps->scratch.data ? ps->scratch.data : "";
        *ret_len = ps->scratch.len;
      } else {
        *ret = s;
        *ret_len = (size_t)(q - s);
      }
      ps->p = q + 1;
      return true;
    }
    if (c < 0x20) {
      return fail_at(ps, q, "control character in a string");
    }
    if (c >= 0x80) {
      size_t n = utf8_len((const unsigned char *)q, (size_t)(e - q));
      if (!n) {
        return fail_at(ps, q, "unable to decode byte in string");
      }
      q += n;
      continue;
    }
    if (c != '\\') {
      q++;
      continue;
    }
    escaped = true;
    buf_append(&ps->scratch, run, (size_t)(q - run));
    if (q + 1 >= e)
      break;
    char x = q[1];
    q += 2;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *m = x ? strchr(from, x) : NULL;
    if (m) {
      buf_putc(&ps->scratch, to[m - from]);
    } else if (x == 'u') {
      int v = e - q >= 4 ? hex4(q) : -1;
      if (v < 0) {
        return fail_at(ps, q, "invalid escape");
      }
      q += 4;
      unsigned cp = (unsigned)v;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        int lo = e - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2) : -1;
        if (lo < 0xdc00 || lo > 0xdfff) {
          return fail_at(ps, q, "invalid Unicode escape: a lone high surrogate");
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
        q += 6;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        return fail_at(ps, q, "invalid Unicode escape: a lone low surrogate");
      } else if (cp == 0) {
        return fail_at(ps, q, "\\u0000 is not allowed");
      }
      put_utf8(&ps->scratch, cp);
    } else {
      return fail_at(ps, q, "invalid escape");
    }
    run = q;
  }
  ps->p = e;
  fail(ps, "premature end of input in a string");
  return false;
}

/* Past the digits starting at q, of which there must be one at least (else NULL). */
static const char *digits(const char *q, const char *e) {
  const char *d = q;
  while (d < e && *d >= '0' && *d <= '9')
    d++;
  return d > q ? d : NULL;
}

static json_t *parse_number(Parser *ps) {
  const char *s = ps->p, *q = s, *e = ps->end;
  bool real = false;
  if (q < e && *q == '-')
    q++;
  if (q < e && *q == '0') {
    q++;
  } else if (q < e && *q >= '1' && *q <= '9') {
    while (q < e && *q >= '0' && *q <= '9')
      q++;
  } else {
    fail(ps, "invalid token");
    return NULL;
  }
  if (q < e && *q == '.') {
    real = true;
    q = digits(q + 1, e);
  }
  if (q && q < e && (*q == 'e' || *q == 'E')) {
    real = true;
    q++;
    if (q < e && (*q == '+' || *q == '-'))
      q++;
    q = digits(q, e);
  }
  if (!q) {
    fail(ps, "invalid number: digits expected");
    return NULL;
  }
  char tmp[64];
  size_t n = (size_t)(q - s);
  char *text = n < sizeof tmp ? tmp : malloc(n + 1);
  if (!text) {
    fail(ps, "out of memory");
    return NULL;
  }
  memcpy(text, s, n);
  text[n] = 0;
  json_t *v = NULL;
  errno = 0;
  if (!real) {
    long long i = strtoll(text, NULL, 10);
    if (errno == ERANGE)
      fail(ps, i < 0 ? "too big negative integer" : "too big integer");
    else
      v = ps->skipping ? json_null() : json_integer((json_int_t)i);
  } else {
    double d = strtod(text, NULL);
    if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
      fail(ps, "real number overflow");
    else
      v = ps->skipping ? json_null() : json_real(d);
  }
  if (text != tmp)
    free(text);
  ps->p = q;
  return v;
}

static bool literal(Parser *ps, const char *word, size_t n) {
  if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0) {
    fail(ps, "invalid token");
    return false;
  }
  ps->p += n;
  return true;
}

static json_t *parse_value(Parser *ps);

/* Consumes c, after whitespace, if it comes next. */
static bool eat(Parser *ps, char c) {
  skip_ws(ps);
  if (ps->p < ps->end && *ps->p == c) {
    ps->p++;
    return true;
  }
  return false;
}

/* After a member or an element: 1 for ',' (another follows), 0 for the closing character, -1 otherwise. */
static int next_or_close(Parser *ps, char close, const char *expected) {
  if (eat(ps, ','))
    return 1;
  if (eat(ps, close))
    return 0;
  fail(ps, expected);
  return -1;
}

/* The container when its closing character ended it (more == 0), else NULL (it is released). A skipped
 * container (c NULL) is json_null(). */
static json_t *closed(json_t *c, int more) {
  if (more == 0)
    return c ? c : json_null();
  json_decref(c);
  return NULL;
}

static bool key_is(const char *key, size_t key_len, const char *word) {
  size_t n = strlen(word);
  return key_len == n && memcmp(key, word, n) == 0;
}

/* Past a container's opening character: the new container in *ret, or NULL while skipping (nothing is
 * built). false when it cannot be allocated. */
static bool open_container(Parser *ps, json_t *(*make)(void), json_t **ret) {
  ps->p++;
  *ret = ps->skipping ? NULL : make();
  if (!ps->skipping && !*ret) {
    fail(ps, "out of memory");
    return false;
  }
  return true;
}

static json_t *parse_object(Parser *ps) {
  json_t *obj;
  if (!open_container(ps, json_object, &obj))
    return NULL;
  if (eat(ps, '}'))
    return closed(obj, 0);
  int more = -1;
  do {
    skip_ws(ps);
    if (ps->p >= ps->end || *ps->p != '"') {
      fail(ps, "string or '}' expected");
      break;
    }
    const char *key;
    size_t key_len;
    if (!scan_string(ps, &key, &key_len))
      break;
    /* The key may live in scratch, which the value's strings reuse: keep a copy if so. */
    char small[128];
    char *kcopy = NULL;
    if (key == ps->scratch.data) {
      kcopy = key_len < sizeof small ? small : malloc(key_len + 1);
      if (!kcopy) {
        fail(ps, "out of memory");
        break;
      }
      memcpy(kcopy, key, key_len);
      key = kcopy;
    }
    skip_ws(ps);
    json_t *v = NULL;
    /* The dropped member (metadata.managedFields of an object at drop_depth) is read, not kept. */
    bool metadata = ps->drop_depth && ps->depth == ps->drop_depth && key_is(key, key_len, "metadata");
    bool dropped = ps->meta_depth && ps->depth == ps->meta_depth && key_is(key, key_len, "managedFields");
    int outer_meta = ps->meta_depth;
    if (metadata)
      ps->meta_depth = ps->depth + 1;
    ps->skipping += dropped;
    if (ps->p >= ps->end || *ps->p != ':')
      fail(ps, "':' expected");
    else
      ps->p++, v = parse_value(ps);
    ps->skipping -= dropped;
    ps->meta_depth = metadata ? outer_meta : ps->meta_depth;
    /* A dropped value, or one parsed while skipping, is a singleton (null, true, false): nothing to release.
     */
    if (v && obj && !dropped && json_object_setn_new_nocheck(obj, key, key_len, v) < 0)
      fail(ps, "cannot add a key");
    if (kcopy && kcopy != small)
      free(kcopy);
    if (!v || ps->failed)
      break;
  } while ((more = next_or_close(ps, '}', "'}' expected")) > 0);
  return closed(obj, ps->failed ? -1 : more);
}

static json_t *parse_array(Parser *ps) {
  json_t *arr;
  if (!open_container(ps, json_array, &arr))
    return NULL;
  if (eat(ps, ']'))
    return closed(arr, 0);
  int more = -1;
  do {
    json_t *v = parse_value(ps); /* while skipping, a singleton (null, true, false): nothing to release */
    if (!v || (arr && json_array_append_new(arr, v) < 0)) {
      fail(ps, "cannot add an element"); /* (keeps the first failure) */
      break;
    }
  } while ((more = next_or_close(ps, ']', "']' expected")) > 0);
  return closed(arr, ps->failed ? -1 : more);
}

static json_t *parse_value_at_depth(Parser *ps) {
  skip_ws(ps);
  if (ps->p >= ps->end) {
    fail(ps, "'[' or '{' or a value expected near end of input");
    return NULL;
  }
  switch (*ps->p) {
  case '{':
    return parse_object(ps);
  case '[':
    return parse_array(ps);
  case '"': {
    const char *s;
    size_t n;
    if (!scan_string(ps, &s, &n))
      return NULL;
    return ps->skipping ? json_null() : json_stringn_nocheck(s, n);
  }
  case 't':
    return literal(ps, "true", 4) ? json_true() : NULL;
  case 'f':
    return literal(ps, "false", 5) ? json_false() : NULL;
  case 'n':
    return literal(ps, "null", 4) ? json_null() : NULL;
  default:
    return parse_number(ps);
  }
}

/* Every value counts one level, scalars included, as jansson counts them. */
static json_t *parse_value(Parser *ps) {
  if (++ps->depth > JSON_PARSER_MAX_DEPTH) {
    ps->depth--;
    fail(ps, "maximum parsing depth reached");
    return NULL;
  }
  json_t *v = parse_value_at_depth(ps);
  ps->depth--;
  return v;
}

json_t *json_fast_loadb(const char *buf, size_t len, json_error_t *err) {
  return json_fast_loadb_drop(buf, len, 0, err);
}

json_t *json_fast_loadb_drop(const char *buf, size_t len, int object_depth, json_error_t *err) {
  Parser ps = {.start = buf,
               .p = buf,
               .end = buf + len,
               .scratch = BUF_INIT,
               .err = err,
               .drop_depth = object_depth > 0 ? object_depth : 0};
  skip_ws(&ps);
  json_t *v = NULL;
  if (ps.p < ps.end && (*ps.p == '{' || *ps.p == '['))
    v = parse_value(&ps);
  else
    fail(&ps, "'[' or '{' expected");
  if (v) {
    skip_ws(&ps);
    if (ps.p != ps.end) {
      fail(&ps, "end of input expected");
      json_decref(v);
      v = NULL;
    }
  }
  buf_free(&ps.scratch);
  return v;
}

/* ---- encoding ----
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), byte for byte (test-jsonfast compares them), without
 * jansson's per-character output callback and the hash table it keeps of every open container to detect
 * cycles (values built here have none; a nest deeper than JSON_PARSER_MAX_DEPTH is handed to jansson,
 * which answers as it would). Strings are written as jansson writes them: ", \ and the control
 * characters escaped (\b \f \n \r \t, others \u00XX), everything else as is. One difference: a string
 * that is not valid UTF-8 (only json_string_nocheck makes one) makes jansson refuse the whole value; here its
 * bytes are written as they are. */

static void put_escaped(Buf *b, const char *s, size_t len) {
  static const char hex[] = "0123456789ABCDEF";
  buf_reserve(b, len + 2);
  b->data[b->len++] = '"';
  size_t run = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    buf_append(b, s + run, i - run);
    run = i + 1;
    char e[6] = {'\\', 0};
    size_t n = 2;
    switch (c) {
    case '"':
    case '\\':
      e[1] = (char)c;
      break;
    case '\b':
      e[1] = 'b';
      break;
    case '\f':
      e[1] = 'f';
      break;
    case '\n':
      e[1] = 'n';
      break;
    case '\r':
      e[1] = 'r';
      break;
    case '\t':
      e[1] = 't';
      break;
    default:
      memcpy(e + 1, "u00", 3);
      e[4] = hex[c >> 4];
      e[5] = hex[c & 15];
      n = 6;
      break;
    }
    buf_append(b, e, n);
  }
  buf_append(b, s + run, len - run);
  buf_putc(b, '"');
}

static void put_integer(Buf *b, json_int_t v) {
  char tmp[24], *p = tmp + sizeof tmp;
  unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
  do
    *--p = (char)('0' + u % 10);
  while ((u /= 10));
  if (v < 0)
    *--p = '-';
  buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

/* false if v cannot be written here (too deep, or a kind jansson refuses): the caller asks jansson. */
static bool put_value(Buf *b, const json_t *v, int depth) {
  if (depth > JSON_PARSER_MAX_DEPTH)
    return false;
  switch (json_typeof(v)) {
  case JSON_NULL:
    buf_append(b, "null", 4);
    return true;
  case JSON_TRUE:
    buf_append(b, "true", 4);
    return true;
  case JSON_FALSE:
    buf_append(b, "false", 5);
    return true;
  case JSON_INTEGER:
    put_integer(b, json_integer_value(v));
    return true;
  case JSON_REAL: {
    /* Rare in API objects, and jansson's formatting (%.17g, then its own fixes) is the reference. */
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!text)
      return false;
    buf_puts(b, text);
    free(text);
    return true;
  }
  case JSON_STRING:
    put_escaped(b, json_string_value(v), json_string_length(v));
    return true;
  case JSON_ARRAY: {
    buf_putc(b, '[');
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
      if (i)
        buf_putc(b, ',');
      if (!put_value(b, json_array_get(v, i), depth + 1))
        return false;
    }
    buf_putc(b, ']');
    return true;
  }
  case JSON_OBJECT: {
    buf_putc(b, '{');
    bool first = true;
    for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
      if (!first)
        buf_putc(b, ',');
      first = false;
      put_escaped(b, json_object_iter_key(it), json_object_iter_key_len(it));
      buf_putc(b, ':');
      if (!put_value(b, json_object_iter_value(it), depth + 1))
        return false;
    }
    buf_putc(b, '}');
    return true;
  }
  }
  return false;
}

char *json_fast_dumps(const json_t *v, size_t *ret_len) {
  if (!v)
    return NULL;
  Buf b = BUF_INIT;
  if (!put_value(&b, v, 0)) {
    buf_free(&b);
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (text && ret_len)
      *ret_len = strlen(text);
    return text;
  }
  return buf_steal(&b, ret_len);
}
