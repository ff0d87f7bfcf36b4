/* The client library against a REAL coracle server, driven by tests/e2e/test_client.py (which starts the
 * server in a network namespace; this program is not a meson test). Modes:
 *   crud NS          create/get/update/patch/delete, AlreadyExists and Conflict, paged and selected lists,
 *                    delete options and preconditions, status and scale subresources, token and anonymous
 *                    clients; prints "ok" and exits 0, or names the failed check and exits 1.
 *   informer NS [RESYNC_MS]
 *                    runs a configmaps informer on NS and prints one line per handler call
 *                    ("add NAME RV", "update NAME OLD_RV NEW_RV", "delete NAME RV") after "synced"; reads
 *                    commands on stdin: "stats" (lists= watches= failures= gone= rv=), "dump" (cached
 *                    names), "quit" or EOF (stops the informer and prints "stopped ms=N").
 *   controller NS    a miniature controller (informer → work queue → 2 workers → client update) that copies
 *                    every ConfigMap's data.k to data.echo; prints "reconciled NAME VALUE"; "quit"/EOF stops.
 *   gone NS          lists NS and takes a continue token, prints "listed RV", waits for a line on stdin
 *                    (the test writes and lets compaction pass), then checks that a watch from RV and the
 *                    continue token both get 410 and that the paged list still succeeds; prints "ok".
 * Usage: test-client-live --data-dir DIR --server URL [--in-process KUBECONFIG] MODE ARGS...
 * --in-process: the program runs the API server itself (data in DIR, listening on URL's port, writing
 * KUBECONFIG for the test's own requests) and its client takes the in-process transport
 * (apiserver_local_transport) instead of HTTPS — the path the scheduler and controllers of `coracle server`
 * use. The token and anonymous clients of crud still go over HTTPS to that server. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>

#include "api/jsonutil.h"
#include "apiserver/apiserver.h"
#include "client/client-internal.h"
#include "client/workqueue.h"

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static void say(const char *fmt, ...) _printf_(1, 2);
static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  pthread_mutex_lock(&out_lock);
  vprintf(fmt, ap);
  putchar('\n');
  fflush(stdout);
  pthread_mutex_unlock(&out_lock);
  va_end(ap);
}

#define CHECK(cond, ...)                                                                                     \
  do {                                                                                                       \
    if (!(cond)) {                                                                                           \
      fprintf(stderr, "check failed at line %d: %s: ", __LINE__, #cond);                                     \
      fprintf(stderr, __VA_ARGS__);                                                                          \
      fputc('\n', stderr);                                                                                   \
      exit(1);                                                                                               \
    }                                                                                                        \
  } while (0)

#define CHECK_RC(call, want, e)                                                                              \
  do {                                                                                                       \
    int _rc = (call);                                                                                        \
    CHECK(_rc == (want), "%s returned %d (%s), wanted %d", #call, _rc, (e).message ? (e).message : "",       \
          (want));                                                                                           \
    error_reset(&(e));                                                                                       \
  } while (0)

static const ApiResource *res(const char *group, const char *resource) {
  const ApiResource *r = api_resource_find(group, "v1", resource);
  CHECK(r, "resource %s not served", resource);
  return r;
}

static json_t *configmap(const char *name, const char *suite, const char *value) {
  return json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap", "metadata",
                   "name", name, "labels", "suite", suite, "data", "k", value);
}

/* ---- crud ---- */

