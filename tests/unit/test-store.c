/* Unit tests of the revisioned store (store.h) on its SQLite backend: the etcd-like contract the API server
 * relies on (revisions, compare-and-swap, prefix lists with paging, lists at old revisions, the event
 * history and its compaction, the commit hook), behaviour across reopen and under concurrent writers, group
 * commit (writes sharing a batch see each other, refusals and failed commits are contained), and that an
 * acknowledged write survives kill -9 of the writing process, with one writer or many. Each test works in its
 * own directory under /tmp, removed afterwards. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "base/buf.h"
#include "store/store.h"
#include "store/store-internal.h"

typedef struct Fixture {
  char dir[64];
  char path[128];
  Store *store;
} Fixture;

static void remove_dir(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return;
  struct dirent *de;
  while ((de = readdir(d)))
    if (!streq(de->d_name, ".") && !streq(de->d_name, "..")) {
      _cleanup_free_ char *p = xasprintf("%s/%s", dir, de->d_name);
      unlink(p);
    }
  closedir(d);
  rmdir(dir);
}

static Store *open_store(Fixture *f, StoreSync sync) {
  Error err = ERROR_INIT;
  Store *s = NULL;
  StoreOptions opts = {.sync = sync};
  int r = store_open(f->path, &opts, &s, &err);
  if (r < 0)
    fail_msg("store_open: %s", err.message);
  error_reset(&err);
  return s;
}

static int setup(void **state) {
  Fixture *f = xzalloc(sizeof *f);
  strcpy(f->dir, "/tmp/coracle-test-store-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
  /* NORMAL keeps the suite fast; it still promises survival of kill -9, which test_kill9 checks. */
  f->store = open_store(f, STORE_SYNC_NORMAL);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  store_close(f->store);
  remove_dir(f->dir);
  free(f);
  return 0;
}

static int64_t create_ok(Store *s, const char *key, const char *value) {
  Error err = ERROR_INIT;
  int64_t rev = 0;
  int r = store_create(s, key, value, strlen(value), &rev, &err);
  if (r < 0)
    fail_msg("create %s: %s", key, err.message);
  error_reset(&err);
  return rev;
}

static int64_t update_ok(Store *s, const char *key, const char *value, int64_t expected) {
  Error err = ERROR_INIT;
  int64_t rev = 0;
  int r = store_update(s, key, value, strlen(value), expected, &rev, &err);
  if (r < 0)
    fail_msg("update %s: %s", key, err.message);
  error_reset(&err);
  return rev;
}

static int64_t delete_ok(Store *s, const char *key, int64_t expected) {
  Error err = ERROR_INIT;
  int64_t rev = 0;
  int r = store_delete(s, key, expected, &rev, &err);
  if (r < 0)
    fail_msg("delete %s: %s", key, err.message);
  error_reset(&err);
  return rev;
}

static void assert_value(Store *s, const char *key, const char *value, int64_t mod_rev) {
  Error err = ERROR_INIT;
  StoreKV kv = {0};
  int r = store_get(s, key, &kv, &err);
  if (r < 0)
    fail_msg("get %s: %s", key, err.message);
  assert_string_equal(kv.key, key);
  assert_int_equal(kv.len, strlen(value));
  assert_memory_equal(kv.value, value, kv.len + 1); /* including the promised NUL */
  if (mod_rev)
    assert_int_equal(kv.mod_rev, mod_rev);
  store_kv_done(&kv);
}

static void assert_absent(Store *s, const char *key) {
  Error err = ERROR_INIT;
  StoreKV kv = {0};
  assert_int_equal(store_get(s, key, &kv, &err), -ENOENT);
  assert_non_null(err.message);
  error_reset(&err);
}

/* Lists and returns the keys joined by ' ', for compact assertions. */
static char *list_keys(Store *s, const char *prefix, int64_t at_rev) {
  Error err = ERROR_INIT;
  StoreKVList l = {0};
  int r = store_list(s, prefix, at_rev, NULL, 0, &l, &err);
  if (r < 0)
    fail_msg("list %s at %lld: %s", prefix, (long long)at_rev, err.message);
  assert_false(l.more);
  Buf b = BUF_INIT;
  for (size_t i = 0; i < l.n; i++) {
    if (i)
      buf_putc(&b, ' ');
    buf_puts(&b, l.items[i].key);
  }
  store_kv_list_done(&l);
  return buf_steal(&b, NULL);
}

static void test_string_tables(void **state) {
  assert_string_equal(store_event_type_to_string(STORE_EVENT_DELETE), "DELETE");
  assert_null(store_event_type_to_string(STORE_EVENT_INVALID));
  assert_string_equal(store_sync_to_string(STORE_SYNC_NORMAL), "normal");
  assert_int_equal(store_sync_from_string("full"), STORE_SYNC_FULL);
  assert_int_equal(store_sync_from_string("fast"), STORE_SYNC_INVALID);
  assert_int_equal(store_sync_from_string(NULL), STORE_SYNC_INVALID);
}

static void test_crud_and_revisions(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  Error err = ERROR_INIT;
  int64_t rev = -1;

  assert_int_equal(store_current_revision(s), 0);
  assert_int_equal(create_ok(s, "/a", "1"), 1);
  assert_int_equal(create_ok(s, "/b", "2"), 2);
  assert_value(s, "/a", "1", 1);

  assert_int_equal(store_create(s, "/a", "x", 1, &rev, &err), -EEXIST);
  assert_true(strstr(err.message, "key already exists") != NULL);
  assert_int_equal(rev, -1); /* outputs are written only on success */
  error_reset(&err);

  assert_int_equal(store_update(s, "/a", "x", 1, 2, NULL, &err), -ECANCELED);
  error_reset(&err);
  assert_int_equal(store_update(s, "/nope", "x", 1, 0, NULL, &err), -ENOENT);
  error_reset(&err);
  assert_int_equal(store_delete(s, "/nope", 0, NULL, &err), -ENOENT);
  error_reset(&err);
  assert_int_equal(store_delete(s, "/a", 2, NULL, &err), -ECANCELED);
  error_reset(&err);
  assert_absent(s, "/nope");
  /* Failed writes consume no revision. */
  assert_int_equal(store_current_revision(s), 2);

  assert_int_equal(update_ok(s, "/a", "one", 1), 3);
  assert_int_equal(update_ok(s, "/a", "uno", 0), 4);
  StoreKV kv = {0};
  assert_int_equal(store_get(s, "/a", &kv, &err), 0);
  assert_int_equal(kv.create_rev, 1);
  assert_int_equal(kv.mod_rev, 4);
  store_kv_done(&kv);

  assert_int_equal(delete_ok(s, "/a", 4), 5);
  assert_absent(s, "/a");
  assert_int_equal(delete_ok(s, "/b", 0), 6);
  /* Re-created keys start a new life. */
  assert_int_equal(create_ok(s, "/a", ""), 7);
  assert_value(s, "/a", "", 7);
  assert_int_equal(store_get(s, "/a", &kv, &err), 0);
  assert_int_equal(kv.create_rev, 7);
  store_kv_done(&kv);
  assert_int_equal(store_current_revision(s), 7);
}

