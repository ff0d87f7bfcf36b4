/* Unit tests for the controllers' work queue: deduplication, a key never processed by two workers at once,
 * add_after ordering and wake-ups without polling, the per-key exponential back-off and forget, shutdown
 * (waking workers, draining, refusing new keys) and a multi-worker stress run. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <cmocka.h>

#include "base/util.h"
#include "client/workqueue.h"

static char *get_now(WorkQueue *q) {
  char *k = NULL;
  assert_int_equal(workqueue_get_timeout(q, 1000, &k), 0);
  return k;
}

static void expect_key(WorkQueue *q, const char *want) {
  _cleanup_free_ char *k = get_now(q);
  assert_string_equal(k, want);
  workqueue_done(q, k);
}

static void test_dedup(void **state) {
  WorkQueue *q = workqueue_new("t");
  workqueue_add(q, "ns/a");
  workqueue_add(q, "ns/b");
  workqueue_add(q, "ns/a");
  assert_int_equal(workqueue_len(q), 2);
  expect_key(q, "ns/a");
  expect_key(q, "ns/b");
  assert_int_equal(workqueue_len(q), 0);
  char *k = NULL;
  assert_int_equal(workqueue_get_timeout(q, 20000, &k), -ETIMEDOUT);
  assert_null(k);
  workqueue_free(q);
}

typedef struct Getter {
  WorkQueue *q;
  uint64_t timeout_usec; /* 0 = blocking get */
  int rc;
  char *key;
  uint64_t waited_usec;
} Getter;

static void *getter_run(void *arg) {
  Getter *g = arg;
  uint64_t start = now_monotonic_usec();
  g->rc =
      g->timeout_usec ? workqueue_get_timeout(g->q, g->timeout_usec, &g->key) : workqueue_get(g->q, &g->key);
  g->waited_usec = now_monotonic_usec() - start;
  return NULL;
}

static void test_no_concurrent_processing(void **state) {
  WorkQueue *q = workqueue_new("t");
  workqueue_add(q, "k");
  _cleanup_free_ char *k = get_now(q);
  /* Re-added while processing: marked dirty, not handed to another worker. */
  workqueue_add(q, "k");
  workqueue_add(q, "k");
  assert_int_equal(workqueue_len(q), 0);
  Getter g = {.q = q, .timeout_usec = 100000};
  pthread_t t;
  pthread_create(&t, NULL, getter_run, &g);
  pthread_join(t, NULL);
  assert_int_equal(g.rc, -ETIMEDOUT);
  /* Done: queued again exactly once. */
  workqueue_done(q, k);
  assert_int_equal(workqueue_len(q), 1);
  expect_key(q, "k");
  assert_int_equal(workqueue_len(q), 0);
  workqueue_free(q);
}

static void test_done_wakes_waiting_worker(void **state) {
  WorkQueue *q = workqueue_new("t");
  workqueue_add(q, "k");
  _cleanup_free_ char *k = get_now(q);
  workqueue_add(q, "k");
  Getter g = {.q = q};
  pthread_t t;
  pthread_create(&t, NULL, getter_run, &g);
  usleep(30000);
  workqueue_done(q, k);
  pthread_join(t, NULL);
  assert_int_equal(g.rc, 0);
  assert_string_equal(g.key, "k");
  workqueue_done(q, g.key);
  free(g.key);
  workqueue_free(q);
}

static void test_add_after_order(void **state) {
  WorkQueue *q = workqueue_new("t");
  uint64_t start = now_monotonic_usec();
  workqueue_add_after(q, "c", 90000);
  workqueue_add_after(q, "a", 30000);
  workqueue_add_after(q, "b", 60000);
  workqueue_add_after(q, "now", 0);
  assert_int_equal(workqueue_len(q), 1);
  const char *order[] = {"now", "a", "b", "c"};
  const uint64_t min_delay[] = {0, 30000, 60000, 90000};
  for (size_t i = 0; i < 4; i++) {
    char *k = NULL;
    assert_int_equal(workqueue_get_timeout(q, 2000000, &k), 0);
    assert_string_equal(k, order[i]);
    assert_true(now_monotonic_usec() - start >= min_delay[i]);
    workqueue_done(q, k);
    free(k);
  }
  workqueue_free(q);
}

