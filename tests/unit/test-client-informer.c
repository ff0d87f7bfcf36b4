/* Unit tests for the informer's cache and handler semantics, fed through the same entry points its thread
 * uses (informer_replace for a list, informer_handle_event for a watch event) without a server: handlers
 * called in order with the right old/new objects, a re-list reported as updates and deletes, stored objects
 * immutable and shared by reference, BOOKMARK and ERROR handling, late handler registration, listing
 * the cache by namespace and label selector, and the managedFields trim. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "api/jsonutil.h"
#include "client/client-internal.h"

typedef struct Recorder {
  Buf log; /* "add ns/a 1;update ns/a 1->2;delete ns/a 2;" */
} Recorder;

static void rec(Recorder *r, const char *what, json_t *old_obj, json_t *obj) {
  _cleanup_free_ char *key = informer_key(obj);
  if (old_obj)
    buf_printf(&r->log, "%s %s %s->%s;", what, key, jstr(old_obj, "metadata.resourceVersion"),
               jstr(obj, "metadata.resourceVersion"));
  else
    buf_printf(&r->log, "%s %s %s;", what, key, jstr(obj, "metadata.resourceVersion"));
}

static void on_add(json_t *obj, void *ud) {
  rec(ud, "add", NULL, obj);
}
static void on_update(json_t *old_obj, json_t *new_obj, void *ud) {
  rec(ud, "update", old_obj, new_obj);
}
static void on_delete(json_t *obj, void *ud) {
  rec(ud, "delete", NULL, obj);
}

static json_t *obj(const char *ns, const char *name, const char *rv, const char *app) {
  json_t *o = json_pack("{s:{s:s,s:s}}", "metadata", "name", name, "resourceVersion", rv);
  if (ns)
    jset(o, "metadata.namespace", json_string(ns));
  if (app)
    jset(o, "metadata.labels.app", json_string(app));
  return o;
}

typedef struct Fixture {
  Client *client;
  Informer *inf;
  Recorder rec;
} Fixture;

static int setup(void **state) {
  Fixture *f = xzalloc(sizeof *f);
  ClientConfig cfg = {.server = "http://127.0.0.1:1"};
  assert_int_equal(client_new(&cfg, &f->client, NULL), 0);
  assert_int_equal(informer_new(f->client, api_resource_find("", "v1", "pods"), NULL, &f->inf, NULL), 0);
  InformerHandlers h = {
      .on_add = on_add, .on_update = on_update, .on_delete = on_delete, .userdata = &f->rec};
  informer_add_handlers(f->inf, &h);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  informer_free(f->inf);
  client_free(f->client);
  buf_free(&f->rec.log);
  free(f);
  return 0;
}

static void replace(Fixture *f, json_t *items, const char *rv) {
  informer_replace(f->inf, items, rv);
  json_decref(items);
}

static int event(Fixture *f, ClientWatchEventType t, json_t *o) {
  int rc = informer_handle_event(f->inf, t, o);
  json_decref(o);
  return rc;
}

static void test_events_in_order(void **state) {
  Fixture *f = *state;
  assert_false(informer_has_synced(f->inf));
  replace(f, json_pack("[o,o]", obj("a", "p1", "1", "web"), obj("b", "p2", "2", NULL)), "2");
  assert_true(informer_has_synced(f->inf));
  assert_int_equal(informer_wait_for_sync(f->inf, 1000), 0);
  assert_int_equal(event(f, CLIENT_WATCH_ADDED, obj("a", "p3", "3", "web")), 0);
  assert_int_equal(event(f, CLIENT_WATCH_MODIFIED, obj("a", "p1", "4", "db")), 0);
  assert_int_equal(event(f, CLIENT_WATCH_DELETED, obj("b", "p2", "5", NULL)), 0);
  assert_string_equal(f->rec.log.data, "add a/p1 1;add b/p2 2;add a/p3 3;update a/p1 1->4;delete b/p2 5;");
  InformerStats st;
  informer_get_stats(f->inf, &st);
  assert_string_equal(st.resource_version, "5");
  assert_int_equal(st.lists, 1);
  assert_int_equal(informer_count(f->inf), 2);
  json_t *p1 = informer_get(f->inf, "a/p1");
  assert_string_equal(jstr(p1, "metadata.labels.app"), "db");
  json_decref(p1);
  assert_null(informer_get(f->inf, "b/p2"));
}

