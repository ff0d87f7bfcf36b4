/* Unit tests for the agent's usage readings (src/agent/kubelet/stats.c): the "key value" files of cgroups,
 * cAdvisor's working set, the time format, and a real reading of this machine's root cgroup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>

#include "agent/kubelet/kubelet-internal.h"

static void test_kv(void **state) {
  const char *stat = "cache 4096\nrss 8192\ninactive_file 100\ntotal_inactive_file 4000\nusage_usec 12\n";
  uint64_t v = 0;
  assert_int_equal(kubelet_stats_kv(stat, "total_inactive_file", &v), 0);
  assert_int_equal(v, 4000);
  assert_int_equal(kubelet_stats_kv(stat, "inactive_file", &v), 0); /* not the total_ line */
  assert_int_equal(v, 100);
  assert_int_equal(kubelet_stats_kv(stat, "usage_usec", &v), 0);
  assert_int_equal(v, 12);
  assert_int_equal(kubelet_stats_kv(stat, "active_file", &v), -ENOENT);
  assert_int_equal(kubelet_stats_kv("x y\n", "x", &v), -EBADMSG);
}

static void test_working_set(void **state) {
  assert_int_equal(kubelet_working_set(10000, 4000), 6000);
  assert_int_equal(kubelet_working_set(100, 4000), 0); /* never below zero */
}

static void test_nanocores(void **state) {
  uint64_t nc = 0;
  /* 15 s of one busy core: 1000m. */
  assert_true(kubelet_nanocores(1000000, 5000000000ull, 16000000, 20000000000ull, &nc));
  assert_int_equal(nc, 1000000000);
  assert_true(kubelet_nanocores(1000000, 0, 3000000, 500000000, &nc)); /* 0.5 s in 2 s */
  assert_int_equal(nc, 250000000);
  assert_false(kubelet_nanocores(0, 0, 3000000, 5, &nc));           /* no previous reading */
  assert_false(kubelet_nanocores(3000000, 10, 3000000, 20, &nc));   /* same time */
  assert_false(kubelet_nanocores(1000000, 500, 2000000, 100, &nc)); /* counter restarted */
}

static void test_time(void **state) {
  char b[48];
  kubelet_stats_format_time(1700000000123456ull, b);
  assert_string_equal(b, "2023-11-14T22:13:20.123456Z");
}

static void test_root_reading(void **state) {
  KubeletUsage u;
  /* The root of the host's hierarchy (v1 cpuacct/memory, or v2 where it has the files). */
  if (kubelet_stats_read_cgroup("", &u) < 0)
    skip();
  assert_true(u.cpu_ns > 0);
  assert_true(u.time_usec > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kv),   cmocka_unit_test(test_working_set),  cmocka_unit_test(test_nanocores),
      cmocka_unit_test(test_time), cmocka_unit_test(test_root_reading),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
