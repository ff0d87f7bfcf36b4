/* Unit tests for resource quantities (src/api/quantity.c). Expected strings are what Kubernetes answers:
 * rows marked [qt] come from apimachinery's quantity_test.go (TestQuantityParse values, TestQuantityString
 * and TestQuantityParseEmit spellings), [golden] from quantity_golden_test.go, [subnano] from
 * quantity_subnano_test.go, [corpus] from testdata/quantity_decode_corpus.json (ParseQuantity of a grid
 * of inputs, v1.37), [exact] from the verbatim-cache list of quantity_exact_cases_test.go; unmarked rows
 * follow from the rules in quantity.go/amount.go (fast-path cache, CanonicalizeBytes, AsCanonicalBytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>

#include "api/quantity.h"

#define ERR_FORMAT                                                                                           \
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define ERR_NUMERIC "unable to parse numeric part of quantity"
#define ERR_SUFFIX "unable to parse quantity's suffix"

static Quantity parse_ok(const char *s) {
  Error err = ERROR_INIT;
  Quantity q;
  if (quantity_parse(s, &q, &err) < 0)
    fail_msg("parse of '%s' failed: %s", s, err.message);
  error_reset(&err);
  return q;
}

/* Parses, checks the serialized form, and checks that the form reads back to the same value and
 * serializes to itself (what a second trip through the API server does). */
static void assert_canonical(const char *in, const char *want) {
  Quantity q = parse_ok(in);
  char *got = quantity_canonical(&q);
  if (!streq(got, want))
    fail_msg("'%s': serialized as '%s', want '%s'", in, got, want);
  Quantity again = parse_ok(got);
  if (quantity_cmp(&q, &again) != 0)
    fail_msg("'%s': '%s' reads back as a different value", in, got);
  char *twice = quantity_canonical(&again);
  if (!streq(twice, got))
    fail_msg("'%s': '%s' serializes again as '%s'", in, got, twice);
  free(twice);
  free(got);
}

