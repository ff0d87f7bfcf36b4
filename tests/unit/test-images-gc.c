/* The image garbage collection policy (src/agent/images/gc.c): when it acts, how much it frees, in which
 * order, and what it never touches. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "agent/images/images.h"

#define MB (1000 * 1000)
#define GB (1000ull * MB)

static void test_below_high_does_nothing(void **state) {
  ImageGcPolicy p = {.high_percent = 85, .low_percent = 80, .min_age_sec = 120};
  ImageGcItem items[] = {{.id = "a", .size = 100 * MB, .first_seen = 0, .last_used = 0}};
  size_t order[1];
  ImageGcResult r;
  /* 84% used */
  assert_int_equal(image_gc_plan(&p, 100 * GB, 16 * GB, items, 1, 10000, order, &r), 0);
  assert_false(r.triggered);
  assert_int_equal(r.usage_percent, 84);
}

static void test_lru_first_until_low(void **state) {
  ImageGcPolicy p = {.high_percent = 85, .low_percent = 80, .min_age_sec = 120};
  /* 90% used: 10 GB available of 100; down to 80% means 20 GB available: free 10 GB. */
  ImageGcItem items[] = {
      {.id = "recent", .size = 6 * GB, .first_seen = 0, .last_used = 9000},
      {.id = "oldest", .size = 4 * GB, .first_seen = 0, .last_used = 100},
      {.id = "used", .size = 50 * GB, .first_seen = 0, .last_used = 50, .in_use = true},
      {.id = "middle", .size = 5 * GB, .first_seen = 0, .last_used = 500},
      {.id = "spare", .size = 5 * GB, .first_seen = 0, .last_used = 9500},
  };
  size_t order[5];
  ImageGcResult r;
  size_t n = image_gc_plan(&p, 100 * GB, 10 * GB, items, 5, 10000, order, &r);
  assert_true(r.triggered);
  assert_int_equal(r.usage_percent, 90);
  assert_int_equal(r.to_free, 10 * GB);
  assert_int_equal(n, 3); /* oldest 4 + middle 5 = 9 < 10, then recent 6 */
  assert_string_equal(items[order[0]].id, "oldest");
  assert_string_equal(items[order[1]].id, "middle");
  assert_string_equal(items[order[2]].id, "recent");
  assert_int_equal(r.freed, 15 * GB);
}

static void test_young_and_used_are_kept(void **state) {
  ImageGcPolicy p = {.high_percent = 50, .low_percent = 40, .min_age_sec = 120};
  ImageGcItem items[] = {
      {.id = "young", .size = 1 * GB, .first_seen = 9950, .last_used = 9950},
      {.id = "used", .size = 1 * GB, .first_seen = 0, .last_used = 0, .in_use = true},
      {.id = "old", .size = 1 * GB, .first_seen = 0, .last_used = 1},
  };
  size_t order[3];
  ImageGcResult r;
  size_t n = image_gc_plan(&p, 100 * GB, 10 * GB, items, 3, 10000, order, &r);
  assert_int_equal(n, 1);
  assert_string_equal(items[order[0]].id, "old");
  /* 90% used, low 40%: 50 GB to free, only 1 GB eligible: the caller reports ImageGCFailed. */
  assert_int_equal(r.to_free, 50 * GB);
  assert_true(r.freed < r.to_free);
}

static void test_disabled_and_thresholds(void **state) {
  ImageGcPolicy p = {.high_percent = 100, .low_percent = 80};
  ImageGcItem items[] = {{.id = "a", .size = 1, .first_seen = 0, .last_used = 0}};
  size_t order[1];
  ImageGcResult r;
  assert_int_equal(image_gc_plan(&p, 100, 0, items, 1, 10000, order, &r), 0);
  assert_false(r.triggered);
  /* high 1 / low 0 (tests): any use at all triggers, everything unused and old enough goes. */
  p = (ImageGcPolicy){.high_percent = 1, .low_percent = 0, .min_age_sec = 0};
  assert_int_equal(image_gc_plan(&p, 100 * GB, 50 * GB, items, 1, 10000, order, &r), 1);
  Error e = ERROR_INIT;
  assert_int_equal(image_gc_check_thresholds(85, 80, &e), 0);
  assert_int_equal(image_gc_check_thresholds(100, 100, &e), 0);
  assert_int_equal(image_gc_check_thresholds(80, 80, &e), -EINVAL);
  assert_non_null(strstr(e.message, "must be less than"));
  error_reset(&e);
  assert_int_equal(image_gc_check_thresholds(101, 80, &e), -EINVAL);
  error_reset(&e);
  assert_int_equal(image_gc_check_thresholds(85, -1, &e), -EINVAL);
  error_reset(&e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_below_high_does_nothing),
      cmocka_unit_test(test_lru_first_until_low),
      cmocka_unit_test(test_young_and_used_are_kept),
      cmocka_unit_test(test_disabled_and_thresholds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
