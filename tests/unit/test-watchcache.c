/* Unit tests for the API server's watch cache over a real SQLite store: read-your-writes, ordered prefix
 * lists with paging, watchers in revision order, replay of history older than the ring, falling behind the
 * ring, compaction (410) and timeouts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "api/jsonutil.h"
#include "apiserver/watchcache.h"

typedef struct Fixture {
  char dir[64];
  Store *store;
  WatchCache *cache;
} Fixture;

static int open_fixture(Fixture *f, size_t ring) {
  snprintf(f->dir, sizeof f->dir, "/tmp/coracle-wc-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  _cleanup_free_ char *path = xasprintf("%s/state.db", f->dir);
  StoreOptions o = {.sync = STORE_SYNC_NORMAL};
  assert_int_equal(store_open(path, &o, &f->store, NULL), 0);
  assert_int_equal(watch_cache_new(f->store, ring, &f->cache, NULL), 0);
  return 0;
}

static void close_fixture(Fixture *f) {
  watch_cache_free(f->cache);
  store_close(f->store);
  _cleanup_free_ char *cmd = xasprintf("rm -rf %s", f->dir);
  assert_int_equal(system(cmd), 0);
}

static int64_t put(Fixture *f, const char *key, const char *name, int v) {
  _cleanup_free_ char *val = xasprintf("{\"metadata\":{\"name\":\"%s\"},\"v\":%d}", name, v);
  int64_t rev = 0;
  StoreKV kv = {0};
  if (store_get(f->store, key, &kv, NULL) == 0) {
    assert_int_equal(store_update(f->store, key, val, strlen(val), kv.mod_rev, &rev, NULL), 0);
    store_kv_done(&kv);
  } else {
    assert_int_equal(store_create(f->store, key, val, strlen(val), &rev, NULL), 0);
  }
  return rev;
}

static void test_read_your_writes(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  int64_t rev = put(&f, "/registry/pods/default/a", "a", 1);
  CacheObj *o = watch_cache_get(f.cache, "/registry/pods/default/a");
  assert_non_null(o);
  assert_int_equal(o->mod_rev, rev);
  char want[24];
  snprintf(want, sizeof want, "%lld", (long long)rev);
  assert_string_equal(jstr(o->obj, "metadata.resourceVersion"), want);
  assert_non_null(strstr(o->text, "\"resourceVersion\""));
  cache_obj_unref(o);
  assert_null(watch_cache_get(f.cache, "/registry/pods/default/b"));
  assert_int_equal(watch_cache_revision(f.cache), rev);
  close_fixture(&f);
}

static void test_list_prefix_and_paging(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  put(&f, "/registry/pods/default/b", "b", 1);
  put(&f, "/registry/pods/default/a", "a", 1);
  put(&f, "/registry/pods/default2/c", "c", 1);
  put(&f, "/registry/pods/default/c", "c", 1);
  put(&f, "/registry/services/default/a", "a", 1);
  CacheObj **objs;
  size_t n, remaining;
  int64_t rev;
  watch_cache_list(f.cache, "/registry/pods/default/", NULL, 0, &objs, &n, &rev, &remaining);
  assert_int_equal(n, 3);
  assert_string_equal(objs[0]->key, "/registry/pods/default/a");
  assert_string_equal(objs[2]->key, "/registry/pods/default/c");
  watch_cache_list_free(objs, n);
  watch_cache_list(f.cache, "/registry/pods/default/", NULL, 2, &objs, &n, &rev, &remaining);
  assert_int_equal(n, 2);
  assert_int_equal(remaining, 1);
  _cleanup_free_ char *last = xstrdup(objs[1]->key);
  watch_cache_list_free(objs, n);
  watch_cache_list(f.cache, "/registry/pods/default/", last, 2, &objs, &n, &rev, &remaining);
  assert_int_equal(n, 1);
  assert_string_equal(objs[0]->key, "/registry/pods/default/c");
  assert_int_equal(remaining, 0);
  watch_cache_list_free(objs, n);
  assert_int_equal(watch_cache_count(f.cache, "/registry/pods/"), 4);
  /* Delete leaves the index. */
  assert_int_equal(store_delete(f.store, "/registry/pods/default/a", 0, NULL, NULL), 0);
  assert_int_equal(watch_cache_count(f.cache, "/registry/pods/default/"), 2);
  close_fixture(&f);
}