static void test_canonical_table(void **state) {
  static const struct {
    const char *in, *want;
  } table[] = {
      /* the everyday spellings */
      {"0.5", "500m"},
      {"1.5Gi", "1536Mi"},
      {"1024Mi", "1Gi"},
      {"1000m", "1"},
      {"100M", "100M"},
      {"1e3", "1e3"},
      {"12e6", "12e6"},
      {"0.1", "100m"},
      {"1Ki", "1Ki"},
      {"1.5", "1500m"},
      {"2000", "2k"},
      {"1500", "1500"},
      {"0.0000000001", "1n"},
      {"0", "0"},
      {"-1.5", "-1500m"},
      {"-2000", "-2k"},
      {"-1024Mi", "-1Gi"},
      {"-100M", "-100M"},
      {"-0", "0"},
      {"250m", "250m"},
      {"128Mi", "128Mi"},
      {"4", "4"},
      {"10Gi", "10Gi"},
      {"512Ki", "512Ki"},
      {"8Ki", "8Ki"},
      {"0.5Mi", "512Ki"},
      /* [qt] TestQuantityString: each expected form and its alternate spelling */
      {"307200Ki", "300Mi"},
      {"1025024Mi", "1001Gi"},
      {"1024Gi", "1Ti"},
      {"5000m", "5"},
      {"1000M", "1G"},
      {"0.001T", "1G"},
      {"1000u", "1m"},
      {"1.08", "1080m"},
      {"1080000000n", "1080m"},
      {".001e12", "1e9"},
      {"0.001e0", "1e-3"},
      {"1000e-12", "1e-9"},
      {"00", "0"},
      {"6Ki", "6Ki"},
      {"1234567M", "1234567M"},
      {"1234567m", "1234567m"},
      {"1025", "1025"},
      {"80e-3", "80e-3"},
      {"300e6", "300e6"},
      {"1080n", "1080n"},
      {"1080u", "1080u"},
      {"-9010m", "-9010m"},
      /* [qt] TestQuantityParseEmit */
      {".001Ki", "1024m"},
      {".000001Ki", "1024u"},
      {".000000001Ki", "1024n"},
      {".000000000001Ki", "2n"},
      {"-.001Ki", "-1024m"},
      /* [qt] TestQuantityParse values, serialized */
      {"100.035Ki", "102435840m"},
      {"0.05Gi", "53687091200m"},
      {"3.001n", "4n"},
      {"1.1E-9", "2e-9"},
      {"0.00000012345", "124n"},
      {"0.00000012354", "124n"},
      {"9Ei", "9223372036854775807"},
      {"9223372036854775807Ki", "9223372036854775807"},
      {"12E", "12E"},
      {".0001k", "100m"},
      {"0.0005k", "500m"},
      {"0.00500", "5m"},
      {"40.1T", "40100G"},
      {"2.5P", "2500T"},
      {"1.01E", "1010P"},
      {"1.2e3", "1200"},
      {"1.3E+6", "1300e3"},
      {"1.40e9", "1400e6"},
      {"1.53E12", "1530e9"},
      {"0.5e-2", "5e-3"},
      /* [golden] */
      {"-1", "-1"},
      {"0.000000000000001", "1n"},
      {"9223372036854775807", "9223372036854775807"},
      {"9223372036854775808", "9223372036854775808"},
      {"18446744073709551616", "18446744073709551616"},
      {"1E", "1E"},
      {"100E", "100E"},
      {"1000E", "1e21"},
      {"1e100", "10e99"},
      {"8Ei", "9223372036854775807"},
      {"-20Ei", "-9223372036854775807"},
      {"-9.5Gi", "-9728Mi"},
      {"-9.5000000001Gi", "-10200547328107374183n"},
      /* [golden] and [exact]: spellings Kubernetes caches and re-emits verbatim (#138165) */
      {"1.441", "1.441"},
      {"1.000001", "1.000001"},
      {"1.000000001", "1.000000001"},
      {"5.", "5."},
      {"1.", "1."},
      {"+1", "+1"},
      {"01", "01"},
      {"1E3", "1E3"},
      {"1e+21", "1e+21"},
      {".5", "500m"},
      {"1.G", "1.G"},
      {"1.500k", "1.500k"},
      {"100.035k", "100.035k"},
      {"10.035M", "10.035M"},
      {"5.444T", "5.444T"},
      {"1023Ki", "1023Ki"},
      {"+1Ki", "+1Ki"},
      {"1e03", "1e03"},
      /* [subnano] */
      {"1e-100", "1e-9"},
      {"-0.0000000000001", "-1n"},
      {"0.00000000000000000000001Ki", "1n"},
      {"15e-10", "2e-9"},
      {"1000000000000000000001e-30", "2e-9"},
      {"999999999999999999999e-30", "1e-9"},
      {"0e-2147483647", "0"},
      {"1e-2147483647", "1e-9"},
      /* [corpus] digit-less spellings are zero, and the int32 exponent wraps */
      {"Mi", "0"},
      {"k", "0"},
      {"e3", "0"},
      {".", "0"},
      {"-", "0"},
      {"+", "0"},
      {"0Pi", "0"},
      {"1e4294967297", "10"},
      {"01e-2147483649", "10e2147483646"},
      {"+9223372036854775e-10", "922337203685478e-9"},
      {"+9223372036854775e-2147483649", "92233720368547750e2147483646"},
      {"-18446744073709551615Ki", "-9223372036854775807"},
      {"+1000000000000000000E", "1e36"},
  };
  for (size_t i = 0; i < ELEMENTSOF(table); i++)
    assert_canonical(table[i].in, table[i].want);
  assert_true(ELEMENTSOF(table) >= 60);
}