static void test_bounds(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  Error err = ERROR_INIT;

  char key[4098];
  key[0] = '/';
  memset(key + 1, 'k', sizeof key - 2);
  key[4097] = 0; /* 4097 bytes */
  assert_int_equal(store_create(s, key, "v", 1, NULL, &err), -E2BIG);
  error_reset(&err);
  key[4096] = 0; /* 4096 bytes: the largest allowed */
  create_ok(s, key, "v");
  assert_value(s, key, "v", 0);

  assert_int_equal(store_create(s, "", "v", 1, NULL, &err), -EINVAL);
  error_reset(&err);
  assert_int_equal(store_create(s, NULL, "v", 1, NULL, &err), -EINVAL);
  error_reset(&err);

  size_t big = (16u << 20) + 1;
  char *v = xmalloc(big);
  memset(v, 'x', big);
  assert_int_equal(store_create(s, "/big", v, big, NULL, &err), -E2BIG);
  error_reset(&err);
  /* A value of 1 MiB with bytes of every kind, NULs included, comes back intact. */
  size_t n = 1u << 20;
  for (size_t i = 0; i < n; i++)
    v[i] = (char)(i * 7);
  assert_int_equal(store_create(s, "/big", v, n, NULL, &err), 0);
  StoreKV kv = {0};
  assert_int_equal(store_get(s, "/big", &kv, &err), 0);
  assert_int_equal(kv.len, n);
  assert_memory_equal(kv.value, v, n);
  assert_int_equal(kv.value[n], 0);
  store_kv_done(&kv);
  free(v);
  assert_int_equal(store_current_revision(s), 2);
}

static void test_prefix(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  create_ok(s, "/registry/pods/default/web-1", "a");
  create_ok(s, "/registry/pods/default2/web-1", "b");
  create_ok(s, "/registry/pods/default", "c");
  create_ok(s, "/registry/pods/defaulu", "d");
  create_ok(s, "/reg_x", "e");
  create_ok(s, "/regXx", "f");
  create_ok(s, "/r%", "g");
  create_ok(s, "/rzz", "h");
  create_ok(s, "/hi/\xff", "i");
  create_ok(s, "/hi/\xff\xff", "j");
  create_ok(s, "/hi0", "k");

  _cleanup_free_ char *a = list_keys(s, "/registry/pods/default/", 0);
  assert_string_equal(a, "/registry/pods/default/web-1");
  _cleanup_free_ char *b = list_keys(s, "/registry/pods/default", 0);
  assert_string_equal(b, "/registry/pods/default /registry/pods/default/web-1 /registry/pods/default2/web-1");
  _cleanup_free_ char *c = list_keys(s, "/reg_", 0); /* '_' is not a wildcard */
  assert_string_equal(c, "/reg_x");
  _cleanup_free_ char *d = list_keys(s, "/r%", 0); /* nor is '%' */
  assert_string_equal(d, "/r%");
  _cleanup_free_ char *e = list_keys(s, "/hi/\xff", 0); /* the upper bound must step over 0xff */
  assert_string_equal(e, "/hi/\xff /hi/\xff\xff");
  _cleanup_free_ char *g = list_keys(s, "/nothing/", 0);
  assert_string_equal(g, "");

  Error err = ERROR_INIT;
  StoreKVList l = {0};
  assert_int_equal(store_list(s, "", 0, NULL, 0, &l, &err), 0);
  assert_int_equal(l.n, 11);
  assert_int_equal(l.rev, 11);
  for (size_t i = 1; i < l.n; i++)
    assert_true(strcmp(l.items[i - 1].key, l.items[i].key) < 0);
  store_kv_list_done(&l);

  /* The same at an older revision, which reads the log instead of the current table. */
  create_ok(s, "/zzz", "z");
  _cleanup_free_ char *h = list_keys(s, "/registry/pods/default/", 11);
  assert_string_equal(h, "/registry/pods/default/web-1");
  _cleanup_free_ char *i = list_keys(s, "/hi/\xff", 11);
  assert_string_equal(i, "/hi/\xff /hi/\xff\xff");
  _cleanup_free_ char *j = list_keys(s, "/reg_", 11);
  assert_string_equal(j, "/reg_x");
  assert_int_equal(store_list(s, "", 11, NULL, 0, &l, &err), 0);
  assert_int_equal(l.n, 11);
  store_kv_list_done(&l);
}

/* Pages through prefix at at_rev with the given page size and checks that the pages concatenate to
 * exactly the expected keys, with consistent more/remaining. */
static void page_through(Store *s, const char *prefix, int64_t at_rev, size_t page, char **expected,
                         size_t n_expected) {
  Error err = ERROR_INIT;
  _cleanup_free_ char *after = NULL;
  size_t seen = 0;
  for (;;) {
    StoreKVList l = {0};
    int r = store_list(s, prefix, at_rev, after, page, &l, &err);
    if (r < 0)
      fail_msg("list: %s", err.message);
    if (at_rev)
      assert_int_equal(l.rev, at_rev);
    assert_true(l.n <= page);
    for (size_t i = 0; i < l.n; i++) {
      assert_true(seen < n_expected);
      assert_string_equal(l.items[i].key, expected[seen]);
      seen++;
    }
    if (l.more) {
      assert_int_equal(l.n, page);
      assert_int_equal(l.remaining, (int64_t)(n_expected - seen));
    } else {
      assert_int_equal(l.remaining, 0);
    }
    free(after);
    after = l.n ? xstrdup(l.items[l.n - 1].key) : NULL;
    bool more = l.more;
    store_kv_list_done(&l);
    if (!more)
      break;
  }
  assert_int_equal(seen, n_expected);
}

static void test_paging(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  enum { N = 300 };
  char *keys[N];
  create_ok(s, "/p", "outside");
  for (int i = 0; i < N; i++) {
    keys[i] = xasprintf("/p/%04d", i);
    create_ok(s, keys[i], "v");
  }
  create_ok(s, "/q/0", "outside");
  int64_t full = store_current_revision(s);
  /* Later changes must not disturb a paged list at the earlier revision. */
  for (int i = 0; i < N; i += 3)
    delete_ok(s, keys[i], 0);
  create_ok(s, "/p/0000a", "new");

  size_t pages[] = {1, 7, 100, 299, 300, 301, 0};
  for (size_t i = 0; i < ELEMENTSOF(pages); i++) {
    page_through(s, "/p/", full, pages[i] ? pages[i] : SIZE_MAX, keys, N);
  }
  char *now[N + 1];
  size_t n = 0;
  for (int i = 0; i < N; i++) {
    if (i % 3 != 0)
      now[n++] = keys[i];
    if (i == 0)
      now[n++] = "/p/0000a";
  }
  for (size_t i = 0; i < ELEMENTSOF(pages); i++)
    page_through(s, "/p/", 0, pages[i] ? pages[i] : SIZE_MAX, now, n);

  /* An empty continue key means the beginning; one outside the prefix is only a lower bound. */
  Error err0 = ERROR_INIT;
  StoreKVList l0 = {0};
  assert_int_equal(store_list(s, "/p/", 0, "", 1, &l0, &err0), 0);
  assert_string_equal(l0.items[0].key, "/p/0000a");
  assert_true(l0.more);
  store_kv_list_done(&l0);

  Error err = ERROR_INIT;
  StoreKVList l = {0};
  assert_int_equal(store_list(s, "/p/", 0, "/a", 2, &l, &err), 0);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.items[0].key, "/p/0000a");
  store_kv_list_done(&l);
  assert_int_equal(store_list(s, "/p/", 0, "/z", 2, &l, &err), 0);
  assert_int_equal(l.n, 0);
  assert_false(l.more);
  store_kv_list_done(&l);
  for (int i = 0; i < N; i++)
    free(keys[i]);
}