static void test_watch_in_order(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  int64_t start = put(&f, "/registry/pods/default/a", "a", 1);
  Watcher *w;
  assert_int_equal(watch_cache_watch(f.cache, "/registry/pods/default/", start, &w, NULL), 0);
  put(&f, "/registry/services/default/x", "x", 1); /* other prefix: skipped */
  int64_t r2 = put(&f, "/registry/pods/default/a", "a", 2);
  int64_t r3 = put(&f, "/registry/pods/default/b", "b", 1);
  assert_int_equal(store_delete(f.store, "/registry/pods/default/a", 0, NULL, NULL), 0);
  WatchEvent ev;
  assert_int_equal(watcher_next(w, 1000, &ev), 0);
  assert_int_equal(ev.type, WATCH_MODIFIED);
  assert_int_equal(ev.rev, r2);
  assert_non_null(ev.prev);
  assert_int_equal(jint(ev.prev->obj, "v", 0), 1);
  assert_int_equal(jint(ev.obj->obj, "v", 0), 2);
  watch_event_done(&ev);
  assert_int_equal(watcher_next(w, 1000, &ev), 0);
  assert_int_equal(ev.type, WATCH_ADDED);
  assert_int_equal(ev.rev, r3);
  watch_event_done(&ev);
  assert_int_equal(watcher_next(w, 1000, &ev), 0);
  assert_int_equal(ev.type, WATCH_DELETED);
  /* A deleted object is reported with the deletion's revision. */
  char want[24];
  snprintf(want, sizeof want, "%lld", (long long)ev.rev);
  assert_string_equal(jstr(ev.obj->obj, "metadata.resourceVersion"), want);
  watch_event_done(&ev);
  assert_int_equal(watcher_next(w, 50, &ev), -ETIMEDOUT);
  watcher_free(w);
  close_fixture(&f);
}

/* watcher_next_many takes what is there, up to its max, in order; an interrupt is answered on its own. */
static void test_watch_many(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  int64_t start = put(&f, "/registry/pods/default/a", "a", 1);
  Watcher *w;
  assert_int_equal(watch_cache_watch(f.cache, "/registry/pods/default/", start, &w, NULL), 0);
  int64_t r[3];
  r[0] = put(&f, "/registry/pods/default/a", "a", 2);
  put(&f, "/registry/services/default/x", "x", 1); /* other prefix: skipped */
  r[1] = put(&f, "/registry/pods/default/b", "b", 1);
  r[2] = put(&f, "/registry/pods/default/c", "c", 1);
  WatchEvent evs[2];
  assert_int_equal(watcher_next_many(w, 1000, evs, 2), 2);
  assert_int_equal(evs[0].rev, r[0]);
  assert_int_equal(evs[0].type, WATCH_MODIFIED);
  assert_int_equal(evs[1].rev, r[1]);
  assert_int_equal(evs[1].type, WATCH_ADDED);
  watch_event_done(&evs[0]);
  watch_event_done(&evs[1]);
  assert_int_equal(watcher_next_many(w, 1000, evs, 2), 1);
  assert_int_equal(evs[0].rev, r[2]);
  watch_event_done(&evs[0]);
  watcher_interrupt(w);
  assert_int_equal(watcher_next_many(w, 1000, evs, 2), -EINTR);
  assert_int_equal(watcher_next_many(w, 50, evs, 2), -ETIMEDOUT);
  /* Large objects: a round takes them while their text stays within 256 KiB, and always one. */
  char *big = malloc(150 * 1024);
  memset(big, 'x', 150 * 1024 - 1);
  big[150 * 1024 - 1] = 0;
  int64_t rb[3];
  for (int i = 0; i < 3; i++) {
    _cleanup_free_ char *key = xasprintf("/registry/pods/default/big%d", i);
    _cleanup_free_ char *val = xasprintf("{\"metadata\":{\"name\":\"big%d\"},\"data\":\"%s\"}", i, big);
    assert_int_equal(store_create(f.store, key, val, strlen(val), &rb[i], NULL), 0);
  }
  free(big);
  WatchEvent many[8];
  for (int i = 0; i < 3; i++) {
    assert_int_equal(watcher_next_many(w, 1000, many, 8), 1);
    assert_int_equal(many[0].rev, rb[i]);
    watch_event_done(&many[0]);
  }
  watcher_free(w);
  close_fixture(&f);
}