/* The remembered format, including BinarySI below one turning DecimalSI ([qt] TestQuantityParse). */
static void test_formats(void **state) {
  static const struct {
    const char *in;
    QuantityFormat want;
  } table[] = {
      {"0", QUANTITY_DECIMAL_SI},         {"0Ki", QUANTITY_BINARY_SI},
      {"Mi", QUANTITY_BINARY_SI},         {"1E-3", QUANTITY_DECIMAL_EXPONENT},
      {"1E", QUANTITY_DECIMAL_SI},        {"0.5Mi", QUANTITY_BINARY_SI},
      {"100.035Ki", QUANTITY_BINARY_SI},  {"0.000000000001Ki", QUANTITY_DECIMAL_SI},
      {".000001Ki", QUANTITY_DECIMAL_SI}, {"9Ei", QUANTITY_BINARY_SI},
      {"e-9", QUANTITY_DECIMAL_EXPONENT},
  };
  for (size_t i = 0; i < ELEMENTSOF(table); i++) {
    Quantity q = parse_ok(table[i].in);
    if (q.format != table[i].want)
      fail_msg("'%s': format %s, want %s", table[i].in, quantity_format_to_string(q.format),
               quantity_format_to_string(table[i].want));
  }
  assert_string_equal(quantity_format_to_string(QUANTITY_DECIMAL_EXPONENT), "DecimalExponent");
  assert_int_equal(quantity_format_from_string("BinarySI"), QUANTITY_BINARY_SI);
  assert_int_equal(quantity_format_from_string("binarysi"), _QUANTITY_FORMAT_INVALID);
  assert_null(quantity_format_to_string(_QUANTITY_FORMAT_INVALID));
}

static void assert_parse_error(const char *in, const char *want) {
  Error err = ERROR_INIT;
  Quantity q = {.n_digits = 7};
  int r = quantity_parse(in, &q, &err);
  if (r != -EBADMSG)
    fail_msg("'%s': parse returned %d, want -EBADMSG", in, r);
  if (!err.message || !streq(err.message, want))
    fail_msg("'%s': message '%s', want '%s'", in, err.message, want);
  assert_int_equal(q.n_digits, 7); /* untouched on failure */
  assert_int_equal(error_http_status(&err), 400);
  error_reset(&err);
}

static void test_errors(void **state) {
  static const char *const format[] = {
      "",      " 1",    "1 ",   "1.1.M", "1+1.0M", "aoeu", "1Qi",   "1.2.3", "0.1am",
      "--1.5", "1e5.5", "1Mi ", "1,5",   "1_000",  "0x10", "1e+-3", "Ki1i",
  };
  static const char *const suffix[] = {
      "3e",
      "0.1mi",
      ".5i",
      "1i",
      "-3.01i",
      "-3.01e-",
      "1K",
      "1e+",
      "1Ki5",
      "1Ee5",
      "1-",
      "1-5",
      "1e99999999999999999999",
  };
  static const char *const numeric[] = {"Pi",   "Ei",    ".Pi",         "-Ei",
                                        "e-10", ".e-10", "e2147483648", "e-2147483648"};
  for (size_t i = 0; i < ELEMENTSOF(format); i++)
    assert_parse_error(format[i], ERR_FORMAT);
  for (size_t i = 0; i < ELEMENTSOF(suffix); i++)
    assert_parse_error(suffix[i], ERR_SUFFIX);
  for (size_t i = 0; i < ELEMENTSOF(numeric); i++)
    assert_parse_error(numeric[i], ERR_NUMERIC);
  assert_parse_error(NULL, ERR_FORMAT);
}

/* This implementation's own limits, and the inputs just inside them. */
static void test_limits(void **state) {
  char buf[512];

  memset(buf, '7', QUANTITY_MAX_DIGITS);
  buf[QUANTITY_MAX_DIGITS] = '\0';
  assert_canonical(buf, buf);
  strcat(buf, "7");
  assert_parse_error(buf, "quantity has more than 64 significant digits");
  /* Trailing zeros and digits below nano cost nothing. */
  snprintf(buf, sizeof buf, "1%0200d", 0);
  assert_canonical(buf, "100e198");
  snprintf(buf, sizeof buf, "0.%0300d1", 0);
  assert_canonical(buf, "1n");
  snprintf(buf, sizeof buf, "1.%0300d1Ki", 0);
  assert_canonical(buf, "1024000000001n");
  /* 64 kept nines (55 whole, 9 down to nano) and a sub-nano 1: the carry leaves one digit. */
  memset(buf, '9', 55);
  buf[55] = '.';
  memset(buf + 56, '9', 9);
  strcpy(buf + 65, "1");
  assert_canonical(buf, "10e54");

  assert_canonical("1e2147483647", "10e2147483646");
  assert_parse_error("10e2147483647", "quantity exponent is out of range");
  /* Spellings longer than the verbatim buffer fall back to the canonical form. */
  snprintf(buf, sizeof buf, "%070d", 1);
  assert_canonical(buf, "1");
  snprintf(buf, sizeof buf, "%011d", 1);
  assert_canonical(buf, buf);
}