static void test_list_at_old_revision(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  Error err = ERROR_INIT;
  create_ok(s, "/o/updated", "old");
  create_ok(s, "/o/deleted", "here");
  int64_t then = create_ok(s, "/o/same", "same");
  int64_t upd = update_ok(s, "/o/updated", "new", 0);
  delete_ok(s, "/o/deleted", 0);
  create_ok(s, "/o/later", "later");

  StoreKVList l = {0};
  assert_int_equal(store_list(s, "/o/", then, NULL, 0, &l, &err), 0);
  assert_int_equal(l.rev, then);
  assert_int_equal(l.n, 3);
  assert_string_equal(l.items[0].key, "/o/deleted");
  assert_string_equal(l.items[0].value, "here");
  assert_string_equal(l.items[1].key, "/o/same");
  assert_string_equal(l.items[2].key, "/o/updated");
  assert_string_equal(l.items[2].value, "old");
  assert_int_equal(l.items[2].mod_rev, 1);
  assert_int_equal(l.items[2].create_rev, 1);
  store_kv_list_done(&l);

  assert_int_equal(store_list(s, "/o/", 0, NULL, 0, &l, &err), 0);
  assert_int_equal(l.rev, store_current_revision(s));
  assert_int_equal(l.n, 3);
  assert_string_equal(l.items[0].key, "/o/later");
  assert_string_equal(l.items[2].value, "new");
  assert_int_equal(l.items[2].mod_rev, upd);
  assert_int_equal(l.items[2].create_rev, 1);
  store_kv_list_done(&l);

  assert_int_equal(store_list(s, "/o/", store_current_revision(s) + 1, NULL, 0, &l, &err), -EINVAL);
  error_reset(&err);
  assert_int_equal(store_list(s, "/o/", -1, NULL, 0, &l, &err), -EINVAL);
  error_reset(&err);
}

typedef struct Recorded {
  StoreEventType type;
  char *key;
  int64_t rev, create_rev, prev_rev;
  char *value, *prev_value;
} Recorded;

typedef struct Recorder {
  Recorded ev[4096];
  size_t n;
  int stop_after; /* 0 = never */
} Recorder;

static int record(const StoreEvent *ev, void *userdata) {
  Recorder *rec = userdata;
  if (rec->stop_after && rec->n == (size_t)rec->stop_after)
    return -EINTR;
  assert_true(rec->n < ELEMENTSOF(rec->ev));
  rec->ev[rec->n++] = (Recorded){
      .type = ev->type,
      .key = xstrdup(ev->key),
      .rev = ev->rev,
      .create_rev = ev->create_rev,
      .prev_rev = ev->prev_rev,
      .value = ev->value ? xstrndup(ev->value, ev->len) : NULL,
      .prev_value = ev->prev_value ? xstrndup(ev->prev_value, ev->prev_len) : NULL,
  };
  return 0;
}

static void recorder_reset(Recorder *rec) {
  for (size_t i = 0; i < rec->n; i++) {
    free(rec->ev[i].key);
    free(rec->ev[i].value);
    free(rec->ev[i].prev_value);
  }
  rec->n = 0;
  rec->stop_after = 0;
}

static void assert_same_events(const Recorder *a, const Recorder *b) {
  assert_int_equal(a->n, b->n);
  for (size_t i = 0; i < a->n; i++) {
    assert_int_equal(a->ev[i].type, b->ev[i].type);
    assert_string_equal(a->ev[i].key, b->ev[i].key);
    assert_int_equal(a->ev[i].rev, b->ev[i].rev);
    assert_int_equal(a->ev[i].create_rev, b->ev[i].create_rev);
    assert_int_equal(a->ev[i].prev_rev, b->ev[i].prev_rev);
    assert_true(streq_ptr(a->ev[i].value, b->ev[i].value));
    assert_true(streq_ptr(a->ev[i].prev_value, b->ev[i].prev_value));
  }
}

static void test_events_since(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  Error err = ERROR_INIT;
  static Recorder rec;
  create_ok(s, "/e/a", "a1");     /* 1 */
  create_ok(s, "/other", "x");    /* 2 */
  update_ok(s, "/e/a", "a2", 1);  /* 3 */
  create_ok(s, "/e/b", "");       /* 4 */
  delete_ok(s, "/e/a", 3);        /* 5 */
  update_ok(s, "/other", "y", 0); /* 6 */
  create_ok(s, "/e/a", "a3");     /* 7 */

  assert_int_equal(store_events_since(s, "/e/", 0, record, &rec, &err), 0);
  assert_int_equal(rec.n, 5);
  int64_t revs[] = {1, 3, 4, 5, 7};
  StoreEventType types[] = {STORE_EVENT_CREATE, STORE_EVENT_UPDATE, STORE_EVENT_CREATE, STORE_EVENT_DELETE,
                            STORE_EVENT_CREATE};
  for (size_t i = 0; i < rec.n; i++) {
    assert_int_equal(rec.ev[i].rev, revs[i]);
    assert_int_equal(rec.ev[i].type, types[i]);
  }
  assert_null(rec.ev[0].prev_value);
  assert_string_equal(rec.ev[0].value, "a1");
  assert_int_equal(rec.ev[0].prev_rev, 0);
  assert_string_equal(rec.ev[1].value, "a2");
  assert_string_equal(rec.ev[1].prev_value, "a1");
  assert_int_equal(rec.ev[1].prev_rev, 1);
  assert_int_equal(rec.ev[1].create_rev, 1);
  assert_non_null(rec.ev[2].value); /* an empty value is still a value */
  assert_string_equal(rec.ev[2].value, "");
  assert_null(rec.ev[3].value);
  assert_string_equal(rec.ev[3].prev_value, "a2");
  assert_int_equal(rec.ev[3].prev_rev, 3);
  assert_int_equal(rec.ev[3].create_rev, 1);
  assert_int_equal(rec.ev[4].create_rev, 7);
  recorder_reset(&rec);

  assert_int_equal(store_events_since(s, "/e/", 4, record, &rec, &err), 0);
  assert_int_equal(rec.n, 2);
  assert_int_equal(rec.ev[0].rev, 5);
  recorder_reset(&rec);
  assert_int_equal(store_events_since(s, "", 0, record, &rec, &err), 0);
  assert_int_equal(rec.n, 7);
  for (size_t i = 0; i < rec.n; i++)
    assert_int_equal(rec.ev[i].rev, (int64_t)i + 1);
  recorder_reset(&rec);
  assert_int_equal(store_events_since(s, "", 7, record, &rec, &err), 0);
  assert_int_equal(rec.n, 0);

  /* A callback's negative return stops the scan and is passed back. */
  rec.stop_after = 2;
  assert_int_equal(store_events_since(s, "", 0, record, &rec, &err), -EINTR);
  assert_int_equal(rec.n, 2);
  recorder_reset(&rec);
}

/* A random history over a few keys, checked against a model of the state at every revision, before and
 * after compaction; this is what a watch cache relisting at an old resourceVersion depends on. */
enum { MODEL_KEYS = 8, MODEL_OPS = 400 };
typedef struct ModelState {
  char value[MODEL_KEYS][16];
  bool live[MODEL_KEYS];
  int64_t mod_rev[MODEL_KEYS];
} ModelState;

static void assert_matches_model(Store *s, int64_t rev, const ModelState *m) {
  Error err = ERROR_INIT;
  StoreKVList l = {0};
  int r = store_list(s, "/m/", rev, NULL, 0, &l, &err);
  if (r < 0)
    fail_msg("list at %lld: %s", (long long)rev, err.message);
  size_t j = 0;
  for (int k = 0; k < MODEL_KEYS; k++) {
    if (!m->live[k])
      continue;
    assert_true(j < l.n);
    char key[16];
    snprintf(key, sizeof key, "/m/%d", k);
    assert_string_equal(l.items[j].key, key);
    assert_string_equal(l.items[j].value, m->value[k]);
    assert_int_equal(l.items[j].mod_rev, m->mod_rev[k]);
    j++;
  }
  assert_int_equal(j, l.n);
  store_kv_list_done(&l);
}

