/* Kubernetes resource quantities (see quantity.h). ParseQuantity in k8s.io/apimachinery has two paths: a
 * fast one for inputs of at most 18 digits that land on a nano multiple, kept as int64 and — when the
 * spelling already looks canonical — remembered verbatim, and a slow one through inf.Dec that rounds up
 * to nano units and caps BinarySI. Both compute the same exact value; which path an input takes decides
 * only two things users can see: whether it is re-emitted as written, and whether a digit-less input
 * ("Pi", "e-10") is an error. So the parser below mirrors the path decision from lengths and suffix alone
 * and computes every value one exact way: decimal digit strings with a base-10 exponent, rounding done by
 * truncation plus a "some dropped digit was non-zero" flag. */
#include "api/quantity.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#define ERR_FORMAT                                                                                           \
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define ERR_NUMERIC "unable to parse numeric part of quantity"
#define ERR_SUFFIX "unable to parse quantity's suffix"

/* Values round up to this power of ten (Kubernetes' Nano scale). */
#define NANO_EXP (-9)
/* A BinarySI numeral keeps this many fraction digits exactly; see binary_value() for why that suffices. */
#define BINARY_FRACTION_DIGITS (9 + 60)

static const char *const format_names[_QUANTITY_FORMAT_MAX] = {
    [QUANTITY_DECIMAL_SI] = "DecimalSI",
    [QUANTITY_BINARY_SI] = "BinarySI",
    [QUANTITY_DECIMAL_EXPONENT] = "DecimalExponent",
};

const char *quantity_format_to_string(QuantityFormat f) {
  if (f < 0 || f >= _QUANTITY_FORMAT_MAX)
    return NULL;
  return format_names[f];
}

QuantityFormat quantity_format_from_string(const char *s) {
  for (int i = 0; s && i < _QUANTITY_FORMAT_MAX; i++)
    if (streq(s, format_names[i]))
      return (QuantityFormat)i;
  return _QUANTITY_FORMAT_INVALID;
}

static bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* ---------------------------------------------------------------- scanning */

/* The pieces parseQuantityString finds. Go's num is "0" when no integer digit survives the leading-zero
 * strip; here n_num is then 0 and callers use num_len() where Go's length matters. */
typedef struct Scan {
  bool negative;
  const char *num; /* integer digits after leading zeros */
  size_t n_num;
  const char *denom; /* fraction digits, trailing zeros included */
  size_t n_denom;
  const char *suffix;
  size_t n_suffix;
  bool has_digit; /* Kubernetes' "value" substring holds a digit, so inf.Dec could read it */
} Scan;

static size_t num_len(const Scan *sc) {
  return sc->n_num ? sc->n_num : 1;
}

static int scan_quantity(const char *s, size_t n, Scan *ret, Error *err) {
  static const char suffix_chars[] = "eEinumkKMGTP";
  Scan sc = {.num = "", .denom = "", .suffix = ""};
  size_t pos = 0;

  if (n > 0 && (s[0] == '-' || s[0] == '+')) {
    sc.negative = s[0] == '-';
    pos++;
  }
  size_t zeros = pos;
  while (pos < n && s[pos] == '0')
    pos++;
  if (pos == n) {
    /* Only zeros (or nothing) after the sign: Kubernetes stops here with value "0", so "-" and "+" are 0. */
    sc.has_digit = true;
    *ret = sc;
    return 0;
  }
  bool stripped = pos > zeros;

  sc.num = s + pos;
  while (pos < n && is_digit(s[pos]))
    pos++;
  sc.n_num = (size_t)(s + pos - sc.num);
  if (pos < n && s[pos] == '.') {
    pos++;
    sc.denom = s + pos;
    while (pos < n && is_digit(s[pos]))
      pos++;
    sc.n_denom = (size_t)(s + pos - sc.denom);
  }
  sc.has_digit = stripped || sc.n_num > 0 || sc.n_denom > 0;

  /* The suffix: letters from the set, then an optional sign and digits, up to the end. */
  sc.suffix = s + pos;
  while (pos < n && memchr(suffix_chars, s[pos], sizeof suffix_chars - 1))
    pos++;
  if (pos < n && (s[pos] == '-' || s[pos] == '+'))
    pos++;
  while (pos < n && is_digit(s[pos]))
    pos++;
  if (pos < n)
    return error_set(err, -EBADMSG, NULL, ERR_FORMAT);
  sc.n_suffix = (size_t)(s + n - sc.suffix);
  *ret = sc;
  return 0;
}