static void crud_configmaps(Client *c, const char *ns) {
  const ApiResource *cm = res("", "configmaps");
  Error e = ERROR_INIT;
  _cleanup_json_ json_t *created = NULL, *got = NULL;
  _cleanup_json_ json_t *body = configmap("cm1", "client", "v1");
  CHECK_RC(client_create(c, cm, ns, body, &created, &e), 0, e);
  CHECK(streq(jstr(created, "metadata.namespace"), ns), "namespace of the created object");
  const char *uid = jstr(created, "metadata.uid");
  CHECK(!isempty(uid), "uid set");
  CHECK_RC(client_get(c, cm, ns, "cm1", &got, &e), 0, e);
  CHECK(streq(jstr(got, "metadata.uid"), uid), "get returns the created object");

  /* AlreadyExists: 409, -EEXIST. */
  int rc = client_create(c, cm, ns, body, NULL, &e);
  CHECK(rc == -EEXIST && e.http == 409 && streq(error_reason(&e), "AlreadyExists"),
        "create twice: rc=%d http=%d", rc, e.http);
  error_reset(&e);

  /* Update, then a stale update: 409 Conflict, -ECANCELED. */
  _cleanup_json_ json_t *upd = json_deep_copy(got), *updated = NULL;
  jset(upd, "data.k", json_string("v2"));
  CHECK_RC(client_update(c, cm, NULL, upd, &updated, &e), 0, e);
  CHECK(streq(jstr(updated, "data.k"), "v2"), "updated data");
  CHECK(!streq(jstr(updated, "metadata.resourceVersion"), jstr(got, "metadata.resourceVersion")), "rv moved");
  jset(upd, "data.k", json_string("v3"));
  rc = client_update(c, cm, ns, upd, NULL, &e);
  CHECK(rc == -ECANCELED && e.http == 409 && streq(error_reason(&e), "Conflict"),
        "stale update: rc=%d http=%d %s", rc, e.http, e.message ? e.message : "");
  error_reset(&e);

  /* The three patch types. */
  _cleanup_json_ json_t *p1 = json_pack("{s:{s:s}}", "data", "m", "merge"), *r1 = NULL;
  CHECK_RC(client_patch(c, cm, ns, "cm1", NULL, CLIENT_PATCH_MERGE, p1, &r1, &e), 0, e);
  CHECK(streq(jstr(r1, "data.m"), "merge") && streq(jstr(r1, "data.k"), "v2"), "merge patch");
  _cleanup_json_ json_t *p2 = json_pack("{s:{s:{s:s}}}", "metadata", "labels", "extra", "yes"), *r2 = NULL;
  CHECK_RC(client_patch(c, cm, ns, "cm1", NULL, CLIENT_PATCH_STRATEGIC, p2, &r2, &e), 0, e);
  CHECK(streq(jstr(r2, "metadata.labels.extra"), "yes"), "strategic patch");
  _cleanup_json_ json_t *p3 =
                            json_pack("[{s:s,s:s,s:s}]", "op", "replace", "path", "/data/k", "value", "json"),
                        *r3 = NULL;
  CHECK_RC(client_patch(c, cm, ns, "cm1", NULL, CLIENT_PATCH_JSON, p3, &r3, &e), 0, e);
  CHECK(streq(jstr(r3, "data.k"), "json"), "json patch");

  /* Not found: 404, -ENOENT. */
  rc = client_get(c, cm, ns, "nope", NULL, &e);
  CHECK(rc == -ENOENT && e.http == 404 && strstr(e.message, "not found"), "get missing: rc=%d", rc);
  error_reset(&e);

  /* Paged list with a selector: 7 objects in pages of 2. */
  for (int i = 0; i < 6; i++) {
    char name[16];
    snprintf(name, sizeof name, "page-%d", i);
    _cleanup_json_ json_t *o = configmap(name, i % 2 ? "odd" : "client", "x");
    CHECK_RC(client_create(c, cm, ns, o, NULL, &e), 0, e);
  }
  _cleanup_json_ json_t *items = NULL;
  _cleanup_free_ char *rv = NULL;
  ClientListOptions lo = {.label_selector = "suite=client", .page_size = 2};
  CHECK_RC(client_list(c, cm, ns, &lo, &items, &rv, &e), 0, e);
  CHECK(json_array_size(items) == 4, "paged selected list has %zu items", json_array_size(items));
  CHECK(!isempty(rv) && strtoll(rv, NULL, 10) > 0, "list resourceVersion");
  json_t *first = json_array_get(items, 0);
  CHECK(streq(jstr(first, "kind"), "ConfigMap") && streq(jstr(first, "metadata.name"), "cm1"), "first item");
  json_decref(items);
  items = NULL;
  ClientListOptions all = {.page_size = 1, .field_selector = "metadata.name=page-3"};
  CHECK_RC(client_list(c, cm, ns, &all, &items, NULL, &e), 0, e);
  CHECK(json_array_size(items) == 1, "field selector");

  /* Delete: a wrong uid precondition is a conflict; the right one deletes. */
  ClientDeleteOptions bad = {.precondition_uid = "00000000-0000-0000-0000-000000000000"};
  rc = client_delete(c, cm, ns, "cm1", &bad, NULL, &e);
  CHECK(rc == -ECANCELED && e.http == 409, "delete with a wrong uid: rc=%d %s", rc,
        e.message ? e.message : "");
  error_reset(&e);
  ClientDeleteOptions good = {.precondition_uid = uid,
                              .propagation_policy = "Background",
                              .has_grace_period = true,
                              .grace_period_seconds = 0};
  CHECK_RC(client_delete(c, cm, ns, "cm1", &good, NULL, &e), 0, e);
  rc = client_get(c, cm, ns, "cm1", NULL, &e);
  CHECK(rc == -ENOENT, "gone after delete: %d", rc);
  error_reset(&e);
  /* 422 Invalid from the server: a name that is not a DNS subdomain. */
  _cleanup_json_ json_t *bad_name = configmap("Not_Valid", "client", "x");
  rc = client_create(c, cm, ns, bad_name, NULL, &e);
  CHECK(rc == -EINVAL && e.http == 422 && streq(error_reason(&e), "Invalid") && e.n_causes >= 1 &&
            streq_ptr(e.causes[0].field, "metadata.name"),
        "invalid name: rc=%d http=%d", rc, e.http);
  error_reset(&e);
}

