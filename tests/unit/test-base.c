/* Unit tests for src/base: human ages as kubectl prints them, RFC 3339, base64, buffers, string vectors
 * and the Error convention's HTTP mapping. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/base64.h"
#include "base/buf.h"
#include "base/error.h"
#include "base/strv.h"
#include "base/util.h"

static void test_format_age(void **state) {
  static const struct {
    int64_t sec;
    const char *want;
  } cases[] = {
      {-5, "0s"},      {0, "0s"},        {59, "59s"},        {119, "119s"},     {120, "2m"},
      {121, "2m1s"},   {599, "9m59s"},   {600, "10m"},       {10799, "179m"},   {10800, "3h"},
      {10860, "3h1m"}, {28800, "8h"},    {172799, "47h"},    {172800, "2d"},    {176400, "2d1h"},
      {691200, "8d"},  {63072000, "2y"}, {63158400, "2y1d"}, {252288000, "8y"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    char buf[32];
    format_age(cases[i].sec, buf);
    assert_string_equal(buf, cases[i].want);
  }
}

static void test_rfc3339(void **state) {
  char buf[32];
  format_rfc3339(0, buf);
  assert_string_equal(buf, "1970-01-01T00:00:00Z");
  format_rfc3339(1795701332, buf);
  int64_t t = 0;
  assert_int_equal(parse_rfc3339(buf, &t), 0);
  assert_int_equal(t, 1795701332);
  assert_int_equal(parse_rfc3339("2026-11-26T14:08:52.123456Z", &t), 0);
  assert_int_equal(parse_rfc3339("2026-11-26T16:08:52+02:00", &t), 0);
  int64_t u = 0;
  assert_int_equal(parse_rfc3339("2026-11-26T14:08:52Z", &u), 0);
  assert_int_equal(t, u);
  assert_int_equal(parse_rfc3339("yesterday", &t), -EINVAL);
  assert_int_equal(parse_rfc3339("2026-11-26T14:08:52", &t), -EINVAL);
}

static void test_base64(void **state) {
  static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (size_t i = 0; i < ELEMENTSOF(in); i++) {
    _cleanup_free_ char *e = base64_encode(in[i], strlen(in[i]), false);
    assert_string_equal(e, std[i]);
    uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(base64_decode(e, strlen(e), &d, &n), 0);
    assert_int_equal(n, strlen(in[i]));
    assert_memory_equal(d, in[i], n);
    free(d);
    _cleanup_free_ char *u = base64_encode(in[i], strlen(in[i]), true);
    assert_null(strchr(u, '='));
  }
  uint8_t bin[] = {0xfb, 0xff, 0xfe};
  _cleanup_free_ char *u = base64_encode(bin, 3, true);
  assert_string_equal(u, "-__-");
  uint8_t *d = NULL;
  size_t n;
  assert_int_equal(base64_decode("a$b=", 4, &d, &n), -EINVAL);
  assert_int_equal(base64_decode("a", 1, &d, &n), -EINVAL);
  _cleanup_free_ char *text = base64_decode_string("LS0tLS1CRUdJTg==");
  assert_string_equal(text, "-----BEGIN");
  assert_null(base64_decode_string("a$b="));
  assert_null(base64_decode_string(NULL));
}

static void test_buf(void **state) {
  _cleanup_buf_ Buf b = BUF_INIT;
  for (int i = 0; i < 1000; i++)
    buf_printf(&b, "%d,", i);
  assert_true(b.len > 3000);
  assert_int_equal(b.data[b.len], 0);
  buf_reset(&b);
  buf_put_json_string(&b, "a\"b\\c\n\x01");
  assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
  /* Go's %q escapes, byte by byte; non-ASCII bytes are the caller's business. */
  buf_reset(&b);
  for (const char *p = "\"\\\a\b\f\n\r\t\v\x01\x7f z\xc3"; *p; p++)
    buf_put_go_byte(&b, (unsigned char)*p);
  assert_string_equal(b.data, "\\\"\\\\\\a\\b\\f\\n\\r\\t\\v\\x01\\x7f z\xc3");
}

static void test_strv(void **state) {
  _cleanup_strv_free_ char **l = strv_split("a,,b", ',');
  assert_int_equal(strv_length(l), 3);
  assert_string_equal(l[1], "");
  assert_true(strv_contains(l, "b"));
  assert_false(strv_contains(l, "c"));
}

static void test_error(void **state) {
  _cleanup_error_ Error e = ERROR_INIT;
  assert_int_equal(error_set(&e, -ENOENT, NULL, "x %d", 1), -ENOENT);
  assert_int_equal(error_http_status(&e), 404);
  assert_string_equal(error_reason(&e), "NotFound");
  assert_string_equal(e.message, "x 1");
  error_set(&e, -EINVAL, "spec.replicas", "must be >= 0");
  assert_int_equal(error_http_status(&e), 422);
  assert_string_equal(e.message, "spec.replicas: must be >= 0");
  assert_int_equal(e.n_causes, 1);
  assert_string_equal(e.causes[0].field, "spec.replicas");
  error_wrap(&e, "decoding: ");
  assert_string_equal(e.message, "decoding: spec.replicas: must be >= 0");
  error_setk(&e, -ECANCELED, 409, "Conflict", "busy");
  assert_string_equal(error_reason(&e), "Conflict");
  error_set(&e, -EEXIST, NULL, "dup");
  assert_string_equal(error_reason(&e), "AlreadyExists");
  assert_int_equal(error_set(NULL, -EIO, NULL, "ignored"), -EIO);
}

/* write_file_replace (no fsync) still replaces whole files with the mode asked for, leaving no temp file. */
static void test_write_file_replace(void **state) {
  char dir[] = "/tmp/coracle-test-base-XXXXXX";
  assert_non_null(mkdtemp(dir));
  _cleanup_free_ char *path = xasprintf("%s/config.json", dir), *tmp = xasprintf("%s.tmp.%d", path, getpid());
  assert_int_equal(write_file_replace(path, "a long first version", 20, 0600), 0);
  assert_int_equal(write_file_replace(path, "second", 6, 0640), 0);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  assert_int_equal(read_file(path, &data, &len), 0);
  assert_int_equal(len, 6);
  assert_string_equal(data, "second");
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  assert_int_equal(access(tmp, F_OK), -1);
  assert_int_equal(write_file_replace("/nonexistent-dir/x", "x", 1, 0600), -ENOENT);
  assert_int_equal(rm_rf(dir), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_write_file_replace),
      cmocka_unit_test(test_format_age),
      cmocka_unit_test(test_rfc3339),
      cmocka_unit_test(test_base64),
      cmocka_unit_test(test_buf),
      cmocka_unit_test(test_strv),
      cmocka_unit_test(test_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