/* strconv.ParseInt(s, 10, 64): optional sign, at least one digit, nothing else, within int64. */
static bool go_parse_int64(const char *s, size_t n, int64_t *ret) {
  bool neg = false;
  size_t i = 0;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i++;
  }
  if (i == n)
    return false;
  uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
  for (; i < n; i++) {
    if (!is_digit(s[i]))
      return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (limit - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

typedef struct Suffix {
  int base; /* 10 or 2 */
  int32_t exponent;
  QuantityFormat format;
} Suffix;

static bool interpret_suffix(const char *s, size_t n, Suffix *ret) {
  static const struct {
    const char *name;
    int8_t exponent;
  } decimal[] = {{"", 0},  {"n", -9}, {"u", -6}, {"m", -3}, {"k", 3},
                 {"M", 6}, {"G", 9},  {"T", 12}, {"P", 15}, {"E", 18}},
    binary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30}, {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};

  for (size_t i = 0; i < ELEMENTSOF(decimal); i++)
    if (strlen(decimal[i].name) == n && !memcmp(s, decimal[i].name, n)) {
      *ret = (Suffix){10, decimal[i].exponent, QUANTITY_DECIMAL_SI};
      return true;
    }
  for (size_t i = 0; i < ELEMENTSOF(binary); i++)
    if (n == 2 && !memcmp(s, binary[i].name, 2)) {
      *ret = (Suffix){2, binary[i].exponent, QUANTITY_BINARY_SI};
      return true;
    }
  int64_t e;
  if (n > 1 && (s[0] == 'e' || s[0] == 'E') && go_parse_int64(s + 1, n - 1, &e)) {
    /* Kubernetes keeps int32(e): "1e4294967297" is 1e1. Spelled out to stay clear of implementation-
     * defined conversions. */
    uint32_t low = (uint32_t)(uint64_t)e;
    int32_t wrapped = low <= INT32_MAX ? (int32_t)low : -(int32_t)(UINT32_MAX - low) - 1;
    *ret = (Suffix){10, wrapped, QUANTITY_DECIMAL_EXPONENT};
    return true;
  }
  return false;
}

/* ---------------------------------------------------------------- exact digit arithmetic */

/* Collects the significant digits of a value from most to least significant. Zeros are counted rather
 * than stored until a non-zero digit follows, so "1" and a hundred zeros needs one stored digit. */
typedef struct Sink {
  char d[QUANTITY_MAX_DIGITS];
  size_t n;
  uint64_t zeros; /* zeros after d[] */
  bool overflow;  /* more than QUANTITY_MAX_DIGITS significant digits */
} Sink;

static void sink_push(Sink *k, char c) {
  if (c == '0') {
    if (k->n > 0)
      k->zeros++;
    return;
  }
  if (k->zeros + 1 > QUANTITY_MAX_DIGITS - k->n) {
    k->overflow = true;
    return;
  }
  memset(k->d + k->n, '0', k->zeros);
  k->n += k->zeros;
  k->zeros = 0;
  k->d[k->n++] = c;
}

/* Adds one unit in the last pushed position: the "round away from zero" step. */
static void sink_increment(Sink *k) {
  if (k->n == 0 || k->zeros > 0) {
    if (k->zeros > 0)
      k->zeros--;
    sink_push(k, '1');
    return;
  }
  size_t i = k->n;
  while (i > 0 && k->d[i - 1] == '9')
    i--;
  /* Digits after i carried over to zeros, which are now trailing. */
  k->zeros += k->n - i;
  if (i == 0) {
    k->d[0] = '1'; /* 99 + 1: a new leading digit, the old ones all carried to trailing zeros */
    k->n = 1;
  } else {
    k->d[i - 1]++;
    k->n = i;
  }
}

typedef struct Segment {
  const char *p;
  size_t n;
} Segment;

/* Pushes a numeral made of the concatenated segments, whose last digit has weight 10^last_exp, keeping
 * the digits of weight >= 10^-9 and recording whether a dropped digit was non-zero. Returns the exponent
 * of the last kept position (-9 when anything was dropped or nothing was kept). */
static int64_t sink_feed(Sink *k, const Segment *segs, size_t n_segs, int64_t last_exp, bool *sticky) {
  int64_t len = 0;
  for (size_t s = 0; s < n_segs; s++)
    len += (int64_t)segs[s].n;
  /* Digit i (from the left) has weight 10^(last_exp + len - 1 - i). */
  int64_t keep = last_exp + len - NANO_EXP;
  keep = keep < 0 ? 0 : keep > len ? len : keep;
  int64_t i = 0;
  for (size_t s = 0; s < n_segs; s++)
    for (size_t j = 0; j < segs[s].n; j++, i++) {
      if (i < keep)
        sink_push(k, segs[s].p[j]);
      else if (segs[s].p[j] != '0')
        *sticky = true;
    }
  return keep == len ? last_exp : NANO_EXP;
}

/* Magnitude comparison of two digit strings with exponents (no leading or trailing zeros). */
static int mag_cmp(const char *ad, size_t an, int64_t ae, const char *bd, size_t bn, int64_t be) {
  if (an == 0 || bn == 0)
    return (an > 0) - (bn > 0);
  int64_t at = ae + (int64_t)an, bt = be + (int64_t)bn; /* one past the leading digit's exponent */
  if (at != bt)
    return at < bt ? -1 : 1;
  size_t m = MIN(an, bn);
  int c = memcmp(ad, bd, m);
  if (c != 0)
    return c < 0 ? -1 : 1;
  return (an > m) - (bn > m);
}

static const char MAX_INT64_DIGITS[] = "9223372036854775807";

/* The value of a BinarySI numeral: num.denom * 2^e, rounded up to nano units. Beyond 69 fraction digits
 * only "was anything non-zero" matters. Cut the numeral after 69 fraction digits and write it as the
 * integer A over 10^69: in nano units the kept part is A * 2^e / 10^60. 2^e (e <= 60) divides both A * 2^e
 * and 10^60, so the remainder of that division is a multiple of 2^e, at most 10^60 - 2^e, while the cut
 * tail adds less than 2^e. The tail can therefore never carry into the next nano unit; it only decides
 * whether there is a remainder at all, exactly like a dropped non-zero digit. */
static int64_t binary_value(Sink *k, const Scan *sc, int32_t e, bool *sticky) {
  /* Right-aligned so that multiplying can grow the number to the left. */
  char buf[19 + BINARY_FRACTION_DIGITS + 24];
  size_t end = sizeof buf, start = end;
  size_t frac = MIN(sc->n_denom, (size_t)BINARY_FRACTION_DIGITS);

  start -= sc->n_num + frac;
  memcpy(buf + start, sc->num, sc->n_num);
  memcpy(buf + start + sc->n_num, sc->denom, frac);
  for (size_t i = frac; i < sc->n_denom; i++)
    if (sc->denom[i] != '0')
      *sticky = true;

  for (int32_t m = 0; m < e; m += 10) {
    unsigned carry = 0;
    for (size_t i = end; i > start; i--) {
      unsigned v = (unsigned)(buf[i - 1] - '0') * 1024 + carry;
      buf[i - 1] = (char)('0' + v % 10);
      carry = v / 10;
    }
    for (; carry > 0; carry /= 10)
      buf[--start] = (char)('0' + carry % 10);
  }
  Segment seg = {buf + start, end - start};
  return sink_feed(k, &seg, 1, -(int64_t)frac, sticky);
}

/* ---------------------------------------------------------------- parsing */

/* Whether Kubernetes' fast path stores the input string as the serialized form. */
static bool kept_verbatim(const Scan *sc, const Suffix *sfx, int64_t scale) {
  if (sfx->format == QUANTITY_BINARY_SI) {
    /* value&0x07 != 0 on the numeral: 1000 is a multiple of 8, so its last three digits decide. */
    unsigned last3 = 0, mul = 1;
    for (size_t i = sc->n_num; i > 0 && mul < 1000; i--, mul *= 10)
      last3 += (unsigned)(sc->num[i - 1] - '0') * mul;
    return last3 % 8 != 0;
  }
  if (scale % 3 != 0 || sc->n_num == 0) /* n_num == 0: Go's shifted starts with '0' */
    return false;
  /* !strings.HasSuffix(num+denom, "000") */
  size_t total = sc->n_num + sc->n_denom;
  if (total < 3)
    return true;
  for (size_t i = total - 3; i < total; i++) {
    char c = i < sc->n_num ? sc->num[i] : sc->denom[i - sc->n_num];
    if (c != '0')
      return true;
  }
  return false;
}

static int parse_quantity(const char *s, size_t n, Quantity *ret, Error *err) {
  Scan sc = {0};
  Suffix sfx;
  int r;

  if (n == 0)
    return error_set(err, -EBADMSG, NULL, ERR_FORMAT);
  if ((r = scan_quantity(s, n, &sc, err)) < 0)
    return r;
  if (!interpret_suffix(sc.suffix, sc.n_suffix, &sfx))
    return error_set(err, -EBADMSG, NULL, ERR_SUFFIX);

  /* Kubernetes' path decision: "precision" is how many more digits an int64 could hold. */
  bool fast;
  int64_t scale = 0;
  if (sfx.base == 10) {
    scale = (int64_t)sfx.exponent - (int64_t)sc.n_denom;
    fast = 18 - (int64_t)(num_len(&sc) + sc.n_denom) >= 0 && scale >= NANO_EXP;
  } else {
    fast = sc.n_denom == 0 && 14 - (int64_t)num_len(&sc) - sfx.exponent * 3 / 10 >= 0;
  }
  if (!fast && !sc.has_digit)
    return error_set(err, -EBADMSG, NULL, ERR_NUMERIC); /* inf.Dec.SetString("Pi"'s empty numeral) fails */

  Sink k = {0};
  bool sticky = false;
  int64_t last_exp;
  if (sfx.base == 2 && sc.n_num > 19) {
    /* At least 10^19 before the suffix: over 2^63-1, so only the cap matters. */
    for (const char *c = MAX_INT64_DIGITS; *c; c++)
      sink_push(&k, *c);
    last_exp = 0;
  } else if (sfx.base == 2) {
    last_exp = binary_value(&k, &sc, sfx.exponent, &sticky);
  } else {
    Segment segs[] = {{sc.num, sc.n_num}, {sc.denom, sc.n_denom}};
    last_exp = sink_feed(&k, segs, ELEMENTSOF(segs), scale, &sticky);
  }
  if (sticky)
    sink_increment(&k);
  if (k.overflow)
    return error_set(err, -EBADMSG, NULL, "quantity has more than %d significant digits",
                     QUANTITY_MAX_DIGITS);

  Quantity q = {.format = sfx.format, .negative = sc.negative && k.n > 0};
  int64_t exponent = k.n > 0 ? last_exp + (int64_t)k.zeros : 0;
  if (exponent > INT32_MAX)
    return error_set(err, -EBADMSG, NULL, "quantity exponent is out of range");

  if (q.format == QUANTITY_BINARY_SI) {
    if (mag_cmp(k.d, k.n, exponent, MAX_INT64_DIGITS, strlen(MAX_INT64_DIGITS), 0) > 0) {
      memcpy(k.d, MAX_INT64_DIGITS, strlen(MAX_INT64_DIGITS));
      k.n = strlen(MAX_INT64_DIGITS);
      exponent = 0;
    }
    /* A fraction of one cannot be spelled in binary units. */
    if (k.n > 0 && exponent + (int64_t)k.n <= 0)
      q.format = QUANTITY_DECIMAL_SI;
  }
  memcpy(q.digits, k.d, k.n);
  q.n_digits = (uint8_t)k.n;
  q.exponent = (int32_t)exponent;
  if (fast && kept_verbatim(&sc, &sfx, scale) && n < sizeof q.text)
    memcpy(q.text, s, n);
  *ret = q;
  return 0;
}

int quantity_parse(const char *s, Quantity *ret, Error *err) {
  return parse_quantity(s, s ? strlen(s) : 0, ret, err);
}

/* ---------------------------------------------------------------- serialization and values */

/* The magnitude as an integer if it is one and fits. */
static bool to_u64(const Quantity *q, uint64_t *ret) {
  if (q->exponent < 0 || (int64_t)q->n_digits + q->exponent > 20)
    return false;
  uint64_t v = 0;
  for (int64_t i = 0; i < (int64_t)q->n_digits + q->exponent; i++) {
    unsigned d = i < q->n_digits ? (unsigned)(q->digits[i] - '0') : 0;
    if (v > (UINT64_MAX - d) / 10)
      return false;
    v = v * 10 + d;
  }
  *ret = v;
  return true;
}

static char *format_binary(const Quantity *q, uint64_t mag) {
  static const char *const suffixes[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  size_t i = 0;
  /* Kubernetes divides the signed int64, where -2^63 never passes its ">= 1024" test. */
  bool min_int64 = q->negative && mag == (uint64_t)INT64_MAX + 1;
  while (!min_int64 && mag >= 1024 && mag % 1024 == 0 && i + 1 < ELEMENTSOF(suffixes)) {
    mag /= 1024;
    i++;
  }
  return xasprintf("%s%" PRIu64 "%s", q->negative ? "-" : "", mag, suffixes[i]);
}

char *quantity_canonical(const Quantity *q) {
  if (q->text[0])
    return xstrdup(q->text);
  if (q->n_digits == 0)
    return xstrdup("0");

  QuantityFormat format = q->format;
  if (format == QUANTITY_BINARY_SI) {
    uint64_t mag;
    if (mag_cmp(q->digits, q->n_digits, q->exponent, "1024", 4, 0) < 0 || q->exponent < 0)
      format = QUANTITY_DECIMAL_SI; /* below 1024, or a fraction: binary units would round */
    else if (to_u64(q, &mag))
      return format_binary(q, mag);
    else
      format = QUANTITY_DECIMAL_EXPONENT; /* beyond Ei: Kubernetes falls back to the exponent form */
  } else if (format != QUANTITY_DECIMAL_SI) {
    format = QUANTITY_DECIMAL_EXPONENT;
  }

  /* Largest exponent that is a multiple of 3 and loses no digit: pad the mantissa with up to two zeros. */
  int64_t e = q->exponent, e3 = e - ((e % 3) + 3) % 3;
  const char *pad = &"00"[2 - (e - e3)];
  char suffix[24] = "";
  static const char *const si[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  if (format == QUANTITY_DECIMAL_SI && e3 >= -9 && e3 <= 18)
    snprintf(suffix, sizeof suffix, "%s", si[(e3 + 9) / 3]);
  else if (e3 != 0)
    snprintf(suffix, sizeof suffix, "e%" PRId64, e3); /* also DecimalSI past "E" or below "n" */
  return xasprintf("%s%.*s%s%s", q->negative ? "-" : "", (int)q->n_digits, q->digits, pad, suffix);
}

int quantity_sign(const Quantity *q) {
  return q->n_digits == 0 ? 0 : q->negative ? -1 : 1;
}

bool quantity_is_zero(const Quantity *q) {
  return q->n_digits == 0;
}

int quantity_cmp(const Quantity *a, const Quantity *b) {
  int sa = quantity_sign(a), sb = quantity_sign(b);
  if (sa != sb)
    return sa < sb ? -1 : 1;
  int c = mag_cmp(a->digits, a->n_digits, a->exponent, b->digits, b->n_digits, b->exponent);
  return sa < 0 ? -c : c;
}

int64_t quantity_scaled_value(const Quantity *q, int32_t scale) {
  if (q->n_digits == 0)
    return 0;
  int64_t e = (int64_t)q->exponent - scale, int_digits = (int64_t)q->n_digits + e;
  uint64_t limit = q->negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, v = 0;
  bool over = int_digits > 19;
  for (int64_t i = 0; !over && i < int_digits; i++) {
    unsigned d = i < q->n_digits ? (unsigned)(q->digits[i] - '0') : 0;
    over = v > (limit - d) / 10;
    v = v * 10 + d;
  }
  /* Digits are stored without trailing zeros, so a negative exponent always leaves a fraction. */
  if (!over && e < 0) {
    over = v == limit;
    v++;
  }
  if (over)
    return q->negative ? INT64_MIN : INT64_MAX;
  return q->negative ? (int64_t)(0 - v) : (int64_t)v;
}

int64_t quantity_value(const Quantity *q) {
  return quantity_scaled_value(q, 0);
}

int64_t quantity_milli_value(const Quantity *q) {
  return quantity_scaled_value(q, -3);
}

void quantity_from_scaled(int64_t value, int32_t scale, QuantityFormat format, Quantity *ret) {
  Quantity q = {.format = format, .negative = value < 0};
  uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
  int64_t exponent = scale;
  for (; mag != 0 && mag % 10 == 0; mag /= 10)
    exponent++;
  if (mag != 0) {
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRIu64, mag);
    memcpy(q.digits, buf, (size_t)n);
    q.n_digits = (uint8_t)n;
  } else {
    q.negative = false;
    exponent = 0;
  }
  /* Scales near INT32_MAX with trailing zeros would need a wider exponent; keep the zeros instead. */
  while (exponent > INT32_MAX) {
    q.digits[q.n_digits++] = '0';
    exponent--;
  }
  q.exponent = (int32_t)exponent;
  *ret = q;
}

/* ---------------------------------------------------------------- JSON */

/* Byte length of a leading Unicode white-space rune as Go's unicode.IsSpace sees it, or 0. */
static size_t space_prefix(const unsigned char *s, size_t n) {
  if (n >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')))
    return 1;
  if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0))
    return 2;
  if (n >= 3 && ((s[0] == 0xE1 && s[1] == 0x9A && s[2] == 0x80) || /* U+1680 */
                 (s[0] == 0xE2 && s[1] == 0x80 &&
                  (s[2] <= 0x8A || s[2] == 0xA8 ||                 /* U+2000-200A, 2028 */
                   s[2] == 0xA9 || s[2] == 0xAF)) ||               /* U+2029, 202F */
                 (s[0] == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) || /* U+205F */
                 (s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)))  /* U+3000 */
    return 3;
  return 0;
}

static size_t space_suffix(const unsigned char *s, size_t n) {
  for (size_t w = 1; w <= 3 && w <= n; w++)
    if (space_prefix(s + n - w, w) == w)
      return w;
  return 0;
}

/* A double as Go's encoding/json (and JavaScript) writes it: the shortest digits that read back to the
 * same double, in plain notation for 1e-6 <= |d| < 1e21 and as "1.5e+21" / "1e-7" outside. */
static void format_json_double(double d, char out[static 64]) {
  char e[40];
  if (d == 0) {
    strcpy(out, "0");
    return;
  }
  for (int p = 1; p <= 17; p++) {
    snprintf(e, sizeof e, "%.*e", p - 1, d);
    if (strtod(e, NULL) == d)
      break;
  }
  char digits[24];
  size_t k = 0;
  const char *c = e + (e[0] == '-');
  for (; *c && *c != 'e'; c++)
    if (is_digit(*c))
      digits[k++] = *c;
  while (k > 1 && digits[k - 1] == '0')
    k--;
  long n = strtol(c + 1, NULL, 10) + 1; /* digits[0] has weight 10^(n-1) */
  const char *sign = d < 0 ? "-" : "";

  if ((long)k <= n && n <= 21)
    snprintf(out, 64, "%s%.*s%.*s", sign, (int)k, digits, (int)(n - (long)k), "000000000000000000000");
  else if (0 < n && n <= 21)
    snprintf(out, 64, "%s%.*s.%.*s", sign, (int)n, digits, (int)((long)k - n), digits + n);
  else if (-6 < n && n <= 0)
    snprintf(out, 64, "%s0.%.*s%.*s", sign, (int)-n, "000000", (int)k, digits);
  else if (k == 1)
    snprintf(out, 64, "%s%ce%c%ld", sign, digits[0], n - 1 < 0 ? '-' : '+', labs(n - 1));
  else
    snprintf(out, 64, "%s%c.%.*se%c%ld", sign, digits[0], (int)k - 1, digits + 1, n - 1 < 0 ? '-' : '+',
             labs(n - 1));
}

int quantity_from_json(json_t *v, Quantity *ret, Error *err) {
  char buf[64];
  switch (v ? json_typeof(v) : JSON_NULL) {
  case JSON_NULL:
    *ret = (Quantity){.format = QUANTITY_DECIMAL_SI};
    return 0;
  case JSON_STRING: {
    const unsigned char *s = (const unsigned char *)json_string_value(v);
    size_t n = json_string_length(v), w;
    if (memchr(s, '\0', n))
      return error_set(err, -EBADMSG, NULL, ERR_FORMAT);
    while ((w = space_prefix(s, n)) > 0) {
      s += w;
      n -= w;
    }
    while ((w = space_suffix(s, n)) > 0)
      n -= w;
    return parse_quantity((const char *)s, n, ret, err);
  }
  case JSON_INTEGER:
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    return quantity_parse(buf, ret, err);
  case JSON_REAL:
    format_json_double(json_real_value(v), buf);
    return quantity_parse(buf, ret, err);
  default:
    /* Go hands the raw "true" / "{...}" to ParseQuantity. */
    return error_set(err, -EBADMSG, NULL, ERR_FORMAT);
  }
}

int quantity_canonicalize_json(json_t *obj, const char *key, Error *err) {
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v))
    return 0;
  Quantity q;
  int r = quantity_from_json(v, &q, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *s = quantity_canonical(&q);
  json_object_set_new(obj, key, json_string(s));
  return 0;
}

int quantity_canonicalize_resource_list(json_t *list, Error *err) {
  if (!list || json_is_null(list))
    return 0;
  if (!json_is_object(list))
    return error_set(err, -EBADMSG, NULL, "a resource list must be an object of quantities");
  for (void *it = json_object_iter(list); it; it = json_object_iter_next(list, it)) {
    Quantity q;
    int r = quantity_from_json(json_object_iter_value(it), &q, err);
    if (r < 0)
      return r;
    _cleanup_free_ char *s = quantity_canonical(&q);
    json_object_iter_set_new(list, it, json_string(s));
  }
  return 0;
}