static void test_compaction(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  Error err = ERROR_INIT;
  static ModelState states[MODEL_OPS + 1];
  static Recorder rec;
  unsigned seed = 42;

  for (int i = 1; i <= MODEL_OPS; i++) {
    ModelState *m = &states[i];
    *m = states[i - 1];
    int k = rand_r(&seed) % MODEL_KEYS;
    char key[16], value[16];
    snprintf(key, sizeof key, "/m/%d", k);
    snprintf(value, sizeof value, "v%d", i);
    int64_t rev;
    if (!m->live[k]) {
      rev = create_ok(s, key, value);
      m->live[k] = true;
    } else if (rand_r(&seed) % 3 == 0) {
      rev = delete_ok(s, key, m->mod_rev[k]);
      m->live[k] = false;
    } else {
      rev = update_ok(s, key, value, m->mod_rev[k]);
    }
    assert_int_equal(rev, i);
    if (m->live[k]) {
      strcpy(m->value[k], value);
      m->mod_rev[k] = rev;
    }
  }
  for (int64_t r = 1; r <= MODEL_OPS; r++)
    assert_matches_model(s, r, &states[r]);

  const int64_t R = 150;
  assert_int_equal(store_compact(s, R, &err), 0);
  assert_int_equal(store_compacted_revision(s), R);
  for (int64_t r = 1; r < R; r++) {
    StoreKVList l = {0};
    assert_int_equal(store_list(s, "/m/", r, NULL, 0, &l, &err), -ENODATA);
    error_reset(&err);
  }
  for (int64_t r = R; r <= MODEL_OPS; r++)
    assert_matches_model(s, r, &states[r]);
  assert_matches_model(s, 0, &states[MODEL_OPS]);

  assert_int_equal(store_events_since(s, "", R - 1, record, &rec, &err), -ENODATA);
  assert_non_null(err.message);
  error_reset(&err);
  assert_int_equal(rec.n, 0);
  assert_int_equal(store_events_since(s, "", R, record, &rec, &err), 0);
  assert_int_equal(rec.n, MODEL_OPS - R);
  for (size_t i = 0; i < rec.n; i++) {
    assert_int_equal(rec.ev[i].rev, R + 1 + (int64_t)i);
    /* The previous value of every kept event survives compaction (it is read from the row at prev_rev). */
    const ModelState *before = &states[rec.ev[i].rev - 1];
    int k = atoi(rec.ev[i].key + strlen("/m/"));
    if (rec.ev[i].type == STORE_EVENT_CREATE) {
      assert_null(rec.ev[i].prev_value);
    } else {
      assert_int_equal(rec.ev[i].prev_rev, before->mod_rev[k]);
      assert_string_equal(rec.ev[i].prev_value, before->value[k]);
    }
  }
  recorder_reset(&rec);

  /* Compacting again, backwards, or to the present is fine; to the future is not. */
  assert_int_equal(store_compact(s, R, &err), 0);
  assert_int_equal(store_compact(s, 10, &err), 0);
  assert_int_equal(store_compacted_revision(s), R);
  assert_int_equal(store_compact(s, MODEL_OPS + 1, &err), -EINVAL);
  error_reset(&err);
  assert_int_equal(store_compact(s, MODEL_OPS, &err), 0);
  assert_matches_model(s, 0, &states[MODEL_OPS]);
  assert_matches_model(s, MODEL_OPS, &states[MODEL_OPS]);
  assert_int_equal(store_events_since(s, "", MODEL_OPS, record, &rec, &err), 0);
  assert_int_equal(rec.n, 0);
  /* Writes carry on from the same revision. */
  assert_int_equal(create_ok(s, "/m/new", "n"), MODEL_OPS + 1);
  assert_int_equal(store_events_since(s, "", MODEL_OPS, record, &rec, &err), 0);
  assert_int_equal(rec.n, 1);
  recorder_reset(&rec);
}

static void test_reopen(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  create_ok(f->store, "/r/a", "1");
  create_ok(f->store, "/r/b", "2");
  update_ok(f->store, "/r/a", "3", 0);
  delete_ok(f->store, "/r/b", 0);
  assert_int_equal(store_compact(f->store, 2, &err), 0);

  /* The database is owned by one store at a time. */
  Store *other = NULL;
  StoreOptions opts = {.sync = STORE_SYNC_FULL};
  assert_int_equal(store_open(f->path, &opts, &other, &err), -EBUSY);
  error_reset(&err);

  store_close(f->store);
  f->store = open_store(f, STORE_SYNC_FULL);
  assert_int_equal(store_current_revision(f->store), 4);
  assert_int_equal(store_compacted_revision(f->store), 2);
  assert_value(f->store, "/r/a", "3", 3);
  assert_absent(f->store, "/r/b");
  _cleanup_free_ char *old = list_keys(f->store, "/r/", 2);
  assert_string_equal(old, "/r/a /r/b");
  assert_int_equal(create_ok(f->store, "/r/c", "4"), 5);
}

/* The previous value of an event is read from the row at prev_rev; a log row written by an older version,
 * which carries its own prev_value, still reads with that one. */
static void test_prev_value_of_older_rows(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  static Recorder rec;
  create_ok(f->store, "/p/a", "1");    /* 1 */
  update_ok(f->store, "/p/a", "2", 1); /* 2 */
  update_ok(f->store, "/p/a", "3", 2); /* 3 */
  store_close(f->store);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "UPDATE log SET prev_value = 'older' WHERE rev = 3", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  f->store = open_store(f, STORE_SYNC_NORMAL);
  assert_int_equal(store_events_since(f->store, "/p/", 0, record, &rec, &err), 0);
  assert_int_equal(rec.n, 3);
  assert_null(rec.ev[0].prev_value);
  assert_string_equal(rec.ev[1].prev_value, "1");
  assert_string_equal(rec.ev[2].prev_value, "older");
  recorder_reset(&rec);
}

/* A database of schema version 1 (each live value also in the current table) is migrated when opened: the
 * same keys, values and revisions read back, and a live key whose log row was missing gets it back from the
 * value version 1 kept. */
static void test_migrate_v1(void **state) {
  Fixture *f = *state;
  Error err = ERROR_INIT;
  store_close(f->store);
  f->store = NULL;
  unlink(f->path);
  _cleanup_free_ char *wal = xasprintf("%s-wal", f->path), *shm = xasprintf("%s-shm", f->path);
  unlink(wal);
  unlink(shm);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  static const char v1[] =
      "PRAGMA journal_mode = WAL;"
      "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
      "CREATE TABLE log (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, type INTEGER NOT NULL,"
      " create_rev INTEGER NOT NULL, prev_rev INTEGER NOT NULL, value BLOB, prev_value BLOB);"
      "CREATE INDEX log_key ON log (key, rev, type);"
      "CREATE TABLE current (key TEXT PRIMARY KEY, value BLOB NOT NULL, create_rev INTEGER NOT NULL,"
      " mod_rev INTEGER NOT NULL);"
      "INSERT INTO meta VALUES ('rev', 5), ('compact', 0);"
      "INSERT INTO log VALUES (1, '/m/a', 0, 1, 0, 'a1', NULL), (2, '/m/b', 0, 2, 0, 'b2', NULL),"
      " (3, '/m/a', 1, 1, 1, 'a3', 'a1'), (4, '/m/c', 0, 4, 0, 'c4', NULL), (5, '/m/c', 2, 4, 4, NULL, 'c4');"
      /* /m/b's row at rev 2 is missing from this log: the migration restores it from current. */
      "DELETE FROM log WHERE rev = 2;"
      "INSERT INTO current VALUES ('/m/a', 'a3', 1, 3), ('/m/b', 'b2', 2, 2);"
      "PRAGMA user_version = 1;";
  assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);

  f->store = open_store(f, STORE_SYNC_FULL);
  assert_int_equal(store_current_revision(f->store), 5);
  assert_value(f->store, "/m/a", "a3", 3);
  assert_value(f->store, "/m/b", "b2", 2);
  assert_absent(f->store, "/m/c");
  _cleanup_free_ char *keys = list_keys(f->store, "/m/", 0);
  assert_string_equal(keys, "/m/a /m/b");
  _cleanup_free_ char *at3 = list_keys(f->store, "/m/", 3);
  assert_string_equal(at3, "/m/a /m/b");
  assert_int_equal(update_ok(f->store, "/m/b", "b6", 2), 6);
  assert_value(f->store, "/m/b", "b6", 6);
  store_close(f->store);

  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 2);
  sqlite3_finalize(st);
  /* The value column is gone: the current table no longer holds values. */
  assert_int_not_equal(sqlite3_prepare_v2(db, "SELECT value FROM current", -1, &st, NULL), SQLITE_OK);
  sqlite3_close(db);
  f->store = open_store(f, STORE_SYNC_FULL);
  assert_value(f->store, "/m/a", "a3", 3);
  error_reset(&err);
}

