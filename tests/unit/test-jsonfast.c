/* json_fast_loadb against jansson's json_loadb (flags 0): the same value (json_equal, and the same
 * integer/real kinds) for every input jansson accepts, a refusal with a message for every input it refuses
 * — on hand-picked cases and on many deterministic mutations of a Kubernetes object. And json_fast_dumps
 * against json_dumps(JSON_COMPACT | JSON_ENCODE_ANY): the same bytes for every value decoded there and for
 * values built to reach every escape, integer extreme and nesting depth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jsonfast.h"

#include "../jsonfast-ref.h"

static void assert_same_dump(const json_t *v) {
  char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  size_t len = 0;
  char *got = json_fast_dumps(v, &len);
  if (!want != !got)
    fail_msg("dump: jansson %s, fast %s", want ? want : "(null)", got ? got : "(null)");
  if (want) {
    if (strcmp(want, got) != 0)
      fail_msg("dump differs:\n jansson %s\n fast    %s", want, got);
    assert_int_equal(len, strlen(want));
  }
  free(want);
  free(got);
}

static void assert_same_dropped(const char *in, size_t len, int d) {
  json_error_t je, fe;
  json_t *want = json_loadb(in, len, 0, &je);
  json_t *got = json_fast_loadb_drop(in, len, d, &fe);
  if (!want != !got)
    fail_msg("input %.*s (drop at %d): jansson %s, fast %s (%s)", (int)len, in, d, want ? "accepts" : je.text,
             got ? "accepts" : "refuses", got ? "" : fe.text);
  if (want) {
    jsonfast_ref_drop_at(want, 1, d);
    if (!json_equal(want, got))
      fail_msg("input %.*s (drop at %d): different values", (int)len, in, d);
  }
  json_decref(want);
  json_decref(got);
}

/* Same shape, and reals stay reals (json_equal would let 1 and 1.0 differ anyway, but say so). */
static void assert_same(const char *in, size_t len) {
  json_error_t je, fe;
  json_t *want = json_loadb(in, len, 0, &je);
  json_t *got = json_fast_loadb(in, len, &fe);
  if (!want != !got)
    fail_msg("input %.*s: jansson %s, fast %s (%s)", (int)len, in, want ? "accepts" : je.text,
             got ? "accepts" : "refuses", got ? "" : fe.text);
  if (want) {
    if (!json_equal(want, got))
      fail_msg("input %.*s: different values", (int)len, in);
    assert_same_dump(want);
  } else {
    assert_true(fe.text[0] != 0);
  }
  json_decref(want);
  json_decref(got);
}

static void same(const char *in) {
  assert_same(in, strlen(in));
}

static void test_cases(void **state) {
  static const char *const cases[] = {
      "{}",
      "[]",
      " {\"a\":1} ",
      "[1,2,3]",
      "{\"a\":[true,false,null],\"b\":{\"c\":\"d\"}}",
      "[0,-0,1,-1,9223372036854775807,-9223372036854775808]",
      "[9223372036854775808]",
      "[-9223372036854775809]",
      "[1.5,-2.25e3,1E-2,0.0,1e308]",
      "[1e400]",
      "[-1e400]",
      "[1e-400]",
      "[01]",
      "[1.]",
      "[.5]",
      "[-]",
      "[1e]",
      "[1e+]",
      "[+1]",
      "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"]",
      "[\"\\u00e9\\u20ac\\ud83d\\ude00\"]",
      "[\"\\ud83d\"]",
      "[\"\\ude00\"]",
      "[\"\\ud83dx\"]",
      "[\"\\u0000\"]",
      "[\"\\u12\"]",
      "[\"\\x\"]",
      "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]",
      "[\"\xc3\"]",
      "[\"\xc0\xaf\"]",
      "[\"\xed\xa0\x80\"]",
      "[\"\xf4\x90\x80\x80\"]",
      "[\"\xff\"]",
      "[\"tab\there\"]",
      "[\"nl\nhere\"]",
      "[\"unterminated]",
      "{\"a\" 1}",
      "{\"a\":1,}",
      "[1,]",
      "{\"a\":1 \"b\":2}",
      "{1:2}",
      "{\"a\":1}x",
      "{\"a\":1} {}",
      "\"top\"",
      "1",
      "true",
      "null",
      "",
      "   ",
      "[tru]",
      "[nul]",
      "[falsey]",
      "{\"dup\":1,\"dup\":2}",
      "{\"\\u0041\":\"key escaped\"}",
      "{\"k\\n\":{\"k\\t\":[\"v\\\"\"]}}",
      "[[[[[[[[[[]]]]]]]]]]",
      "{\"a\":{\"b\":",
      "[1 2]",
      "\t\r\n[\t\r\n]\t\r\n",
      "{\"metadata\":{\"name\":\"p00001\",\"labels\":{\"app\":\"bench\"}},\"spec\":{\"containers\":[{"
      "\"name\":"
      "\"c\",\"image\":\"registry.k8s.io/pause:3.10\",\"resources\":{\"requests\":{\"cpu\":\"10m\"}}}]}}",
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    same(cases[i]);
  /* A NUL byte inside the input. */
  assert_same("[\"a\0b\"]", 7);
  assert_same("[1]\0", 4);
}