static void assert_cmp(const char *a, const char *b, int want) {
  Quantity qa = parse_ok(a), qb = parse_ok(b);
  if (quantity_cmp(&qa, &qb) != want || quantity_cmp(&qb, &qa) != -want)
    fail_msg("cmp('%s', '%s') = %d, want %d", a, b, quantity_cmp(&qa, &qb), want);
}

static void test_cmp(void **state) {
  /* [qt] TestQuantityCmp */
  assert_cmp("0", "0", 0);
  assert_cmp("100m", "50m", 1);
  assert_cmp("50m", "100m", -1);
  assert_cmp("10000T", "100Gi", 1);
  /* across formats and spellings */
  assert_cmp("1Ki", "1024", 0);
  assert_cmp("1Gi", "1024Mi", 0);
  assert_cmp("1", "1000m", 0);
  assert_cmp("1e3", "1k", 0);
  assert_cmp("1.441", "1441m", 0);
  assert_cmp("0", "-0", 0);
  assert_cmp("Mi", "0", 0);
  assert_cmp("1n", "0", 1);
  assert_cmp("-1", "0", -1);
  assert_cmp("-2", "-1", -1);
  assert_cmp("-1n", "-1", 1);
  assert_cmp("1Ki", "1k", 1);
  assert_cmp("999m", "1", -1);
  assert_cmp("9223372036854775808", "9223372036854775807", 1);
  assert_cmp("8Ei", "9223372036854775807", 0);
  assert_cmp("1e21", "999E", 1);
  assert_cmp("-1e21", "-999E", -1);
  assert_cmp("12345678901234567890123", "12345678901234567890124", -1);
  assert_cmp("1.2345678901", "1.234567891", 0);

  /* [qt] TestQuantityCmpInt64AndDec, through the constructor */
  static const struct {
    int64_t av;
    int32_t as;
    int64_t bv;
    int32_t bs;
    int want;
  } table[] = {
      {901, -2, 901, -2, 0},
      {90, -1, 901, -2, -1},
      {901, -2, 900, -2, 1},
      {0, 1, 0, -1, 0},
      {800, -3, 1, 0, -1},
      {800, -3, 79, -2, 1},
      {INT64_MAX, 0, 1, -1, 1},
      {INT64_MAX, 1, 1, 0, 1},
      {INT64_MAX, -16, 1, 3, -1},
      {INT64_MIN, 0, 0, 0, -1},
      {INT64_MIN, -18, -1, 0, -1},
      {INT64_MIN, -19, -1, 0, 1},
      {1000000000000000000, -17, 1, 1, 0},
      {1000000000000000000, -17, -10, 0, 1},
      {-1000000000000000000, -17, -10, 0, 0},
      {1000000000000000001, -17, 1, 1, 1},
      {999999999999999999, -17, 1, 1, -1},
  };
  for (size_t i = 0; i < ELEMENTSOF(table); i++) {
    Quantity a, b;
    quantity_from_scaled(table[i].av, table[i].as, QUANTITY_DECIMAL_SI, &a);
    quantity_from_scaled(table[i].bv, table[i].bs, QUANTITY_DECIMAL_SI, &b);
    if (quantity_cmp(&a, &b) != table[i].want || quantity_cmp(&b, &a) != -table[i].want)
      fail_msg("row %zu: cmp %d, want %d", i, quantity_cmp(&a, &b), table[i].want);
  }

  Quantity z = {0}, n = parse_ok("-3m");
  assert_true(quantity_is_zero(&z));
  assert_int_equal(quantity_sign(&z), 0);
  assert_int_equal(quantity_sign(&n), -1);
  assert_false(quantity_is_zero(&n));
}