static void test_commit_hook(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  Error err = ERROR_INIT;
  static Recorder hooked, replayed;
  store_set_commit_hook(s, record, &hooked);
  create_ok(s, "/h/a", "1");
  update_ok(s, "/h/a", "2", 0);
  assert_int_equal(store_create(s, "/h/a", "x", 1, NULL, &err), -EEXIST);
  error_reset(&err);
  create_ok(s, "/h/b", "3");
  delete_ok(s, "/h/a", 0);
  store_set_commit_hook(s, NULL, NULL);
  create_ok(s, "/h/c", "4");

  assert_int_equal(hooked.n, 4);
  assert_int_equal(store_events_since(s, "", 0, record, &replayed, &err), 0);
  replayed.n--; /* /h/c was written without the hook */
  assert_same_events(&hooked, &replayed);
  replayed.n++;
  recorder_reset(&hooked);
  recorder_reset(&replayed);
}

typedef struct HookCheck {
  int64_t last;
  bool out_of_order;
} HookCheck;

static int check_order(const StoreEvent *ev, void *userdata) {
  HookCheck *h = userdata;
  if (ev->rev != h->last + 1)
    h->out_of_order = true;
  h->last = ev->rev;
  return 0;
}

typedef struct Writer {
  Store *store;
  int id;
  int64_t revs[500];
  int failures;
} Writer;

static void *writer_main(void *p) {
  Writer *w = p;
  for (int i = 0; i < 500; i++) {
    char key[64];
    snprintf(key, sizeof key, "/c/%d/%03d", w->id, i);
    Error err = ERROR_INIT;
    if (store_create(w->store, key, key, strlen(key), &w->revs[i], &err) < 0)
      w->failures++;
    error_reset(&err);
    /* Readers run alongside the writers. */
    StoreKV kv = {0};
    if (store_get(w->store, key, &kv, &err) < 0 || !streq(kv.value, key))
      w->failures++;
    store_kv_done(&kv);
    error_reset(&err);
  }
  return NULL;
}

static int cmp_rev(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static void test_concurrency(void **state) {
  Fixture *f = *state;
  Store *s = f->store;
  static Writer w[4];
  HookCheck h = {0};
  store_set_commit_hook(s, check_order, &h);
  pthread_t t[4];
  for (int i = 0; i < 4; i++) {
    w[i] = (Writer){.store = s, .id = i};
    assert_int_equal(pthread_create(&t[i], NULL, writer_main, &w[i]), 0);
  }
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  store_set_commit_hook(s, NULL, NULL);

  static int64_t all[2000];
  for (int i = 0; i < 4; i++) {
    assert_int_equal(w[i].failures, 0);
    memcpy(all + i * 500, w[i].revs, sizeof w[i].revs);
    /* each writer's own revisions increase */
    for (int j = 1; j < 500; j++)
      assert_true(w[i].revs[j] > w[i].revs[j - 1]);
  }
  qsort(all, 2000, sizeof all[0], cmp_rev);
  for (int i = 0; i < 2000; i++)
    assert_int_equal(all[i], i + 1);
  assert_false(h.out_of_order);
  assert_int_equal(h.last, 2000);
  assert_int_equal(store_current_revision(s), 2000);

  Error err = ERROR_INIT;
  StoreKVList l = {0};
  assert_int_equal(store_list(s, "/c/", 0, NULL, 0, &l, &err), 0);
  assert_int_equal(l.n, 2000);
  store_kv_list_done(&l);
}

/* Fault injection and sync counting under every store of this file: a VFS that is the default one except
 * that writes or syncs of WAL files fail on demand, and that WAL syncs are counted. In WAL mode a commit
 * is what writes and (with sync=full) syncs the WAL, so these make COMMIT fail and show how many commits
 * reached the disk. */
static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static const sqlite3_io_methods *real_wal_methods; /* set once, under fault_lock */
static sqlite3_io_methods fault_wal_methods;
static int fail_wal_writes, fail_wal_syncs; /* accessed atomically */
static int64_t wal_syncs;

static int fault_wal_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off) {
  if (__atomic_load_n(&fail_wal_writes, __ATOMIC_SEQ_CST))
    return SQLITE_IOERR_WRITE;
  return real_wal_methods->xWrite(f, p, n, off);
}

static int fault_wal_sync(sqlite3_file *f, int flags) {
  if (__atomic_load_n(&fail_wal_syncs, __ATOMIC_SEQ_CST))
    return SQLITE_IOERR_FSYNC;
  __atomic_add_fetch(&wal_syncs, 1, __ATOMIC_SEQ_CST);
  return real_wal_methods->xSync(f, flags);
}

static int fault_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags, int *ret_flags) {
  int rc = real_vfs->xOpen(real_vfs, name, f, flags, ret_flags);
  if (rc != SQLITE_OK || !(flags & SQLITE_OPEN_WAL) || !f->pMethods)
    return rc;
  /* The file stays the default VFS's; only its method table is swapped for a copy with two entries
   * replaced, which hand the same file back to the originals. */
  pthread_mutex_lock(&fault_lock);
  if (!real_wal_methods) {
    real_wal_methods = f->pMethods;
    fault_wal_methods = *f->pMethods;
    fault_wal_methods.xWrite = fault_wal_write;
    fault_wal_methods.xSync = fault_wal_sync;
  }
  if (f->pMethods == real_wal_methods)
    f->pMethods = &fault_wal_methods;
  pthread_mutex_unlock(&fault_lock);
  return rc;
}

static void fault_vfs_install(void) {
  real_vfs = sqlite3_vfs_find(NULL);
  fault_vfs = *real_vfs;
  fault_vfs.zName = "coracle-test-faults";
  fault_vfs.xOpen = fault_open;
  if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK)
    abort();
}

static int64_t wal_sync_count(void) {
  return __atomic_load_n(&wal_syncs, __ATOMIC_SEQ_CST);
}

/* A commit hook that records events and, when armed, blocks in the next call until opened: the writer
 * leading that group commit keeps the lead while blocked, so the writes started meanwhile all queue for
 * the next batch, in the order the test starts them. */
typedef struct Gate {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool armed, blocked, open;
  Recorder *rec; /* written only by the hook, which the store calls under its write lock */
} Gate;

static int gate_hook(const StoreEvent *ev, void *userdata) {
  Gate *g = userdata;
  record(ev, g->rec);
  pthread_mutex_lock(&g->lock);
  if (g->armed) {
    g->armed = false;
    g->blocked = true;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
      pthread_cond_wait(&g->cond, &g->lock);
    g->blocked = false;
  }
  pthread_mutex_unlock(&g->lock);
  return 0;
}

static void gate_wait_blocked(Gate *g) {
  pthread_mutex_lock(&g->lock);
  while (!g->blocked)
    pthread_cond_wait(&g->cond, &g->lock);
  pthread_mutex_unlock(&g->lock);
}

static void gate_open(Gate *g) {
  pthread_mutex_lock(&g->lock);
  g->open = true;
  pthread_cond_broadcast(&g->cond);
  pthread_mutex_unlock(&g->lock);
}

/* One write on its own thread. */
typedef struct AsyncWrite {
  Store *store;
  StoreEventType type;
  const char *key, *value;
  int64_t expected;
  int result;
  int64_t rev;
  Error err;
  pthread_t thread;
} AsyncWrite;

