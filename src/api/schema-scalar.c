/* The scalar syntaxes strict decoding checks, with the messages kube-apiserver gives when they fail
 * (resource.Quantity has its own module, quantity.c): RFC 3339 times as Go's time.Parse reads them for
 * metav1.Time and MicroTime (element by element, so that the error names the element that failed), Go
 * durations, and base64 as Go's StdEncoding decodes []byte fields (the offset of the first bad byte is
 * part of the message users see for a Secret with plain-text data). Also the two Go formatting rules the
 * messages need: strconv.Quote for strings and encoding/json's rendering of a float64. These
 * re-implement documented behaviour; no Go code is involved. */
#include <stdarg.h>

#include "api/schema-internal.h"
#include "base/buf.h"

/* ---- Go formatting ---- */

void schema_go_quote(Buf *b, const char *s) {
  buf_putc(b, '"');
  /* jansson hands out valid UTF-8, which Go keeps as is; only ASCII controls are escaped. */
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    buf_put_go_byte(b, *p);
  buf_putc(b, '"');
}

/* x with the shortest digits that read back the same, in one of Go's two notations: encoding/json's
 * (json: exponent form outside 1e-6 <= |x| < 1e21, "1e+21", "1e-7") or fmt's %v (strconv 'g': exponent
 * form when the decimal exponent is below -4 or at least 6, "1e+06", "1.5e-05"). */
static void go_float(Buf *b, double x, bool json) {
  char tmp[64], digits[32];
  int prec, exp10;

  if (x == 0) {
    buf_putc(b, '0');
    return;
  }
  for (prec = 0; prec < 17; prec++) {
    snprintf(tmp, sizeof(tmp), "%.*e", prec, x);
    if (strtod(tmp, NULL) == x)
      break;
  }
  snprintf(tmp, sizeof(tmp), "%.*e", prec, x);
  /* tmp is "-d.ddde+XX": collect the digits and the exponent. */
  const char *p = tmp;
  size_t n = 0;
  if (*p == '-') {
    buf_putc(b, '-');
    p++;
  }
  for (; *p && *p != 'e'; p++)
    if (*p != '.')
      digits[n++] = *p;
  digits[n] = 0;
  exp10 = atoi(p + 1);
  while (n > 1 && digits[n - 1] == '0')
    digits[--n] = 0;

  double ax = x < 0 ? -x : x;
  if (json ? ax < 1e-6 || ax >= 1e21 : exp10 < -4 || exp10 >= 6) {
    buf_putc(b, digits[0]);
    if (n > 1) {
      buf_putc(b, '.');
      buf_puts(b, digits + 1);
    }
    buf_printf(b, "e%c%0*d", exp10 < 0 ? '-' : '+', json && exp10 < 0 ? 1 : 2, abs(exp10));
    return;
  }
  if (exp10 < 0) {
    buf_puts(b, "0.");
    for (int i = -1; i > exp10; i--)
      buf_putc(b, '0');
    buf_puts(b, digits);
    return;
  }
  for (int i = 0; i <= exp10; i++)
    buf_putc(b, (size_t)i < n ? digits[i] : '0');
  if ((size_t)exp10 + 1 < n) {
    buf_putc(b, '.');
    buf_puts(b, digits + exp10 + 1);
  }
}

/* A float64 as encoding/json writes it (what a YAML number becomes on its way to JSON in kubectl and the
 * API server). */
void schema_go_format_float(Buf *b, double x) {
  go_float(b, x, true);
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* A float64 as Go's fmt prints it with %v. */
static void go_format_float_v(Buf *b, double x) {
  go_float(b, x, false);
}

static int key_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void go_sprint(Buf *b, json_t *v, unsigned depth) {
  if (depth > 128) {
    buf_puts(b, "...");
    return;
  }
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    /* fmt prints maps with their keys sorted. */
    size_t n = json_object_size(v), i = 0;
    _cleanup_free_ const char **keys = xcalloc(n ? n : 1, sizeof *keys);
    const char *key;
    json_t *e;
    json_object_foreach(v, key, e) keys[i++] = key;
    qsort(keys, n, sizeof *keys, key_cmp);
    buf_puts(b, "map[");
    for (i = 0; i < n; i++) {
      if (i > 0)
        buf_putc(b, ' ');
      buf_printf(b, "%s:", keys[i]);
      go_sprint(b, json_object_get(v, keys[i]), depth + 1);
    }
    buf_putc(b, ']');
    break;
  }
  case JSON_ARRAY: {
    size_t i;
    json_t *e;
    buf_putc(b, '[');
    json_array_foreach(v, i, e) {
      if (i > 0)
        buf_putc(b, ' ');
      go_sprint(b, e, depth + 1);
    }
    buf_putc(b, ']');
    break;
  }
  case JSON_STRING:
    buf_append(b, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER:
    buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    break;
  case JSON_REAL:
    go_format_float_v(b, json_real_value(v));
    break;
  case JSON_TRUE:
    buf_puts(b, "true");
    break;
  case JSON_FALSE:
    buf_puts(b, "false");
    break;
  default:
    buf_puts(b, "<nil>");
  }
}