static void test_depth(void **state) {
  /* Empty nests, and nests around a scalar, which counts one level more (as jansson counts it). */
  for (size_t depth = 2044; depth <= 2052; depth++) {
    for (int scalar = 0; scalar < 2; scalar++) {
      char *s = malloc(2 * depth + 2);
      memset(s, '[', depth);
      size_t n = depth;
      if (scalar)
        s[n++] = '1';
      memset(s + n, ']', depth);
      s[n + depth] = 0;
      same(s);
      free(s);
    }
  }
}

/* Deterministic mutations of a realistic object: replaced, deleted, duplicated and inserted bytes, with a
 * bias to the characters that matter to JSON. */
static void test_mutations(void **state) {
  static const char base[] =
      "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-7d\\u00e9\",\"namespace\":"
      "\"default\","
      "\"uid\":\"0b1c\",\"resourceVersion\":\"123\",\"labels\":{\"app\":\"web\",\"tier\":\"fr\\\"ont\"},"
      "\"managedFields\":[{\"manager\":\"kubectl\",\"operation\":\"Update\",\"fieldsV1\":{\"f:spec\":{"
      "\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},\"f:n\":[1,-2.5e3,true,null]}}}}],"
      "\"annotations\":{\"note\":\"caf\xc3\xa9 \\ud83d\\ude00\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
      "\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],\"resources\":{"
      "\"requests\":{\"cpu\":\"10m\",\"memory\":\"16Mi\"}}}],\"terminationGracePeriodSeconds\":30,"
      "\"priority\":-1,\"weight\":0.25e1},\"status\":{\"phase\":\"Running\",\"ready\":true,\"x\":null,"
      "\"conditions\":[]}}";
  static const char alphabet[] = "{}[]\",:\\u0123456789eE.-+ tfnl\xc3\xa9\xff\x01\n";
  size_t n = strlen(base);
  char *buf = malloc(n + 16);
  unsigned seed = 12345;
  for (int round = 0; round < 20000; round++) {
    memcpy(buf, base, n + 1);
    size_t len = n;
    int edits = 1 + rand_r(&seed) % 3;
    for (int k = 0; k < edits && len > 1; k++) {
      size_t at = (size_t)rand_r(&seed) % len;
      char c = alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
      switch (rand_r(&seed) % 4) {
      case 0:
        buf[at] = c;
        break;
      case 1:
        memmove(buf + at, buf + at + 1, len - at);
        len--;
        break;
      case 2:
        memmove(buf + at + 1, buf + at, len - at + 1);
        buf[at] = c;
        len++;
        break;
      default:
        len = at + 1; /* truncated */
        break;
      }
    }
    assert_same(buf, len);
    assert_same_dropped(buf, len, round % 4 ? 1 : 2);
  }
  free(buf);
}