static void test_relist_reports_differences(void **state) {
  Fixture *f = *state;
  replace(f,
          json_pack("[o,o,o]", obj("a", "x", "1", NULL), obj("a", "y", "2", NULL), obj("a", "z", "3", NULL)),
          "3");
  buf_reset(&f->rec.log);
  /* While disconnected: y changed, z was deleted, w was created. */
  replace(f,
          json_pack("[o,o,o]", obj("a", "w", "9", NULL), obj("a", "x", "1", NULL), obj("a", "y", "7", NULL)),
          "9");
  assert_string_equal(f->rec.log.data, "add a/w 9;update a/x 1->1;update a/y 2->7;delete a/z 3;");
  assert_int_equal(informer_count(f->inf), 3);
  InformerStats st;
  informer_get_stats(f->inf, &st);
  assert_int_equal(st.lists, 2);
  assert_string_equal(st.resource_version, "9");
}

static void test_bookmark_and_error(void **state) {
  Fixture *f = *state;
  replace(f, json_pack("[o]", obj("a", "x", "1", NULL)), "1");
  buf_reset(&f->rec.log);
  assert_int_equal(
      event(f, CLIENT_WATCH_BOOKMARK, json_pack("{s:{s:s}}", "metadata", "resourceVersion", "42")), 0);
  InformerStats st;
  informer_get_stats(f->inf, &st);
  assert_string_equal(st.resource_version, "42");
  assert_int_equal(f->rec.log.len, 0);
  assert_int_equal(event(f, CLIENT_WATCH_ERROR, json_pack("{s:s,s:i}", "kind", "Status", "code", 410)),
                   -ENODATA);
  assert_int_equal(event(f, CLIENT_WATCH_ERROR, json_pack("{s:s,s:i}", "kind", "Status", "code", 500)), -EIO);
  assert_int_equal(event(f, CLIENT_WATCH_ADDED, json_pack("{s:{}}", "metadata")), -EBADMSG);
  assert_int_equal(informer_count(f->inf), 1);
}

static void test_objects_shared_immutable(void **state) {
  Fixture *f = *state;
  json_t *o = obj("a", "x", "1", NULL);
  assert_int_equal(informer_handle_event(f->inf, CLIENT_WATCH_ADDED, o), 0);
  json_t *got = informer_get_by_name(f->inf, "a", "x");
  /* The reader gets the stored object itself (no copy), with a reference of its own. */
  assert_ptr_equal(got, o);
  json_decref(o);
  assert_string_equal(jstr(got, "metadata.name"), "x");
  /* A later change replaces the stored object instead of mutating it: old readers keep their version. */
  assert_int_equal(event(f, CLIENT_WATCH_MODIFIED, obj("a", "x", "2", NULL)), 0);
  assert_string_equal(jstr(got, "metadata.resourceVersion"), "1");
  json_decref(got);
  got = informer_get(f->inf, "a/x");
  assert_string_equal(jstr(got, "metadata.resourceVersion"), "2");
  json_decref(got);
}

/* With drop_managed_fields, what is cached and handed to handlers lacks metadata.managedFields, from lists
 * and from events alike, and the objects given to the informer are left as they were. An informer without
 * the option on the same client keeps them (a core of its own). */
static void test_drop_managed_fields(void **state) {
  Fixture *f = *state;
  Informer *trim = NULL;
  InformerOptions o = {.drop_managed_fields = true};
  assert_int_equal(informer_new(f->client, api_resource_find("", "v1", "pods"), &o, &trim, NULL), 0);
  Recorder r = {0};
  InformerHandlers h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete, .userdata = &r};
  informer_add_handlers(trim, &h);
  json_t *a = obj("ns", "a", "1", "web");
  jset(a, "metadata.managedFields", json_pack("[{s:s}]", "manager", "kubectl"));
  json_t *items = json_pack("[O]", a);
  informer_replace(trim, items, "1");
  informer_replace(f->inf, items, "1");
  json_decref(items);
  json_t *b = json_deep_copy(a);
  jset(b, "metadata.resourceVersion", json_string("2"));
  assert_int_equal(informer_handle_event(trim, CLIENT_WATCH_MODIFIED, b), 0);
  /* Untouched inputs. */
  assert_non_null(jpath(a, "metadata.managedFields"));
  assert_non_null(jpath(b, "metadata.managedFields"));
  json_t *got = informer_get(trim, "ns/a");
  assert_null(jpath(got, "metadata.managedFields"));
  assert_string_equal(jstr(got, "metadata.resourceVersion"), "2");
  assert_string_equal(jstr(got, "metadata.labels.app"), "web");
  json_decref(got);
  got = informer_get(f->inf, "ns/a");
  assert_non_null(jpath(got, "metadata.managedFields"));
  json_decref(got);
  assert_string_equal(r.log.data, "add ns/a 1;update ns/a 1->2;");
  json_decref(a);
  json_decref(b);
  informer_free(trim);
  buf_free(&r.log);
}