char *schema_go_sprint(json_t *v) {
  _cleanup_buf_ Buf b = BUF_INIT;
  go_sprint(&b, v, 0);
  return buf_steal(&b, NULL);
}

/* ---- RFC 3339 as Go's time.Parse reads it ---- */

typedef enum TimeElem {
  TE_YEAR,   /* "2006" */
  TE_MONTH,  /* "01" */
  TE_DAY,    /* "02" */
  TE_HOUR,   /* "15": one or two digits */
  TE_MINUTE, /* "04" */
  TE_SECOND, /* "05", and a fraction the layout does not mention */
  TE_MICRO,  /* ".000000": exactly six digits */
  TE_ZONE,   /* "Z07:00" */
} TimeElem;

typedef struct TimeChunk {
  const char *prefix; /* literal before the element */
  const char *layout; /* how the layout spells the element */
  TimeElem elem;
} TimeChunk;

static const TimeChunk rfc3339[] = {
    {"", "2006", TE_YEAR},  {"-", "01", TE_MONTH},  {"-", "02", TE_DAY},     {"T", "15", TE_HOUR},
    {":", "04", TE_MINUTE}, {":", "05", TE_SECOND}, {"", "Z07:00", TE_ZONE},
};
static const TimeChunk rfc3339_micro[] = {
    {"", "2006", TE_YEAR},  {"-", "01", TE_MONTH},  {"-", "02", TE_DAY},       {"T", "15", TE_HOUR},
    {":", "04", TE_MINUTE}, {":", "05", TE_SECOND}, {"", ".000000", TE_MICRO}, {"", "Z07:00", TE_ZONE},
};

/* getnum: one or two digits (exactly two when fixed). */
static int time_num(const char **v, bool fixed, int *ret) {
  const char *s = *v;
  if (!is_digit(s[0]))
    return -1;
  if (!is_digit(s[1])) {
    if (fixed)
      return -1;
    *ret = s[0] - '0';
    *v = s + 1;
    return 0;
  }
  *ret = (s[0] - '0') * 10 + (s[1] - '0');
  *v = s + 2;
  return 0;
}

static int days_in(int month, int year) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : days[month - 1];
}

static char *time_error(const char *value, const char *layout, const char *value_elem,
                        const char *layout_elem, const char *message) {
  _cleanup_buf_ Buf b = BUF_INIT;
  buf_puts(&b, "parsing time ");
  schema_go_quote(&b, value);
  if (message)
    buf_puts(&b, message);
  else {
    buf_puts(&b, " as ");
    schema_go_quote(&b, layout);
    buf_puts(&b, ": cannot parse ");
    schema_go_quote(&b, value_elem);
    buf_puts(&b, " as ");
    schema_go_quote(&b, layout_elem);
  }
  return buf_steal(&b, NULL);
}