static void test_add_after_keeps_earliest(void **state) {
  WorkQueue *q = workqueue_new("t");
  uint64_t start = now_monotonic_usec();
  workqueue_add_after(q, "x", 2000000);
  workqueue_add_after(q, "x", 30000);   /* earlier: moves it */
  workqueue_add_after(q, "x", 5000000); /* later: ignored */
  workqueue_add_after(q, "y", 60000);
  _cleanup_free_ char *k = NULL;
  assert_int_equal(workqueue_get_timeout(q, 1000000, &k), 0);
  uint64_t waited = now_monotonic_usec() - start;
  assert_string_equal(k, "x");
  assert_true(waited >= 30000 && waited < 1000000);
  workqueue_done(q, k);
  _cleanup_free_ char *y = NULL;
  assert_int_equal(workqueue_get_timeout(q, 1000000, &y), 0);
  assert_string_equal(y, "y");
  assert_true(now_monotonic_usec() - start >= 60000);
  workqueue_done(q, y);
  workqueue_free(q);
}

static void test_blocked_get_wakes_for_delayed_key(void **state) {
  WorkQueue *q = workqueue_new("t");
  Getter g = {.q = q};
  pthread_t t;
  pthread_create(&t, NULL, getter_run, &g);
  usleep(20000); /* the worker now sleeps with nothing delayed */
  workqueue_add_after(q, "late", 40000);
  pthread_join(t, NULL);
  assert_int_equal(g.rc, 0);
  assert_string_equal(g.key, "late");
  assert_true(g.waited_usec >= 40000 && g.waited_usec < 1000000);
  workqueue_done(q, g.key);
  free(g.key);
  workqueue_free(q);
}

static void test_rate_limit_backoff(void **state) {
  WorkQueue *q = workqueue_new("t");
  uint64_t want = WORKQUEUE_BACKOFF_BASE_USEC;
  for (unsigned i = 0; i < 25; i++) {
    assert_int_equal(workqueue_num_requeues(q, "x"), i);
    uint64_t d = workqueue_add_rate_limited(q, "x");
    assert_int_equal(d, want);
    want = want * 2 > WORKQUEUE_BACKOFF_MAX_USEC ? WORKQUEUE_BACKOFF_MAX_USEC : want * 2;
  }
  assert_int_equal(workqueue_add_rate_limited(q, "x"), 1000000000ull); /* capped at 1000 s */
  /* Other keys have their own count. */
  assert_int_equal(workqueue_add_rate_limited(q, "y"), 5000);
  workqueue_forget(q, "x");
  assert_int_equal(workqueue_num_requeues(q, "x"), 0);
  assert_int_equal(workqueue_add_rate_limited(q, "x"), 5000);
  /* x was first due 5 ms after the first add and keeps that earliest time. */
  usleep(20000);
  assert_int_equal(workqueue_len(q), 2);
  workqueue_free(q);
}

static void test_rate_limited_key_arrives_after_backoff(void **state) {
  WorkQueue *q = workqueue_new("t");
  workqueue_set_backoff(q, 20000, 1000000);
  workqueue_add(q, "k");
  for (int round = 0; round < 3; round++) {
    uint64_t start = now_monotonic_usec();
    char *k = NULL;
    assert_int_equal(workqueue_get_timeout(q, 2000000, &k), 0);
    if (round > 0)
      assert_true(now_monotonic_usec() - start >= (20000ull << (round - 1)));
    /* The reconcile failed: retry later. */
    uint64_t d = workqueue_add_rate_limited(q, k);
    assert_int_equal(d, 20000ull << round);
    workqueue_done(q, k);
    free(k);
  }
  workqueue_free(q);
}