static void test_values(void **state) {
  static const struct {
    const char *in;
    int64_t value, milli;
  } table[] = {
      {"0", 0, 0},
      {"1", 1, 1000},
      {"1.5", 2, 1500},
      {"-1.5", -2, -1500}, /* away from zero, as int64Amount rounds */
      {"1m", 1, 1},
      {"1n", 1, 1},
      {"-1n", -1, -1},
      {"1.001m", 1, 2},
      {"0.0005", 1, 1},
      {"100M", 100000000, 100000000000},
      {"1Ki", 1024, 1024000},
      {"1.5Gi", 1610612736, 1610612736000},
      {"100.035Ki", 102436, 102435840},
      {"1E", 1000000000000000000, INT64_MAX},
      {"9223372036854775807", INT64_MAX, INT64_MAX},
      {"9223372036854775.807", 9223372036854776, INT64_MAX},
      {"9223372036854775807m", 9223372036854776, INT64_MAX},
      {"-9223372036854775808", INT64_MIN, INT64_MIN},
      {"-9223372036854775808m", -9223372036854776, INT64_MIN},
      /* past int64 Kubernetes overflows; here the results saturate */
      {"9223372036854775808", INT64_MAX, INT64_MAX},
      {"-9223372036854775809", INT64_MIN, INT64_MIN},
      {"10E", INT64_MAX, INT64_MAX},
      {"1e100", INT64_MAX, INT64_MAX},
      {"-9223372036854775807.5", INT64_MIN, INT64_MIN},
  };
  for (size_t i = 0; i < ELEMENTSOF(table); i++) {
    Quantity q = parse_ok(table[i].in);
    if (quantity_value(&q) != table[i].value || quantity_milli_value(&q) != table[i].milli)
      fail_msg("'%s': value %" PRId64 " milli %" PRId64 ", want %" PRId64 " %" PRId64, table[i].in,
               quantity_value(&q), quantity_milli_value(&q), table[i].value, table[i].milli);
  }

  /* [qt] TestScaledValue: NewScaledQuantity(1, from).ScaledValue(to) */
  static const struct {
    int32_t from, to;
    int64_t want;
  } scaled[] = {
      {-9, -9, 1},         {-9, -6, 1},      {-9, -3, 1},       {-9, 0, 1},     {-6, -9, 1000}, {-6, -6, 1},
      {-6, -3, 1},         {-6, 0, 1},       {-3, -9, 1000000}, {-3, -6, 1000}, {-3, -3, 1},    {-3, 0, 1},
      {0, -9, 1000000000}, {0, -6, 1000000}, {0, -3, 1000},     {0, 0, 1},      {2, -2, 10000},
  };
  for (size_t i = 0; i < ELEMENTSOF(scaled); i++) {
    Quantity q;
    quantity_from_scaled(1, scaled[i].from, QUANTITY_DECIMAL_SI, &q);
    if (quantity_scaled_value(&q, scaled[i].to) != scaled[i].want)
      fail_msg("1e%d scaled to %d: %" PRId64 ", want %" PRId64, scaled[i].from, scaled[i].to,
               quantity_scaled_value(&q, scaled[i].to), scaled[i].want);
  }
}

static void assert_constructed(int64_t value, int32_t scale, QuantityFormat format, const char *want) {
  Quantity q;
  quantity_from_scaled(value, scale, format, &q);
  char *got = quantity_canonical(&q);
  if (!streq(got, want))
    fail_msg("%" PRId64 "e%d %s: '%s', want '%s'", value, scale, quantity_format_to_string(format), got,
             want);
  free(got);
}