static void crud_deployment(Client *c, const char *ns) {
  const ApiResource *dep = res("apps", "deployments");
  Error e = ERROR_INIT;
  _cleanup_json_ json_t *d =
      json_pack("{s:s,s:s,s:{s:s},s:{s:i,s:{s:{s:s}},s:{s:{s:{s:s}},s:{s:[{s:s,s:s}]}}}}", "apiVersion",
                "apps/v1", "kind", "Deployment", "metadata", "name", "web", "spec", "replicas", 1, "selector",
                "matchLabels", "app", "web", "template", "metadata", "labels", "app", "web", "spec",
                "containers", "name", "c", "image", "nginx");
  _cleanup_json_ json_t *created = NULL;
  CHECK_RC(client_create(c, dep, ns, d, &created, &e), 0, e);

  /* Status subresource: only .status changes. The deployment controller writes this object too, so every
   * write below that carries a resourceVersion re-reads and retries on a conflict. */
  _cleanup_json_ json_t *after = NULL;
  for (int attempt = 0;; attempt++) {
    _cleanup_json_ json_t *st = NULL;
    CHECK_RC(client_get(c, dep, ns, "web", &st, &e), 0, e);
    jset(st, "status.observedGeneration", json_integer(1));
    jset(st, "status.replicas", json_integer(1));
    jset(st, "spec.replicas", json_integer(9));
    int src = client_update_status(c, dep, ns, st, &after, &e);
    if (src == -ECANCELED && attempt < 20) {
      error_reset(&e);
      continue;
    }
    CHECK_RC(src, 0, e);
    break;
  }
  CHECK(jint(after, "status.replicas", -1) == 1, "status written");
  CHECK(jint(after, "spec.replicas", -1) == 1, "spec untouched by a status update");

  /* Scale: GET, PUT, PATCH. */
  _cleanup_json_ json_t *scale = NULL, *put = NULL, *patched = NULL;
  for (int attempt = 0;; attempt++) {
    json_decref(scale);
    scale = NULL;
    CHECK_RC(client_subresource(c, "GET", dep, ns, "web", "scale", NULL, &scale, &e), 0, e);
    CHECK(streq(jstr(scale, "kind"), "Scale") && jint(scale, "spec.replicas", -1) == 1, "GET scale");
    jset(scale, "spec.replicas", json_integer(3));
    int prc = client_subresource(c, "PUT", dep, ns, "web", "scale", scale, &put, &e);
    if (prc == -ECANCELED && attempt < 20) {
      error_reset(&e);
      continue;
    }
    CHECK_RC(prc, 0, e);
    break;
  }
  CHECK(jint(put, "spec.replicas", -1) == 3, "PUT scale");
  _cleanup_json_ json_t *sp = json_pack("{s:{s:i}}", "spec", "replicas", 5);
  CHECK_RC(client_patch(c, dep, ns, "web", "scale", CLIENT_PATCH_MERGE, sp, &patched, &e), 0, e);
  CHECK(jint(patched, "spec.replicas", -1) == 5, "PATCH scale");
  _cleanup_json_ json_t *now = NULL;
  CHECK_RC(client_get(c, dep, ns, "web", &now, &e), 0, e);
  CHECK(jint(now, "spec.replicas", -1) == 5, "scale reached the deployment");
  /* A stale resourceVersion precondition is a conflict. */
  ClientDeleteOptions stale = {.precondition_resource_version = jstr(created, "metadata.resourceVersion")};
  int rc = client_delete(c, dep, ns, "web", &stale, NULL, &e);
  CHECK(rc == -ECANCELED && e.http == 409, "delete with a stale resourceVersion: rc=%d", rc);
  error_reset(&e);
  /* Foreground: the server keeps the object, terminating, with the foregroundDeletion finalizer (the garbage
   * collector removes it once the dependents are gone; the test may get there first). */
  _cleanup_json_ json_t *deleting = NULL;
  for (int attempt = 0;; attempt++) {
    _cleanup_json_ json_t *cur = NULL;
    CHECK_RC(client_get(c, dep, ns, "web", &cur, &e), 0, e);
    ClientDeleteOptions fg = {.propagation_policy = "Foreground",
                              .precondition_resource_version = jstr(cur, "metadata.resourceVersion")};
    int drc = client_delete(c, dep, ns, "web", &fg, &deleting, &e);
    if (drc == -ECANCELED && attempt < 20) {
      error_reset(&e);
      continue;
    }
    CHECK_RC(drc, 0, e);
    break;
  }
  CHECK(jstr(deleting, "metadata.deletionTimestamp"), "foreground delete leaves the object terminating");
  json_t *fin = jpath(deleting, "metadata.finalizers");
  CHECK(json_array_size(fin) == 1 && streq(json_string_value(json_array_get(fin, 0)), "foregroundDeletion"),
        "foregroundDeletion finalizer");
  _cleanup_json_ json_t *clear = json_pack("{s:{s:[]}}", "metadata", "finalizers");
  rc = client_patch(c, dep, ns, "web", NULL, CLIENT_PATCH_MERGE, clear, NULL, &e);
  CHECK(rc == 0 || rc == -ENOENT, "clearing the finalizers: rc=%d", rc);
  error_reset(&e);
  rc = client_get(c, dep, ns, "web", NULL, &e);
  CHECK(rc == -ENOENT, "deployment gone once its finalizers are: rc=%d", rc);
  error_reset(&e);
}