static void *async_write_main(void *p) {
  AsyncWrite *w = p;
  size_t len = w->value ? strlen(w->value) : 0;
  switch (w->type) {
  case STORE_EVENT_CREATE:
    w->result = store_create(w->store, w->key, w->value, len, &w->rev, &w->err);
    break;
  case STORE_EVENT_UPDATE:
    w->result = store_update(w->store, w->key, w->value, len, w->expected, &w->rev, &w->err);
    break;
  default:
    w->result = store_delete(w->store, w->key, w->expected, &w->rev, &w->err);
    break;
  }
  return NULL;
}

static void async_write_start(AsyncWrite *w, Store *s) {
  w->store = s;
  w->rev = -1;
  assert_int_equal(pthread_create(&w->thread, NULL, async_write_main, w), 0);
}

/* Waits until n writes are queued behind the commit in progress. */
static void wait_queued(Store *s, size_t n) {
  uint64_t deadline = now_monotonic_usec() + 10 * 1000 * 1000;
  while (store_queued_writes(s) != n) {
    if (now_monotonic_usec() > deadline)
      fail_msg("%zu writes queued, expected %zu", store_queued_writes(s), n);
    usleep(200);
  }
}

/* Starts lead, which blocks in the hook while leading its batch, then each of ws in order, each queued
 * before the next starts, so that they make up the next batch in this order. */
static void line_up(Store *s, Gate *g, AsyncWrite *lead, AsyncWrite *ws, size_t n) {
  g->armed = true;
  async_write_start(lead, s);
  gate_wait_blocked(g);
  for (size_t i = 0; i < n; i++) {
    async_write_start(&ws[i], s);
    wait_queued(s, i + 1);
  }
}

static void reopen(Fixture *f, StoreSync sync) {
  store_close(f->store);
  f->store = open_store(f, sync);
}

/* Writes that share a batch see each other: create then update with the new revision, a second create of
 * the same key, delete and re-create; refused writes take no revision and do not disturb the others; the
 * whole batch costs one sync; the hook sees every accepted write in revision order. */
static void test_group_commit_batch(void **state) {
  Fixture *f = *state;
  reopen(f, STORE_SYNC_FULL);
  Store *s = f->store;
  Error err = ERROR_INIT;
  static Recorder rec, replayed;
  Gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .rec = &rec};

  create_ok(s, "/g/warm", "w");
  int64_t before = wal_sync_count();
  assert_int_equal(create_ok(s, "/g/solo", "s"), 2);
  int64_t syncs_per_commit = wal_sync_count() - before;
  assert_true(syncs_per_commit >= 1);

  store_set_commit_hook(s, gate_hook, &g);
  AsyncWrite lead = {.type = STORE_EVENT_CREATE, .key = "/g/lead", .value = "l"};
  AsyncWrite ws[] = {
      {.type = STORE_EVENT_CREATE, .key = "/b/k", .value = "1"},                    /* 4 */
      {.type = STORE_EVENT_CREATE, .key = "/b/k", .value = "dup"},                  /* -EEXIST */
      {.type = STORE_EVENT_UPDATE, .key = "/b/k", .value = "2", .expected = 4},     /* 5 */
      {.type = STORE_EVENT_UPDATE, .key = "/b/k", .value = "x", .expected = 4},     /* -ECANCELED */
      {.type = STORE_EVENT_DELETE, .key = "/b/k", .expected = 5},                   /* 6 */
      {.type = STORE_EVENT_UPDATE, .key = "/b/k", .value = "y"},                    /* -ENOENT */
      {.type = STORE_EVENT_DELETE, .key = "/b/k"},                                  /* -ENOENT */
      {.type = STORE_EVENT_CREATE, .key = "/b/k", .value = "3"},                    /* 7 */
      {.type = STORE_EVENT_UPDATE, .key = "/g/solo", .value = "s2", .expected = 2}, /* 8 */
  };
  const int expect[] = {0, -EEXIST, 0, -ECANCELED, 0, -ENOENT, -ENOENT, 0, 0};
  const int64_t expect_rev[] = {4, -1, 5, -1, 6, -1, -1, 7, 8};
  line_up(s, &g, &lead, ws, ELEMENTSOF(ws));
  before = wal_sync_count();
  gate_open(&g);
  pthread_join(lead.thread, NULL);
  for (size_t i = 0; i < ELEMENTSOF(ws); i++)
    pthread_join(ws[i].thread, NULL);
  store_set_commit_hook(s, NULL, NULL);

  /* The nine writes were committed together. */
  assert_int_equal(wal_sync_count() - before, syncs_per_commit);
  assert_int_equal(lead.result, 0);
  assert_int_equal(lead.rev, 3);
  for (size_t i = 0; i < ELEMENTSOF(ws); i++) {
    assert_int_equal(ws[i].result, expect[i]);
    assert_int_equal(ws[i].rev, expect_rev[i]); /* outputs are written only on success */
    assert_true((ws[i].err.message != NULL) == (expect[i] < 0));
    error_reset(&ws[i].err);
  }
  assert_int_equal(store_current_revision(s), 8);
  StoreKV kv = {0};
  assert_int_equal(store_get(s, "/b/k", &kv, &err), 0);
  assert_string_equal(kv.value, "3");
  assert_int_equal(kv.create_rev, 7);
  assert_int_equal(kv.mod_rev, 7);
  store_kv_done(&kv);
  assert_value(s, "/g/solo", "s2", 8);

  /* The hook saw revisions 3..8 in order, with the values and previous values of the batch. */
  assert_int_equal(rec.n, 6);
  for (size_t i = 0; i < rec.n; i++)
    assert_int_equal(rec.ev[i].rev, 3 + (int64_t)i);
  assert_int_equal(rec.ev[2].type, STORE_EVENT_UPDATE);
  assert_string_equal(rec.ev[2].prev_value, "1");
  assert_int_equal(rec.ev[2].prev_rev, 4);
  assert_int_equal(rec.ev[3].type, STORE_EVENT_DELETE);
  assert_string_equal(rec.ev[3].prev_value, "2");
  assert_int_equal(rec.ev[3].create_rev, 4);
  assert_int_equal(rec.ev[4].type, STORE_EVENT_CREATE);
  assert_int_equal(rec.ev[4].create_rev, 7);
  assert_int_equal(rec.ev[4].prev_rev, 0);
  assert_null(rec.ev[4].prev_value);
  assert_int_equal(store_events_since(s, "", 2, record, &replayed, &err), 0);
  assert_same_events(&rec, &replayed);
  recorder_reset(&replayed);

  /* And it is all on disk. */
  reopen(f, STORE_SYNC_FULL);
  assert_int_equal(store_current_revision(f->store), 8);
  assert_int_equal(store_events_since(f->store, "", 2, record, &replayed, &err), 0);
  assert_same_events(&rec, &replayed);
  recorder_reset(&replayed);
  recorder_reset(&rec);
}

/* A batch whose COMMIT fails (the WAL cannot be written, or cannot be synced) fails every one of its
 * writes, refused ones included; nothing is hooked, the revision is not advanced, the next write takes the
 * next revision and the store reopens to the state before the batch. */