static void test_constructors(void **state) {
  /* [qt] TestNewSet, TestMilliNewSet, TestNewScaledSet, TestQuantityString */
  assert_constructed(1, 0, QUANTITY_DECIMAL_SI, "1");
  assert_constructed(1000, 0, QUANTITY_DECIMAL_SI, "1k");
  assert_constructed(1234000, 0, QUANTITY_DECIMAL_SI, "1234k");
  assert_constructed(1024, 0, QUANTITY_BINARY_SI, "1Ki");
  assert_constructed(1000000, 0, QUANTITY_DECIMAL_EXPONENT, "1e6");
  assert_constructed(1024 * 1024, 0, QUANTITY_BINARY_SI, "1Mi");
  assert_constructed(1, -3, QUANTITY_DECIMAL_SI, "1m");
  assert_constructed(1000, -3, QUANTITY_DECIMAL_SI, "1");
  assert_constructed(1234000, -3, QUANTITY_DECIMAL_SI, "1234");
  assert_constructed(1024, -3, QUANTITY_BINARY_SI, "1024m");
  assert_constructed(1000000, -3, QUANTITY_DECIMAL_EXPONENT, "1e3");
  assert_constructed(1024 * 1024, -3, QUANTITY_BINARY_SI, "1048576m");
  assert_constructed(1000, -9, QUANTITY_DECIMAL_SI, "1u");
  assert_constructed(0, -9, QUANTITY_DECIMAL_SI, "0");
  assert_constructed(5, 0, QUANTITY_BINARY_SI, "5");
  assert_constructed(1025, 0, QUANTITY_BINARY_SI, "1025");
  assert_constructed(1536, 0, QUANTITY_BINARY_SI, "1536");
  assert_constructed(-2048, 0, QUANTITY_BINARY_SI, "-2Ki");
  assert_constructed((int64_t)1 << 62, 0, QUANTITY_BINARY_SI, "4Ei");
  assert_constructed(-901, -2, QUANTITY_DECIMAL_SI, "-9010m");
  /* [golden] */
  assert_constructed(INT64_MIN, 0, QUANTITY_DECIMAL_SI, "-9223372036854775808");
  assert_constructed(INT64_MAX, 1, QUANTITY_DECIMAL_SI, "92233720368547758070");
  assert_constructed(1, 21, QUANTITY_DECIMAL_SI, "1e21");
  /* #140459: DecimalSI below "n" falls back to the exponent form too */
  assert_constructed(1, -12, QUANTITY_DECIMAL_SI, "1e-12");
  assert_constructed(1, -10, QUANTITY_DECIMAL_SI, "100e-12");
  /* -2^63 in BinarySI: Kubernetes' factor loop never runs on the negative int64 */
  assert_constructed(INT64_MIN, 0, QUANTITY_BINARY_SI, "-9223372036854775808");
  /* The agent's memory capacity in KiB, as kubelet reports it. */
  assert_constructed(16710127616, 0, QUANTITY_BINARY_SI, "16318484Ki");
}

static json_t *J(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
  if (!j)
    fail_msg("bad test JSON %s: %s", text, e.text);
  return j;
}

static void assert_json(const char *json, const char *want) {
  json_t *v = J(json);
  Error err = ERROR_INIT;
  Quantity q;
  if (quantity_from_json(v, &q, &err) < 0)
    fail_msg("%s: %s", json, err.message);
  char *got = quantity_canonical(&q);
  if (!streq(got, want))
    fail_msg("%s: '%s', want '%s'", json, got, want);
  free(got);
  json_decref(v);
}

static void assert_json_error(const char *json, const char *want) {
  json_t *v = J(json);
  Error err = ERROR_INIT;
  Quantity q;
  assert_int_equal(quantity_from_json(v, &q, &err), -EBADMSG);
  assert_string_equal(err.message, want);
  error_reset(&err);
  json_decref(v);
}