static void test_late_handler_sees_cache(void **state) {
  Fixture *f = *state;
  replace(f, json_pack("[o,o]", obj("a", "x", "1", NULL), obj("a", "y", "2", NULL)), "2");
  /* Pretend the thread runs: registration replays the cache before any later event. */
  Error e = ERROR_INIT;
  Recorder late = {BUF_INIT};
  /* informer_add_handlers replays only once started; start against a dead server and stop at once. */
  assert_int_equal(informer_start(f->inf, &e), 0);
  InformerHandlers h = {.on_add = on_add, .on_delete = on_delete, .userdata = &late};
  informer_add_handlers(f->inf, &h);
  assert_string_equal(late.log.data, "add a/x 1;add a/y 2;");
  informer_stop(f->inf);
  assert_int_equal(informer_start(f->inf, &e), -EALREADY);
  error_reset(&e);
  buf_free(&late.log);
}

static void test_list_by_selector(void **state) {
  Fixture *f = *state;
  replace(f,
          json_pack("[o,o,o,o,o]", obj("b", "web-2", "1", "web"), obj("a", "web-1", "2", "web"),
                    obj("a", "db-1", "3", "db"), obj("b", "db-2", "4", "db"), obj("a", "plain", "5", NULL)),
          "5");
  _cleanup_label_selector_ LabelSelector *web = NULL, *notdb = NULL;
  assert_int_equal(label_selector_parse("app=web", &web, NULL), 0);
  assert_int_equal(label_selector_parse("app!=db", &notdb, NULL), 0);
  struct {
    const char *ns;
    const LabelSelector *sel;
    const char *want;
  } cases[] = {
      {NULL, NULL, "a/db-1 a/plain a/web-1 b/db-2 b/web-2 "},
      {NULL, web, "a/web-1 b/web-2 "},
      {"a", web, "a/web-1 "},
      {"a", notdb, "a/plain a/web-1 "},
      {"b", NULL, "b/db-2 b/web-2 "},
      {"c", NULL, ""},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    _cleanup_json_ json_t *l = informer_list_selector(f->inf, cases[i].ns, cases[i].sel);
    _cleanup_buf_ Buf got = BUF_INIT;
    buf_puts(&got, "");
    size_t k;
    json_t *o;
    json_array_foreach(l, k, o) {
      _cleanup_free_ char *key = informer_key(o);
      buf_printf(&got, "%s ", key);
    }
    assert_string_equal(got.data, cases[i].want);
  }
  _cleanup_json_ json_t *all = informer_list(f->inf);
  assert_int_equal(json_array_size(all), 5);
  _cleanup_json_ json_t *nsb = informer_list_namespace(f->inf, "b");
  assert_int_equal(json_array_size(nsb), 2);
}

static void test_keys(void **state) {
  _cleanup_json_ json_t *o = obj("ns1", "n", "1", NULL), *cluster = obj(NULL, "node-1", "1", NULL);
  _cleanup_free_ char *k1 = informer_key(o), *k2 = informer_key(cluster);
  assert_string_equal(k1, "ns1/n");
  assert_string_equal(k2, "node-1");
  char *ns, *name;
  informer_split_key("ns1/n", &ns, &name);
  assert_string_equal(ns, "ns1");
  assert_string_equal(name, "n");
  free(ns);
  free(name);
  informer_split_key("node-1", &ns, &name);
  assert_null(ns);
  assert_string_equal(name, "node-1");
  free(name);
  _cleanup_json_ json_t *nameless = json_object();
  assert_null(informer_key(nameless));
}

static void test_bad_selector(void **state) {
  Fixture *f = *state;
  Informer *inf = NULL;
  _cleanup_error_ Error e = ERROR_INIT;
  InformerOptions o = {.label_selector = "a in (b"};
  assert_int_equal(informer_new(f->client, api_resource_find("", "v1", "pods"), &o, &inf, &e), -EINVAL);
  assert_null(inf);
  assert_non_null(e.message);
}