static void commit_failure_round(Fixture *f, int *fault) {
  reopen(f, STORE_SYNC_FULL);
  Store *s = f->store;
  Error err = ERROR_INIT;
  static Recorder rec, replayed;
  Gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .rec = &rec};

  int64_t base = store_current_revision(s);
  int64_t base_rev = create_ok(s, "/f/base", "b");
  store_set_commit_hook(s, gate_hook, &g);
  AsyncWrite lead = {.type = STORE_EVENT_CREATE, .key = "/f/lead", .value = "l"};
  AsyncWrite ws[] = {
      {.type = STORE_EVENT_CREATE, .key = "/f/a", .value = "a"},
      {.type = STORE_EVENT_CREATE, .key = "/f/a", .value = "again"}, /* would be -EEXIST */
      {.type = STORE_EVENT_UPDATE, .key = "/f/base", .value = "b2", .expected = base_rev},
      {.type = STORE_EVENT_UPDATE, .key = "/f/base", .value = "b3", .expected = base_rev}, /* -ECANCELED */
      {.type = STORE_EVENT_DELETE, .key = "/f/missing"},                                   /* -ENOENT */
  };
  line_up(s, &g, &lead, ws, ELEMENTSOF(ws));
  __atomic_store_n(fault, 1, __ATOMIC_SEQ_CST);
  gate_open(&g);
  for (size_t i = 0; i < ELEMENTSOF(ws); i++)
    pthread_join(ws[i].thread, NULL);
  __atomic_store_n(fault, 0, __ATOMIC_SEQ_CST);
  pthread_join(lead.thread, NULL);
  store_set_commit_hook(s, NULL, NULL);

  assert_int_equal(lead.result, 0);
  for (size_t i = 0; i < ELEMENTSOF(ws); i++) {
    assert_int_equal(ws[i].result, -EIO);
    assert_int_equal(ws[i].rev, -1);
    assert_non_null(ws[i].err.message);
    error_reset(&ws[i].err);
  }
  assert_int_equal(rec.n, 1); /* only the lead's write */
  assert_int_equal(store_current_revision(s), base + 2);
  assert_absent(s, "/f/a");
  assert_value(s, "/f/base", "b", base_rev);

  /* The store carries on from the same revision, and the failed batch left no trace. */
  assert_int_equal(create_ok(s, "/f/after", "x"), base + 3);
  assert_int_equal(update_ok(s, "/f/base", "b4", base_rev), base + 4);
  reopen(f, STORE_SYNC_FULL);
  s = f->store;
  assert_int_equal(store_current_revision(s), base + 4);
  assert_absent(s, "/f/a");
  assert_value(s, "/f/base", "b4", base + 4);
  assert_int_equal(store_events_since(s, "", base, record, &replayed, &err), 0);
  assert_int_equal(replayed.n, 4);
  for (size_t i = 0; i < replayed.n; i++)
    assert_int_equal(replayed.ev[i].rev, base + 1 + (int64_t)i);
  recorder_reset(&replayed);
  recorder_reset(&rec);
}

static void test_commit_failure_write(void **state) {
  commit_failure_round(*state, &fail_wal_writes);
}

static void test_commit_failure_sync(void **state) {
  commit_failure_round(*state, &fail_wal_syncs);
}

/* Eight writers on a dozen shared keys, each reading a key and then creating, updating or deleting it with
 * the revision it read (sometimes a stale or impossible one), so that compare-and-swap conflicts happen in
 * the middle of batches. Checked against the hook's record: revisions without gaps in hook order, every
 * acknowledged write in the history at its revision, each key's history consistent, and all of it the
 * same after reopening. */
enum { CC_THREADS = 8, CC_OPS = 250, CC_KEYS = 12 };

typedef struct CcOp {
  StoreEventType type;
  int key;
  int64_t expected;
  char value[24];
  int result;
  int64_t rev;
} CcOp;

typedef struct CcWriter {
  Store *store;
  int id;
  CcOp ops[CC_OPS];
} CcWriter;

/* Records every hooked event; the store calls it under its write lock, one event at a time. */
typedef struct CcHistory {
  Store *store;
  Recorder rec;
  bool bad_order; /* a revision out of order, or the current revision not the event's during the hook */
} CcHistory;

static int cc_hook(const StoreEvent *ev, void *userdata) {
  CcHistory *h = userdata;
  if (ev->rev != (int64_t)h->rec.n + 1 || store_current_revision(h->store) != ev->rev ||
      h->rec.n == ELEMENTSOF(h->rec.ev)) {
    h->bad_order = true;
    return 0;
  }
  return record(ev, &h->rec);
}

static void *cc_writer_main(void *p) {
  CcWriter *w = p;
  unsigned seed = (unsigned)w->id * 7919u + 1;
  for (int i = 0; i < CC_OPS; i++) {
    CcOp *op = &w->ops[i];
    op->key = rand_r(&seed) % CC_KEYS;
    snprintf(op->value, sizeof op->value, "w%d-%d", w->id, i);
    char key[16];
    snprintf(key, sizeof key, "/cc/%02d", op->key);
    Error err = ERROR_INIT;
    StoreKV kv = {0};
    int r = store_get(w->store, key, &kv, &err);
    int choice = rand_r(&seed) % 10;
    if (r == -ENOENT || choice == 9) {
      op->type = STORE_EVENT_CREATE;
      op->result = store_create(w->store, key, op->value, strlen(op->value), &op->rev, &err);
    } else if (choice < 7) {
      op->type = STORE_EVENT_UPDATE;
      op->expected = choice == 6 ? 0 : choice == 5 ? kv.mod_rev + 1000000 : kv.mod_rev;
      op->result = store_update(w->store, key, op->value, strlen(op->value), op->expected, &op->rev, &err);
    } else {
      op->type = STORE_EVENT_DELETE;
      op->expected = kv.mod_rev;
      op->result = store_delete(w->store, key, op->expected, &op->rev, &err);
    }
    store_kv_done(&kv);
    error_reset(&err);
  }
  return NULL;
}

typedef struct CcKey {
  bool live;
  int64_t create_rev, mod_rev;
  const char *value;
} CcKey;

static void test_concurrent_cas(void **state) {
  Fixture *f = *state;
  reopen(f, STORE_SYNC_FULL);
  Store *s = f->store;
  Error err = ERROR_INIT;
  static CcWriter w[CC_THREADS];
  static CcHistory h;
  static Recorder replayed;
  h = (CcHistory){.store = s};
  store_set_commit_hook(s, cc_hook, &h);
  pthread_t t[CC_THREADS];
  for (int i = 0; i < CC_THREADS; i++) {
    w[i] = (CcWriter){.store = s, .id = i};
    assert_int_equal(pthread_create(&t[i], NULL, cc_writer_main, &w[i]), 0);
  }
  for (int i = 0; i < CC_THREADS; i++)
    pthread_join(t[i], NULL);
  store_set_commit_hook(s, NULL, NULL);
  assert_false(h.bad_order);

  /* Every acknowledged write is in the history at its revision; refused ones left nothing. */
  size_t acked = 0, conflicts = 0;
  for (int i = 0; i < CC_THREADS; i++) {
    int64_t last = 0;
    for (int j = 0; j < CC_OPS; j++) {
      const CcOp *op = &w[i].ops[j];
      if (op->result < 0) {
        assert_true(op->result == -EEXIST || op->result == -ENOENT || op->result == -ECANCELED);
        conflicts += op->result == -ECANCELED;
        continue;
      }
      acked++;
      assert_true(op->rev > last); /* a writer's own writes are ordered */
      last = op->rev;
      assert_true(op->rev >= 1 && op->rev <= (int64_t)h.rec.n);
      const Recorded *ev = &h.rec.ev[op->rev - 1];
      char key[16];
      snprintf(key, sizeof key, "/cc/%02d", op->key);
      assert_string_equal(ev->key, key);
      assert_int_equal(ev->type, op->type);
      if (op->type != STORE_EVENT_DELETE)
        assert_string_equal(ev->value, op->value);
      if (op->expected)
        assert_int_equal(ev->prev_rev, op->expected);
    }
  }
  assert_int_equal(acked, h.rec.n);
  assert_int_equal(store_current_revision(s), (int64_t)h.rec.n);
  assert_true(conflicts > 0);

  /* Each key's history is a chain: creates of absent keys, then updates and a delete each naming the
   * revision and value they replaced. */
  CcKey model[CC_KEYS] = {0};
  for (size_t i = 0; i < h.rec.n; i++) {
    const Recorded *ev = &h.rec.ev[i];
    int k = atoi(ev->key + strlen("/cc/"));
    CcKey *m = &model[k];
    if (ev->type == STORE_EVENT_CREATE) {
      assert_false(m->live);
      assert_int_equal(ev->create_rev, ev->rev);
      assert_int_equal(ev->prev_rev, 0);
      assert_null(ev->prev_value);
      *m = (CcKey){.live = true, .create_rev = ev->rev, .mod_rev = ev->rev, .value = ev->value};
    } else {
      assert_true(m->live);
      assert_int_equal(ev->create_rev, m->create_rev);
      assert_int_equal(ev->prev_rev, m->mod_rev);
      assert_string_equal(ev->prev_value, m->value);
      m->live = ev->type == STORE_EVENT_UPDATE;
      m->mod_rev = ev->rev;
      m->value = ev->value;
    }
  }

  /* The log, the live keys and the revision agree with the history, before and after reopening. */
  for (int round = 0; round < 2; round++) {
    if (round)
      reopen(f, STORE_SYNC_NORMAL);
    s = f->store;
    assert_int_equal(store_current_revision(s), (int64_t)h.rec.n);
    assert_int_equal(store_events_since(s, "", 0, record, &replayed, &err), 0);
    assert_same_events(&h.rec, &replayed);
    recorder_reset(&replayed);
    for (int k = 0; k < CC_KEYS; k++) {
      char key[16];
      snprintf(key, sizeof key, "/cc/%02d", k);
      if (model[k].live)
        assert_value(s, key, model[k].value, model[k].mod_rev);
      else
        assert_absent(s, key);
    }
  }
  recorder_reset(&h.rec);
}