static void crud_auth(const char *data_dir, const char *server, const char *ns) {
  Error e = ERROR_INIT;
  _cleanup_free_ char *ca_path = xasprintf("%s/server/tls/server-ca.crt", data_dir);
  _cleanup_free_ char *tok_path = xasprintf("%s/server/tls/token", data_dir);
  _cleanup_free_ char *ca = NULL, *tok = NULL;
  size_t n;
  CHECK(read_file(ca_path, &ca, &n) == 0, "read %s", ca_path);
  CHECK(read_file(tok_path, &tok, &n) == 0, "read %s", tok_path);
  tok[strcspn(tok, "\r\n")] = 0;
  ClientConfig with_token = {.server = server, .ca_pem = ca, .token = tok};
  Client *c = NULL;
  CHECK_RC(client_new(&with_token, &c, &e), 0, e);
  _cleanup_json_ json_t *nso = NULL;
  CHECK_RC(client_get(c, res("", "namespaces"), NULL, ns, &nso, &e), 0, e);
  client_free(c);
  ClientConfig anonymous = {.server = server, .ca_pem = ca};
  CHECK_RC(client_new(&anonymous, &c, &e), 0, e);
  int rc = client_get(c, res("", "namespaces"), NULL, ns, NULL, &e);
  CHECK(rc == -EPERM && e.http == 401, "anonymous get: rc=%d http=%d", rc, e.http);
  error_reset(&e);
  client_free(c);
}