/* An update's and a delete's previous object is the one the index published (shared, not re-parsed). */
static void test_prev_is_published_object(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  int64_t r1 = put(&f, "/registry/pods/default/a", "a", 1);
  Watcher *w;
  assert_int_equal(watch_cache_watch(f.cache, "/registry/pods/default/", r1, &w, NULL), 0);
  CacheObj *v1 = watch_cache_get(f.cache, "/registry/pods/default/a");
  assert_non_null(v1);
  put(&f, "/registry/pods/default/a", "a", 2);
  CacheObj *v2 = watch_cache_get(f.cache, "/registry/pods/default/a");
  assert_int_equal(store_delete(f.store, "/registry/pods/default/a", 0, NULL, NULL), 0);
  WatchEvent ev;
  assert_int_equal(watcher_next(w, 1000, &ev), 0);
  assert_int_equal(ev.type, WATCH_MODIFIED);
  assert_ptr_equal(ev.prev, v1);
  assert_ptr_equal(ev.obj, v2);
  assert_int_equal(ev.prev->mod_rev, r1);
  watch_event_done(&ev);
  assert_int_equal(watcher_next(w, 1000, &ev), 0);
  assert_int_equal(ev.type, WATCH_DELETED);
  assert_ptr_equal(ev.prev, v2);
  assert_int_equal(jint(ev.obj->obj, "v", 0), 2);
  assert_true(ev.obj != v2);
  watch_event_done(&ev);
  cache_obj_unref(v1);
  cache_obj_unref(v2);
  watcher_free(w);
  close_fixture(&f);
}

/* A writer's offered object is published instead of a parse of the stored bytes (the test offers one that
 * differs from the bytes to tell them apart), without changing the writer's tree; an update's object may
 * share subtrees with the published one; an offer left by a failed write is withdrawn. */
/* A create (expected_rev 0) or update of key to val with obj offered, as the registry writes; returns the
 * store's result. */
static int offered_write(Fixture *f, const char *key, const char *val, json_t *obj, int64_t expected_rev,
                         int64_t *ret_rev) {
  watch_cache_offer(f->cache, val, obj);
  int rc = expected_rev ? store_update(f->store, key, val, strlen(val), expected_rev, ret_rev, NULL)
                        : store_create(f->store, key, val, strlen(val), ret_rev, NULL);
  watch_cache_withdraw(f->cache, val);
  return rc;
}