/* managedFields go only where they are a listed, watched or single object's own. */
static void test_drop_managed_fields(void **state) {
  static const char obj[] =
      "{\"metadata\":{\"name\":\"a\",\"managedFields\":[{\"manager\":\"m\",\"fieldsV1\":{\"f:x\":{},"
      "\"n\":[1,2.5,true,null,\"s\\u00e9\"]}}],\"annotations\":{\"managedFields\":\"kept\"}},"
      "\"spec\":{\"managedFields\":1,\"metadata\":{\"managedFields\":2}},\"managedFields\":3}";
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", obj);
  json_t *v = json_fast_loadb_drop(buf, strlen(buf), 1, NULL);
  assert_non_null(v);
  assert_null(json_object_get(json_object_get(v, "metadata"), "managedFields"));
  assert_string_equal(json_string_value(json_object_get(
                          json_object_get(json_object_get(v, "metadata"), "annotations"), "managedFields")),
                      "kept");
  assert_non_null(json_object_get(v, "managedFields"));
  assert_non_null(json_object_get(json_object_get(v, "spec"), "managedFields"));
  json_decref(v);
  snprintf(buf, sizeof buf, "{\"type\":\"ADDED\",\"object\":%s}", obj);
  for (int d = 0; d <= 3; d++)
    assert_same_dropped(buf, strlen(buf), d);
  snprintf(buf, sizeof buf, "{\"metadata\":{\"managedFields\":[]},\"items\":[%s,%s]}", obj, obj);
  for (int d = 0; d <= 4; d++)
    assert_same_dropped(buf, strlen(buf), d);
  /* Refusals inside the dropped part are still refusals. */
  static const char *const bad[] = {
      "{\"metadata\":{\"managedFields\":[1,]}}",
      "{\"metadata\":{\"managedFields\":\"\\ud800\"}}",
      "{\"metadata\":{\"managedFields\":99999999999999999999}}",
      "{\"metadata\":{\"managedFields\":[\"\x01\"]}}",
      "{\"metadata\":{\"managedFields\":{\"a\" 1}}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    json_error_t e;
    assert_null(json_fast_loadb_drop(bad[i], strlen(bad[i]), 1, &e));
    assert_same_dropped(bad[i], strlen(bad[i]), 1);
  }
}

/* Values no decoded text gives: every byte in strings and keys (NUL included), integer extremes, reals,
 * scalars alone, and nests around jansson's depth limit. */
static void test_dump_built(void **state) {
  char all[128];
  for (int i = 0; i < 128; i++)
    all[i] = (char)i;
  json_t *o = json_object();
  json_object_setn_new(o, all, sizeof all, json_stringn(all, sizeof all));
  json_object_set_new(o, "utf8", json_string("caf\xc3\xa9 \xf0\x9f\x98\x80 \x7f /"));
  json_t *ints = json_array();
  static const json_int_t iv[] = {0, 1, -1, 9, 10, -10, 123456789, INT64_MAX, INT64_MIN, INT64_MIN + 1};
  for (size_t i = 0; i < sizeof iv / sizeof *iv; i++)
    json_array_append_new(ints, json_integer(iv[i]));
  json_object_set_new(o, "ints", ints);
  json_t *reals = json_array();
  static const double rv[] = {0.0, -0.0, 0.5, 1.0, 1e300, -2.5e-300, 3.141592653589793, 100.0};
  for (size_t i = 0; i < sizeof rv / sizeof *rv; i++)
    json_array_append_new(reals, json_real(rv[i]));
  json_object_set_new(o, "reals", reals);
  json_object_set_new(o, "empty", json_pack("{s:{},s:[],s:s}", "o", "a", "s", ""));
  assert_same_dump(o);
  json_decref(o);
  json_t *scalars[] = {json_null(),      json_true(),    json_false(),
                       json_integer(-7), json_real(2.0), json_string("x\ty")};
  for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
    assert_same_dump(scalars[i]);
    json_decref(scalars[i]);
  }
  for (size_t depth = 2040; depth <= 2056; depth += 4) {
    json_t *top = json_array(), *cur = top;
    for (size_t d = 1; d < depth; d++) {
      json_t *next = d % 2 ? json_object() : json_array();
      if (json_is_array(cur))
        json_array_append_new(cur, next);
      else
        json_object_set_new(cur, "k", next);
      cur = next;
    }
    assert_same_dump(top);
    json_decref(top);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cases),
      cmocka_unit_test(test_depth),
      cmocka_unit_test(test_mutations),
      cmocka_unit_test(test_dump_built),
      cmocka_unit_test(test_drop_managed_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