static void test_json_values(void **state) {
  /* [qt] TestJSONWhitespace */
  assert_json("\" 1\"", "1");
  assert_json("\"1 \"", "1");
  assert_json("1", "1");
  assert_json("10", "10");
  assert_json("-1", "-1");
  /* strings.TrimSpace: Unicode white space too */
  assert_json("\"\\u00a0\\t1.5Gi\\u3000\\n\"", "1536Mi");
  assert_json("\"\\u2009100m\\u0085\"", "100m");
  assert_json("null", "0");
  /* numbers: integers exactly, doubles in their JSON spelling */
  assert_json("1000", "1k");
  assert_json("1500", "1500");
  assert_json("1073741824", "1073741824");
  assert_json("-3", "-3");
  assert_json("0.5", "500m");
  assert_json("0.1", "100m");
  assert_json("2.5", "2500m");
  assert_json("1.0", "1");
  assert_json("1e3", "1k");
  assert_json("1.5e9", "1500M");
  assert_json("1e21", "1e+21");
  assert_json("1e-7", "100e-9");
  assert_json("0.000001", "1u");
  assert_json("-0.0", "0");
  assert_json("123456.789", "123456.789"); /* three decimals: kept verbatim */
  assert_json("1e20", "100E");
  /* what Go hands to ParseQuantity for other JSON types */
  assert_json_error("true", ERR_FORMAT);
  assert_json_error("{\"a\":1}", ERR_FORMAT);
  assert_json_error("[1]", ERR_FORMAT);
  assert_json_error("\"1\\u0000\"", ERR_FORMAT);
  assert_json_error("\"1 Gi\"", ERR_FORMAT);
  assert_json_error("\"\"", ERR_FORMAT);
  assert_json_error("\"3e\"", ERR_SUFFIX);
}

static void test_canonicalize_json(void **state) {
  Error err = ERROR_INIT;
  json_t *o = J("{\"storage\": \"1.5Gi\", \"cpu\": 0.5, \"n\": null, \"x\": 2000, \"bad\": \"1Qi\"}");
  assert_int_equal(quantity_canonicalize_json(o, "storage", &err), 0);
  assert_int_equal(quantity_canonicalize_json(o, "cpu", &err), 0);
  assert_int_equal(quantity_canonicalize_json(o, "x", &err), 0);
  assert_int_equal(quantity_canonicalize_json(o, "n", &err), 0);
  assert_int_equal(quantity_canonicalize_json(o, "missing", &err), 0);
  assert_int_equal(quantity_canonicalize_json(o, "bad", &err), -EBADMSG);
  assert_string_equal(err.message, ERR_FORMAT);
  error_reset(&err);
  char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
  assert_string_equal(s, "{\"bad\":\"1Qi\",\"cpu\":\"500m\",\"n\":null,\"storage\":\"1536Mi\",\"x\":\"2k\"}");
  free(s);
  json_decref(o);

  json_t *list = J("{\"cpu\": \"0.5\", \"memory\": 1073741824, \"ephemeral-storage\": \"1024Mi\", "
                   "\"nvidia.com/gpu\": 1, \"hugepages-2Mi\": null, \"pods\": \"110\"}");
  assert_int_equal(quantity_canonicalize_resource_list(list, &err), 0);
  s = json_dumps(list, JSON_SORT_KEYS | JSON_COMPACT);
  assert_string_equal(s, "{\"cpu\":\"500m\",\"ephemeral-storage\":\"1Gi\",\"hugepages-2Mi\":\"0\","
                         "\"memory\":\"1073741824\",\"nvidia.com/gpu\":\"1\",\"pods\":\"110\"}");
  free(s);
  json_decref(list);

  assert_int_equal(quantity_canonicalize_resource_list(NULL, &err), 0);
  list = J("null");
  assert_int_equal(quantity_canonicalize_resource_list(list, &err), 0);
  json_decref(list);
  list = J("[\"1\"]");
  assert_int_equal(quantity_canonicalize_resource_list(list, &err), -EBADMSG);
  error_reset(&err);
  json_decref(list);
  list = J("{\"cpu\": \"1\", \"memory\": \"1Gb\"}");
  assert_int_equal(quantity_canonicalize_resource_list(list, &err), -EBADMSG);
  assert_string_equal(err.message, ERR_FORMAT); /* 'b' is no suffix letter at all */
  error_reset(&err);
  json_decref(list);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_canonical_table),
      cmocka_unit_test(test_formats),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_cmp),
      cmocka_unit_test(test_values),
      cmocka_unit_test(test_constructors),
      cmocka_unit_test(test_json_values),
      cmocka_unit_test(test_canonicalize_json),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