static void test_offered_object(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  const char *key = "/registry/pods/default/a";
  _cleanup_json_ json_t *offered =
      json_pack("{s:{s:s},s:i,s:{s:i}}", "metadata", "name", "a", "v", 100, "spec", "x", 1);
  _cleanup_free_ char *val = json_compact(offered);
  int64_t rev = 0;
  assert_int_equal(offered_write(&f, key, val, offered, 0, &rev), 0);
  CacheObj *o = watch_cache_get(f.cache, key);
  assert_int_equal(jint(o->obj, "v", 0), 100);
  /* The offered tree itself, not a parse of the bytes. */
  assert_ptr_equal(json_object_get(o->obj, "spec"), json_object_get(offered, "spec"));
  assert_non_null(jstr(o->obj, "metadata.resourceVersion"));
  assert_null(jstr(offered, "metadata.resourceVersion")); /* the writer's tree is left as it was */

  /* An update built from the published object (its spec shared by reference). */
  _cleanup_free_ char *val2 = xstrdup("{\"metadata\":{\"name\":\"a\"},\"v\":2,\"spec\":{\"x\":1}}");
  _cleanup_json_ json_t *next = json_pack("{s:{s:s},s:i,s:O}", "metadata", "name", "a", "v", 2, "spec",
                                          json_object_get(o->obj, "spec"));
  assert_int_equal(offered_write(&f, key, val2, next, rev, NULL), 0);
  CacheObj *o2 = watch_cache_get(f.cache, key);
  assert_int_equal(jint(o2->obj, "v", 0), 2);
  assert_ptr_equal(json_object_get(o2->obj, "spec"), json_object_get(o->obj, "spec"));
  char rv1[24];
  snprintf(rv1, sizeof rv1, "%lld", (long long)rev);
  assert_string_equal(jstr(o->obj, "metadata.resourceVersion"), rv1); /* the old version is untouched */

  /* A write that fails (stale revision) never reaches the hook: the offer is withdrawn, not leaked. */
  assert_int_equal(offered_write(&f, key, val2, next, rev, NULL), -ECANCELED);
  /* Without an offer the bytes are parsed. */
  int64_t rev3 = put(&f, key, "a", 3);
  CacheObj *o3 = watch_cache_get(f.cache, key);
  assert_int_equal(o3->mod_rev, rev3);
  assert_int_equal(jint(o3->obj, "v", 0), 3);
  cache_obj_unref(o);
  cache_obj_unref(o2);
  cache_obj_unref(o3);
  close_fixture(&f);
}

/* The cached text of an offered write is the written bytes with the revision spliced into metadata: it
 * must be exactly what serialising the cached object gives, whatever metadata holds and wherever it is. */
static void test_offered_text_spliced(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  static const char *const objects[] = {
      "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"x\":1}}",
      "{\"kind\":\"Pod\",\"metadata\":{},\"spec\":{}}",
      "{\"kind\":\"Pod\",\"spec\":{\"metadata\":{\"x\":\"}\"}},\"metadata\":{\"name\":\"b\",\"labels\":"
      "{\"k\":\"v}{\\\"\"},\"ownerReferences\":[{\"name\":\"o\"}]},\"status\":{\"s\":[1,{\"a\":\"]\"}]}}",
      "{\"metadata\":{\"name\":\"c\",\"resourceVersion\":\"7\",\"uid\":\"u\"},\"v\":1}",
      "{\"kind\":\"Thing\"}",
  };
  int64_t rev = 0;
  for (size_t i = 0; i < ELEMENTSOF(objects); i++) {
    _cleanup_json_ json_t *obj = json_loads(objects[i], 0, NULL);
    assert_non_null(obj);
    /* As the registry encodes: without the resourceVersion, which only the offered tree may keep. */
    _cleanup_json_ json_t *bare = json_deep_copy(obj);
    json_object_del(jobj(bare, "metadata"), "resourceVersion");
    _cleanup_free_ char *val = json_compact(bare);
    char key[64];
    snprintf(key, sizeof key, "/registry/things/ns/t%zu", i);
    assert_int_equal(offered_write(&f, key, val, obj, 0, &rev), 0);
    _cleanup_cache_obj_ CacheObj *o = watch_cache_get(f.cache, key);
    assert_non_null(o);
    _cleanup_free_ char *want = json_compact(o->obj);
    assert_string_equal(o->text, want);
    assert_int_equal(o->len, strlen(want));
    char rv[24];
    snprintf(rv, sizeof rv, "%lld", (long long)rev);
    assert_string_equal(jstr(o->obj, "metadata.resourceVersion"), rv);
  }
  close_fixture(&f);
}