static int mode_crud(Client *c, const char *data_dir, const char *server, const char *ns) {
  Error e = ERROR_INIT;
  _cleanup_json_ json_t *nso =
      json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", ns);
  CHECK_RC(client_create(c, res("", "namespaces"), NULL, nso, NULL, &e), 0, e);
  crud_configmaps(c, ns);
  crud_deployment(c, ns);
  crud_auth(data_dir, server, ns);
  say("ok");
  return 0;
}

/* ---- informer ---- */

static void print_add(json_t *o, void *ud) {
  say("add %s %s", jstr(o, "metadata.name"), jstr(o, "metadata.resourceVersion"));
}
static void print_update(json_t *old_obj, json_t *new_obj, void *ud) {
  say("update %s %s %s", jstr(new_obj, "metadata.name"), jstr(old_obj, "metadata.resourceVersion"),
      jstr(new_obj, "metadata.resourceVersion"));
}
static void print_delete(json_t *o, void *ud) {
  say("delete %s %s", jstr(o, "metadata.name"), jstr(o, "metadata.resourceVersion"));
}

static int mode_informer(Client *c, const char *ns, uint64_t resync_ms) {
  Error e = ERROR_INIT;
  Informer *inf = NULL;
  InformerOptions o = {.ns = ns, .resync_usec = resync_ms * 1000};
  CHECK_RC(informer_new(c, res("", "configmaps"), &o, &inf, &e), 0, e);
  InformerHandlers h = {.on_add = print_add, .on_update = print_update, .on_delete = print_delete};
  informer_add_handlers(inf, &h);
  CHECK_RC(informer_start(inf, &e), 0, e);
  CHECK(informer_wait_for_sync(inf, 30000000) == 0, "informer did not sync");
  say("synced");
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    line[strcspn(line, "\n")] = 0;
    if (streq(line, "stats")) {
      InformerStats st;
      informer_get_stats(inf, &st);
      say("stats lists=%llu watches=%llu failures=%llu gone=%llu rv=%s", (unsigned long long)st.lists,
          (unsigned long long)st.watches, (unsigned long long)st.failures, (unsigned long long)st.gone,
          st.resource_version);
    } else if (streq(line, "dump")) {
      _cleanup_json_ json_t *all = informer_list(inf);
      _cleanup_buf_ Buf b = BUF_INIT;
      buf_puts(&b, "cache");
      size_t i;
      json_t *it;
      json_array_foreach(all, i, it) buf_printf(&b, " %s=%s", jstr(it, "metadata.name"), jstr(it, "data.k"));
      say("%s", b.data);
    } else if (streq(line, "quit")) {
      break;
    }
  }
  uint64_t start = now_monotonic_usec();
  informer_stop(inf);
  say("stopped ms=%llu", (unsigned long long)((now_monotonic_usec() - start) / 1000));
  informer_free(inf);
  return 0;
}