static void test_shutdown_wakes_workers(void **state) {
  WorkQueue *q = workqueue_new("t");
  Getter g[3];
  pthread_t t[3];
  for (int i = 0; i < 3; i++) {
    g[i] = (Getter){.q = q};
    pthread_create(&t[i], NULL, getter_run, &g[i]);
  }
  workqueue_add_after(q, "never", 10000000);
  usleep(30000);
  uint64_t start = now_monotonic_usec();
  workqueue_shutdown(q);
  for (int i = 0; i < 3; i++) {
    pthread_join(t[i], NULL);
    assert_int_equal(g[i].rc, -ESHUTDOWN);
  }
  assert_true(now_monotonic_usec() - start < 500000);
  assert_true(workqueue_shutting_down(q));
  workqueue_free(q);
}

static void test_shutdown_drains(void **state) {
  WorkQueue *q = workqueue_new("t");
  workqueue_add(q, "a");
  workqueue_add(q, "b");
  workqueue_add_after(q, "delayed", 1000);
  workqueue_shutdown(q);
  workqueue_add(q, "ignored");
  expect_key(q, "a");
  expect_key(q, "b");
  char *k = NULL;
  assert_int_equal(workqueue_get(q, &k), -ESHUTDOWN);
  usleep(5000);
  assert_int_equal(workqueue_len(q), 0);
  workqueue_free(q);
}

#define STRESS_KEYS 8
#define STRESS_WORKERS 4

typedef struct Stress {
  WorkQueue *q;
  atomic_int busy[STRESS_KEYS];
  atomic_int processed;
  atomic_int overlaps;
} Stress;

static void *stress_worker(void *arg) {
  Stress *s = arg;
  char *k;
  while (workqueue_get(s->q, &k) == 0) {
    int i = k[0] - 'a';
    if (atomic_fetch_add(&s->busy[i], 1) != 0)
      atomic_fetch_add(&s->overlaps, 1);
    usleep(200);
    atomic_fetch_sub(&s->busy[i], 1);
    atomic_fetch_add(&s->processed, 1);
    workqueue_done(s->q, k);
    free(k);
  }
  return NULL;
}

static void test_stress_one_worker_per_key(void **state) {
  Stress s = {.q = workqueue_new("stress")};
  pthread_t t[STRESS_WORKERS];
  for (int i = 0; i < STRESS_WORKERS; i++)
    pthread_create(&t[i], NULL, stress_worker, &s);
  for (int n = 0; n < 4000; n++) {
    char key[2] = {(char)('a' + n % STRESS_KEYS), 0};
    workqueue_add(s.q, key);
    if (n % 64 == 0)
      usleep(100);
  }
  /* Let the last additions be processed, then stop. */
  while (workqueue_len(s.q) > 0)
    usleep(1000);
  usleep(5000);
  workqueue_shutdown(s.q);
  for (int i = 0; i < STRESS_WORKERS; i++)
    pthread_join(t[i], NULL);
  assert_int_equal(atomic_load(&s.overlaps), 0);
  assert_true(atomic_load(&s.processed) >= STRESS_KEYS);
  /* Deduplication collapsed most of the 4000 additions. */
  assert_true(atomic_load(&s.processed) < 4000);
  workqueue_free(s.q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dedup),
      cmocka_unit_test(test_no_concurrent_processing),
      cmocka_unit_test(test_done_wakes_waiting_worker),
      cmocka_unit_test(test_add_after_order),
      cmocka_unit_test(test_add_after_keeps_earliest),
      cmocka_unit_test(test_blocked_get_wakes_for_delayed_key),
      cmocka_unit_test(test_rate_limit_backoff),
      cmocka_unit_test(test_rate_limited_key_arrives_after_backoff),
      cmocka_unit_test(test_shutdown_wakes_workers),
      cmocka_unit_test(test_shutdown_drains),
      cmocka_unit_test(test_stress_one_worker_per_key),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