static void test_replay_older_than_ring(void **state) {
  Fixture f;
  open_fixture(&f, 4);
  int64_t start = put(&f, "/registry/cm/ns/k0", "k0", 0);
  for (int i = 1; i <= 10; i++) {
    char key[64], name[16];
    snprintf(key, sizeof key, "/registry/cm/ns/k%d", i);
    snprintf(name, sizeof name, "k%d", i);
    put(&f, key, name, i);
  }
  Watcher *w;
  assert_int_equal(watch_cache_watch(f.cache, "/registry/cm/", start, &w, NULL), 0);
  for (int i = 1; i <= 10; i++) {
    WatchEvent ev;
    assert_int_equal(watcher_next(w, 1000, &ev), 0);
    assert_int_equal(ev.rev, start + i);
    assert_int_equal(jint(ev.obj->obj, "v", -1), i);
    watch_event_done(&ev);
  }
  put(&f, "/registry/cm/ns/k11", "k11", 11);
  WatchEvent ev;
  assert_int_equal(watcher_next(w, 1000, &ev), 0);
  assert_int_equal(jint(ev.obj->obj, "v", -1), 11);
  watch_event_done(&ev);
  watcher_free(w);
  close_fixture(&f);
}

static void test_slow_watcher_falls_behind(void **state) {
  Fixture f;
  open_fixture(&f, 4);
  int64_t start = put(&f, "/registry/cm/ns/a", "a", 0);
  Watcher *w;
  assert_int_equal(watch_cache_watch(f.cache, "/registry/cm/", start, &w, NULL), 0);
  for (int i = 1; i <= 8; i++)
    put(&f, "/registry/cm/ns/a", "a", i);
  WatchEvent ev;
  assert_int_equal(watcher_next(w, 100, &ev), -ENODATA);
  watcher_free(w);
  close_fixture(&f);
}

static void test_compacted_is_gone(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  int64_t first = put(&f, "/registry/cm/ns/a", "a", 0);
  int64_t last = first;
  for (int i = 1; i <= 5; i++)
    last = put(&f, "/registry/cm/ns/a", "a", i);
  assert_int_equal(store_compact(f.store, last - 1, NULL), 0);
  Watcher *w;
  Error e = ERROR_INIT;
  assert_int_equal(watch_cache_watch(f.cache, "/registry/cm/", first, &w, &e), -ENODATA);
  error_reset(&e);
  assert_int_equal(watch_cache_watch(f.cache, "/registry/cm/", last - 1, &w, NULL), 0);
  WatchEvent ev;
  assert_int_equal(watcher_next(w, 1000, &ev), 0);
  assert_int_equal(ev.rev, last);
  watch_event_done(&ev);
  watcher_free(w);
  close_fixture(&f);
}

static void test_reload_from_store(void **state) {
  Fixture f;
  open_fixture(&f, 64);
  put(&f, "/registry/cm/ns/b", "b", 2);
  int64_t rev = put(&f, "/registry/cm/ns/a", "a", 1);
  watch_cache_free(f.cache);
  assert_int_equal(watch_cache_new(f.store, 64, &f.cache, NULL), 0);
  assert_int_equal(watch_cache_revision(f.cache), rev);
  assert_int_equal(watch_cache_count(f.cache, "/registry/cm/"), 2);
  CacheObj *o = watch_cache_get(f.cache, "/registry/cm/ns/b");
  assert_int_equal(jint(o->obj, "v", 0), 2);
  cache_obj_unref(o);
  close_fixture(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_offered_object),
      cmocka_unit_test(test_offered_text_spliced),
      cmocka_unit_test(test_read_your_writes),
      cmocka_unit_test(test_list_prefix_and_paging),
      cmocka_unit_test(test_watch_in_order),
      cmocka_unit_test(test_watch_many),
      cmocka_unit_test(test_prev_is_published_object),
      cmocka_unit_test(test_replay_older_than_ring),
      cmocka_unit_test(test_slow_watcher_falls_behind),
      cmocka_unit_test(test_compacted_is_gone),
      cmocka_unit_test(test_reload_from_store),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