char *schema_time_error(const char *value, bool micro) {
  const char *layout = micro ? "2006-01-02T15:04:05.000000Z07:00" : "2006-01-02T15:04:05Z07:00";
  const TimeChunk *chunks = micro ? rfc3339_micro : rfc3339;
  size_t n_chunks = micro ? ELEMENTSOF(rfc3339_micro) : ELEMENTSOF(rfc3339);
  const char *v = value;
  int year = 0, month = 1, day = 1, x;

  for (size_t i = 0; i < n_chunks; i++) {
    const TimeChunk *c = &chunks[i];
    if (c->prefix[0]) {
      if (*v != c->prefix[0])
        return time_error(value, layout, v, c->prefix, NULL);
      v++;
    }
    const char *hold = v, *range = NULL;
    bool bad = false;
    switch (c->elem) {
    case TE_YEAR:
      bad = strlen(v) < 4 || !is_digit(v[0]) || !is_digit(v[1]) || !is_digit(v[2]) || !is_digit(v[3]);
      if (!bad) {
        year = atoi((char[5]){v[0], v[1], v[2], v[3], 0});
        v += 4;
      }
      break;
    case TE_MONTH:
      bad = time_num(&v, true, &month) < 0;
      if (!bad && (month < 1 || month > 12))
        range = ": month out of range";
      break;
    case TE_DAY:
      bad = time_num(&v, true, &day) < 0;
      break;
    case TE_HOUR:
      bad = time_num(&v, false, &x) < 0;
      if (!bad && x >= 24)
        range = ": hour out of range";
      break;
    case TE_MINUTE:
      bad = time_num(&v, true, &x) < 0;
      if (!bad && x >= 60)
        range = ": minute out of range";
      break;
    case TE_SECOND:
      bad = time_num(&v, true, &x) < 0;
      if (!bad && x >= 60)
        range = ": second out of range";
      /* A fraction is accepted even where the layout has none, unless the layout's next element is one. */
      if (!bad && !range && !micro && (v[0] == '.' || v[0] == ',') && is_digit(v[1]))
        for (v++; is_digit(*v); v++)
          ;
      break;
    case TE_MICRO:
      bad = strlen(v) < 7 || (v[0] != '.' && v[0] != ',');
      for (int k = 1; !bad && k < 7; k++)
        bad = !is_digit(v[k]);
      if (!bad)
        v += 7;
      break;
    case TE_ZONE:
      if (v[0] == 'Z') {
        v++;
        break;
      }
      bad = strlen(v) < 6 || v[3] != ':' || (v[0] != '+' && v[0] != '-');
      if (!bad) {
        const char *h = v + 1, *m = v + 4;
        int hh, mm;
        bad = time_num(&h, true, &hh) < 0 || time_num(&m, true, &mm) < 0;
        if (!bad && hh > 24)
          range = ": time zone offset hour out of range";
        else if (!bad && mm > 60)
          range = ": time zone offset minute out of range";
        v += 6;
      }
      break;
    }
    if (range)
      return time_error(value, layout, NULL, NULL, range);
    if (bad)
      return time_error(value, layout, hold, c->layout, NULL);
  }
  if (*v) {
    _cleanup_buf_ Buf extra = BUF_INIT;
    buf_puts(&extra, ": extra text: ");
    schema_go_quote(&extra, v);
    return time_error(value, layout, NULL, NULL, extra.data);
  }
  if (day < 1 || day > days_in(month, year))
    return time_error(value, layout, NULL, NULL, ": day out of range");
  return NULL;
}

/* ---- Go durations ---- */

char *schema_duration_error(const char *value) {
  static const char *const units[] = {"ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h"};
  _cleanup_buf_ Buf b = BUF_INIT;
  const char *s = value;

  if (*s == '-' || *s == '+')
    s++;
  if (streq(s, "0"))
    return NULL;
  if (!*s)
    goto invalid;
  while (*s) {
    bool pre = false, post = false;
    if (*s != '.' && !is_digit(*s))
      goto invalid;
    for (; is_digit(*s); s++)
      pre = true;
    if (*s == '.')
      for (s++; is_digit(*s); s++)
        post = true;
    if (!pre && !post)
      goto invalid;
    const char *u = s;
    while (*s && *s != '.' && !is_digit(*s))
      s++;
    if (s == u) {
      buf_puts(&b, "time: missing unit in duration ");
      schema_go_quote(&b, value);
      return buf_steal(&b, NULL);
    }
    bool known = false;
    for (size_t i = 0; i < ELEMENTSOF(units); i++)
      known = known || ((size_t)(s - u) == strlen(units[i]) && strncmp(u, units[i], (size_t)(s - u)) == 0);
    if (!known) {
      _cleanup_free_ char *unit = xstrndup(u, (size_t)(s - u));
      buf_puts(&b, "time: unknown unit ");
      schema_go_quote(&b, unit);
      buf_puts(&b, " in duration ");
      schema_go_quote(&b, value);
      return buf_steal(&b, NULL);
    }
  }
  return NULL;
invalid:
  buf_puts(&b, "time: invalid duration ");
  schema_go_quote(&b, value);
  return buf_steal(&b, NULL);
}

/* ---- base64 as Go's StdEncoding.Decode reads it ---- */

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Quantum by quantum: newlines are skipped anywhere, a quantum cut short by the end of the input is an
 * error at its first byte (one byte) or where it started, padding must complete the quantum and end the
 * input. The offsets are those of Go's CorruptInputError. */
long schema_base64_error_offset(const char *s, size_t len) {
  size_t si = 0;

  for (;;) {
    size_t j;
    for (j = 0; j < 4; j++) {
      if (si == len) {
        if (j == 0)
          return -1;
        return (long)(si - j);
      }
      unsigned char in = (unsigned char)s[si++];
      if (b64_value(in) >= 0)
        continue;
      if (in == '\n' || in == '\r') {
        j--;
        continue;
      }
      if (in != '=' || j < 2)
        return (long)(si - 1);
      if (j == 2) {
        /* "==" expected: the second '=' may come after newlines. */
        while (si < len && (s[si] == '\n' || s[si] == '\r'))
          si++;
        if (si == len)
          return (long)len;
        if (s[si] != '=')
          return (long)(si - 1);
        si++;
      }
      while (si < len && (s[si] == '\n' || s[si] == '\r'))
        si++;
      return si < len ? (long)si : -1;
    }
  }
}