/* Informers on one client for the same resource and options share one cache (and thread); each handle has
 * its own handlers. */
static void test_shared_between_handles(void **state) {
  Fixture *f = *state;
  const ApiResource *pods = api_resource_find("", "v1", "pods");
  Informer *b = NULL, *other = NULL;
  Recorder rb = {0}, rother = {0};
  assert_int_equal(informer_new(f->client, pods, NULL, &b, NULL), 0);
  InformerOptions o = {.ns = "a"};
  assert_int_equal(informer_new(f->client, pods, &o, &other, NULL), 0);
  InformerHandlers h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete, .userdata = &rb};
  informer_add_handlers(b, &h);
  h.userdata = &rother;
  informer_add_handlers(other, &h);
  replace(f, json_pack("[o]", obj("a", "p1", "1", NULL)), "1");
  assert_int_equal(event(f, CLIENT_WATCH_MODIFIED, obj("a", "p1", "2", NULL)), 0);
  assert_string_equal(f->rec.log.data, "add a/p1 1;update a/p1 1->2;");
  assert_string_equal(rb.log.data, "add a/p1 1;update a/p1 1->2;");
  assert_true(informer_has_synced(b));
  assert_int_equal(informer_count(b), 1);
  /* another namespace is another watch */
  assert_null(rother.log.data);
  assert_false(informer_has_synced(other));
  assert_int_equal(informer_count(other), 0);
  informer_free(other);
  /* the cache outlives a handle */
  informer_free(b);
  assert_int_equal(informer_count(f->inf), 1);
  buf_free(&rb.log);
  buf_free(&rother.log);
}

/* A handle started on a running shared informer catches up from the cache first; a stopped handle gets
 * nothing more while the others go on. (The server is unreachable: the thread only backs off.) */
static void test_shared_late_start_and_stop(void **state) {
  Fixture *f = *state;
  assert_int_equal(informer_start(f->inf, NULL), 0);
  replace(f, json_pack("[o,o]", obj("a", "p1", "1", NULL), obj("b", "p2", "2", NULL)), "2");
  Informer *late = NULL;
  Recorder rl = {0};
  assert_int_equal(informer_new(f->client, api_resource_find("", "v1", "pods"), NULL, &late, NULL), 0);
  InformerHandlers h = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete, .userdata = &rl};
  informer_add_handlers(late, &h);
  /* not started yet: no events */
  assert_int_equal(event(f, CLIENT_WATCH_ADDED, obj("a", "p3", "3", NULL)), 0);
  assert_null(rl.log.data);
  assert_int_equal(informer_start(late, NULL), 0);
  assert_string_equal(rl.log.data, "add a/p1 1;add a/p3 3;add b/p2 2;");
  assert_int_equal(informer_start(late, NULL), -EALREADY);
  assert_int_equal(event(f, CLIENT_WATCH_DELETED, obj("b", "p2", "4", NULL)), 0);
  assert_string_equal(rl.log.data, "add a/p1 1;add a/p3 3;add b/p2 2;delete b/p2 4;");
  informer_stop(late);
  assert_int_equal(informer_wait_for_sync(late, 1000), 0); /* synced before the stop */
  assert_int_equal(event(f, CLIENT_WATCH_DELETED, obj("a", "p1", "5", NULL)), 0);
  assert_string_equal(rl.log.data, "add a/p1 1;add a/p3 3;add b/p2 2;delete b/p2 4;");
  assert_string_equal(f->rec.log.data, "add a/p1 1;add b/p2 2;add a/p3 3;delete b/p2 4;delete a/p1 5;");
  assert_int_equal(informer_start(late, NULL), -EALREADY);
  informer_free(late);
  informer_stop(f->inf);
  buf_free(&rl.log);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_events_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_relist_reports_differences, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bookmark_and_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_objects_shared_immutable, setup, teardown),
      cmocka_unit_test_setup_teardown(test_late_handler_sees_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_drop_managed_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_by_selector, setup, teardown),
      cmocka_unit_test(test_keys),
      cmocka_unit_test_setup_teardown(test_bad_selector, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_between_handles, setup, teardown),
      cmocka_unit_test_setup_teardown(test_shared_late_start_and_stop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