/* ---- controller: the pattern every coracle controller follows ---- */

typedef struct Echo {
  Client *client;
  Informer *inf;
  WorkQueue *queue;
} Echo;

static void echo_enqueue(json_t *obj, void *userdata) {
  Echo *c = userdata;
  _cleanup_free_ char *key = informer_key(obj);
  if (key)
    workqueue_add(c->queue, key);
}

static void echo_on_update(json_t *old_obj, json_t *new_obj, void *userdata) {
  echo_enqueue(new_obj, userdata);
}

/* Level-based: look at the cached state now, not at the event that queued the key. */
static int echo_reconcile(Echo *c, const char *key, Error *err) {
  _cleanup_json_ json_t *cur = informer_get(c->inf, key);
  if (!cur)
    return 0; /* deleted meanwhile: nothing to do */
  const char *k = jstr(cur, "data.k"), *echo = jstr(cur, "data.echo");
  if (!k || streq_ptr(k, echo))
    return 0;
  /* Cached objects are shared and immutable: change a copy. */
  _cleanup_json_ json_t *want = json_deep_copy(cur);
  jset(want, "data.echo", json_string(k));
  int rc = client_update(c->client, informer_resource(c->inf), NULL, want, NULL, err);
  if (rc >= 0)
    say("reconciled %s %s", jstr(cur, "metadata.name"), k);
  return rc;
}

static void *echo_worker(void *arg) {
  Echo *c = arg;
  char *key;
  while (workqueue_get(c->queue, &key) == 0) {
    Error e = ERROR_INIT;
    int rc = echo_reconcile(c, key, &e);
    if (rc == -ECANCELED || rc == -EAGAIN || rc == -ECONNREFUSED || rc == -ECONNRESET)
      workqueue_add_rate_limited(c->queue, key); /* stale cache or server away: retry with back-off */
    else
      workqueue_forget(c->queue, key);
    error_reset(&e);
    workqueue_done(c->queue, key);
    free(key);
  }
  return NULL;
}

static int mode_controller(Client *client, const char *ns) {
  Error e = ERROR_INIT;
  Echo c = {.client = client, .queue = workqueue_new("echo")};
  InformerOptions o = {.ns = ns};
  CHECK_RC(informer_new(client, res("", "configmaps"), &o, &c.inf, &e), 0, e);
  InformerHandlers h = {.on_add = echo_enqueue, .on_update = echo_on_update, .userdata = &c};
  informer_add_handlers(c.inf, &h);
  CHECK_RC(informer_start(c.inf, &e), 0, e);
  CHECK(informer_wait_for_sync(c.inf, 30000000) == 0, "informer did not sync");
  pthread_t workers[2];
  for (size_t i = 0; i < ELEMENTSOF(workers); i++)
    pthread_create(&workers[i], NULL, echo_worker, &c);
  say("synced");
  char line[64];
  while (fgets(line, sizeof line, stdin) && !startswith(line, "quit"))
    ;
  informer_stop(c.inf);
  workqueue_shutdown(c.queue);
  for (size_t i = 0; i < ELEMENTSOF(workers); i++)
    pthread_join(workers[i], NULL);
  informer_free(c.inf);
  workqueue_free(c.queue);
  say("stopped");
  return 0;
}

/* ---- gone ---- */

static int ignore_event(ClientWatchEventType type, json_t *object, void *userdata) {
  /* A 410 may arrive as the stream's first event instead of an HTTP status. */
  if (type == CLIENT_WATCH_ERROR && jint(object, "code", 0) == 410)
    return -ENODATA;
  return 0;
}