/* Each writer of the child writes a key's name to the pipe only after store_create returned, so every name
 * the parent reads was acknowledged before the SIGKILL. Lines are shorter than PIPE_BUF, so the writers'
 * lines do not interleave. */
typedef struct Kill9Writer {
  Store *store;
  int id, fd;
} Kill9Writer;

static void *kill9_writer_main(void *p) {
  Kill9Writer *w = p;
  Error err = ERROR_INIT;
  for (int i = 0; i < 1000000; i++) {
    char key[32];
    int n = snprintf(key, sizeof key, "/k/%02d/%07d\n", w->id, i);
    key[n - 1] = 0;
    if (store_create(w->store, key, key, (size_t)n - 1, NULL, &err) < 0)
      _exit(3);
    key[n - 1] = '\n';
    if (write(w->fd, key, (size_t)n) != n)
      _exit(4);
  }
  return NULL;
}

static _noreturn_ void kill9_child(const char *path, StoreSync sync, int n_writers, int fd) {
  Error err = ERROR_INIT;
  Store *s = NULL;
  StoreOptions opts = {.sync = sync};
  if (store_open(path, &opts, &s, &err) < 0)
    _exit(2);
  Kill9Writer w[16];
  pthread_t t[16];
  for (int i = 0; i < n_writers; i++) {
    w[i] = (Kill9Writer){.store = s, .id = i, .fd = fd};
    if (pthread_create(&t[i], NULL, kill9_writer_main, &w[i]) != 0)
      _exit(5);
  }
  for (int i = 0; i < n_writers; i++)
    pthread_join(t[i], NULL);
  _exit(0);
}

typedef struct RevCheck {
  int64_t last;
  bool gap;
} RevCheck;

static int check_contiguous(const StoreEvent *ev, void *userdata) {
  RevCheck *c = userdata;
  if (ev->rev != c->last + 1 || ev->type != STORE_EVENT_CREATE)
    c->gap = true;
  c->last = ev->rev;
  return 0;
}

static size_t count_char(const char *p, size_t n, char c) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += p[i] == c;
  return k;
}

static void kill9_round(StoreSync sync, int n_writers) {
  Fixture f = {0};
  strcpy(f.dir, "/tmp/coracle-test-store-XXXXXX");
  assert_non_null(mkdtemp(f.dir));
  snprintf(f.path, sizeof f.path, "%s/state.db", f.dir);

  int p[2];
  assert_int_equal(pipe2(p, O_CLOEXEC), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    kill9_child(f.path, sync, n_writers, p[1]);
  }
  close(p[1]);

  /* Kill after 200 ms, but not before some writes were acknowledged (a loaded machine can take that long
   * for the first syncs), nor after 10 s. */
  Buf acked = BUF_INIT;
  char chunk[4096];
  size_t lines = 0;
  uint64_t start = now_monotonic_usec(), deadline = start + 200 * 1000, give_up = start + 10 * 1000 * 1000;
  for (;;) {
    uint64_t now = now_monotonic_usec();
    if ((now >= deadline && lines >= 20) || now >= give_up)
      break;
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    if (poll(&pfd, 1, 10) > 0) {
      ssize_t n = read(p[0], chunk, sizeof chunk);
      if (n <= 0)
        break;
      buf_append(&acked, chunk, (size_t)n);
      lines += count_char(chunk, (size_t)n, '\n');
    }
  }
  assert_int_equal(kill(pid, SIGKILL), 0);
  ssize_t n;
  while ((n = read(p[0], chunk, sizeof chunk)) > 0)
    buf_append(&acked, chunk, (size_t)n);
  close(p[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  Store *s = open_store(&f, sync);
  size_t count = 0;
  char *save = NULL;
  for (char *key = strtok_r(acked.data ? acked.data : (char[]){0}, "\n", &save); key;
       key = strtok_r(NULL, "\n", &save)) {
    assert_value(s, key, key, 0);
    count++;
  }
  int64_t rev = store_current_revision(s);
  print_message("kill -9 (%s, %d writers): %zu acknowledged creates, all present; revision %lld\n",
                store_sync_to_string(sync), n_writers, count, (long long)rev);
  assert_true(count > 0);
  /* At most the writes in flight when the signal came, one per writer, were committed but not
   * acknowledged. */
  assert_true(rev >= (int64_t)count);
  assert_true(rev <= (int64_t)count + n_writers);
  /* What survived is whole batches: every revision up to the current one, each a live key. */
  Error err = ERROR_INIT;
  RevCheck c = {0};
  assert_int_equal(store_events_since(s, "", 0, check_contiguous, &c, &err), 0);
  assert_false(c.gap);
  assert_int_equal(c.last, rev);
  StoreKVList l = {0};
  assert_int_equal(store_list(s, "/k/", 0, NULL, 0, &l, &err), 0);
  assert_int_equal(l.n, (size_t)rev);
  store_kv_list_done(&l);
  store_close(s);
  buf_free(&acked);
  remove_dir(f.dir);
}

static void test_kill9(void **state) {
  kill9_round(STORE_SYNC_NORMAL, 1);
  kill9_round(STORE_SYNC_FULL, 1);
  kill9_round(STORE_SYNC_NORMAL, 8);
  kill9_round(STORE_SYNC_FULL, 8);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_string_tables),
      cmocka_unit_test_setup_teardown(test_crud_and_revisions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
      cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
      cmocka_unit_test_setup_teardown(test_migrate_v1, setup, teardown),
      cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_at_old_revision, setup, teardown),
      cmocka_unit_test_setup_teardown(test_events_since, setup, teardown),
      cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
      cmocka_unit_test_setup_teardown(test_prev_value_of_older_rows, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_commit_hook, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrency, setup, teardown),
      cmocka_unit_test_setup_teardown(test_group_commit_batch, setup, teardown),
      cmocka_unit_test_setup_teardown(test_commit_failure_write, setup, teardown),
      cmocka_unit_test_setup_teardown(test_commit_failure_sync, setup, teardown),
      cmocka_unit_test_setup_teardown(test_concurrent_cas, setup, teardown),
      cmocka_unit_test(test_kill9),
  };
  fault_vfs_install();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