static int mode_gone(Client *c, const char *ns) {
  Error e = ERROR_INIT;
  const ApiResource *cm = res("", "configmaps");
  _cleanup_json_ json_t *items = NULL, *page = NULL;
  _cleanup_free_ char *rv = NULL;
  CHECK_RC(client_list(c, cm, ns, NULL, &items, &rv, &e), 0, e);
  _cleanup_free_ char *path = xasprintf("/api/v1/namespaces/%s/configmaps?limit=1", ns);
  CHECK_RC(client_request(c, "GET", path, NULL, NULL, &page, &e), 0, e);
  const char *cont = jstr(page, "metadata.continue");
  CHECK(!isempty(cont), "a first page of 1 has a continue token (need >= 2 objects)");
  _cleanup_buf_ Buf next = BUF_INIT;
  buf_printf(&next, "%s&continue=", path);
  client_url_escape(&next, cont);
  say("listed %s", rv);
  char line[64];
  CHECK(fgets(line, sizeof line, stdin), "stdin closed");

  ClientWatchOptions wo = {.resource_version = rv, .timeout_sec = 10};
  int rc = client_watch(c, cm, ns, &wo, ignore_event, NULL, &e);
  CHECK(rc == -ENODATA, "watch from a compacted resourceVersion: rc=%d (%s)", rc, e.message ? e.message : "");
  error_reset(&e);
  rc = client_request(c, "GET", next.data, NULL, NULL, NULL, &e);
  CHECK(rc == -ENODATA && e.http == 410 && streq(error_reason(&e), "Expired"),
        "expired continue: rc=%d http=%d", rc, e.http);
  error_reset(&e);
  /* The pager itself copes (fresh snapshot). */
  json_decref(items);
  items = NULL;
  ClientListOptions lo = {.page_size = 1};
  CHECK_RC(client_list(c, cm, ns, &lo, &items, NULL, &e), 0, e);
  CHECK(json_array_size(items) >= 2, "paged list after compaction");
  say("ok");
  return 0;
}

int main(int argc, char **argv) {
  const char *data_dir = NULL, *server = NULL, *in_process = NULL;
  int i = 1;
  for (; i + 1 < argc && startswith(argv[i], "--"); i += 2) {
    if (streq(argv[i], "--data-dir"))
      data_dir = argv[i + 1];
    else if (streq(argv[i], "--server"))
      server = argv[i + 1];
    else if (streq(argv[i], "--in-process"))
      in_process = argv[i + 1];
  }
  if (!data_dir || !server || i + 1 >= argc) {
    fprintf(stderr,
            "usage: %s --data-dir DIR --server URL [--in-process KUBECONFIG] crud|informer|controller|gone "
            "NS [RESYNC_MS]\n",
            argv[0]);
    return 2;
  }
  const char *mode = argv[i], *ns = argv[i + 1];
  Error e = ERROR_INIT;
  ApiServer *s = NULL;
  if (in_process) {
    const char *colon = strrchr(server, ':');
    CHECK(colon, "no port in %s", server);
    ApiServerOptions o = apiserver_default_options();
    o.data_dir = data_dir;
    o.bind_address = "127.0.0.1";
    o.https_port = atoi(colon + 1);
    o.node_name = "live";
    o.write_kubeconfig = in_process;
    o.store_sync = STORE_SYNC_NORMAL;
    o.watch_cache_events = 1024;
    CHECK_RC(apiserver_start(&o, &s, &e), 0, e);
  }
  Client *c = NULL;
  CHECK_RC(client_new_local(data_dir, server, &c, &e), 0, e);
  if (s)
    client_set_transport(c, apiserver_local_transport, s);
  int rc;
  if (streq(mode, "crud"))
    rc = mode_crud(c, data_dir, server, ns);
  else if (streq(mode, "informer"))
    rc = mode_informer(c, ns, i + 2 < argc ? strtoull(argv[i + 2], NULL, 10) : 0);
  else if (streq(mode, "controller"))
    rc = mode_controller(c, ns);
  else if (streq(mode, "gone"))
    rc = mode_gone(c, ns);
  else
    rc = 2;
  client_free(c);
  apiserver_stop(s);
  return rc;
}
