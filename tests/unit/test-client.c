/* Unit tests for the API client without a coracle server: splitting watch streams into events across
 * arbitrary chunk boundaries, event decoding, URL building, Status → Error mapping, the hash map, and —
 * against a small scripted HTTP/1.1 server on loopback — gets, paged lists (with an expired continue token),
 * chunked watch streams, refused watches and cancelling a silent watch within 100 ms. The informer's cache
 * and handler semantics are in test-client-informer.c. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "api/jsonutil.h"
#include "client/client-internal.h"
#include "client/events.h"

/* ---- line splitting ---- */

typedef struct Lines {
  char *v[64];
  size_t n;
  int fail_at; /* return -EINTR for this line number (1-based); 0 = never */
} Lines;

static int collect_line(const char *line, size_t len, void *userdata) {
  Lines *l = userdata;
  assert_true(l->n < 64);
  l->v[l->n++] = xstrndup(line, len);
  return l->fail_at && (int)l->n == l->fail_at ? -EINTR : 0;
}

static void lines_free(Lines *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  l->n = 0;
}

static void test_splitter_every_chunking(void **state) {
  /* Lines of varied sizes, one much longer than any chunk, and a blank line that must be skipped. */
  _cleanup_free_ char *big = xmalloc(5000);
  memset(big, 'x', 4999);
  big[4999] = 0;
  _cleanup_free_ char *stream =
      xasprintf("{\"type\":\"ADDED\"}\n{\"a\":1}\r\n\n{\"long\":\"%s\"}\n{}\n{\"last\":true}\n", big);
  size_t len = strlen(stream);
  const char *want[] = {"{\"type\":\"ADDED\"}", "{\"a\":1}", NULL, "{}", "{\"last\":true}"};
  for (size_t chunk = 1; chunk <= 64; chunk++) {
    Lines l = {0};
    ClientLineSplitter s;
    client_line_splitter_init(&s, 1 << 20, collect_line, &l);
    for (size_t off = 0; off < len; off += chunk)
      assert_int_equal(client_line_splitter_feed(&s, stream + off, MIN(chunk, len - off)), 0);
    assert_int_equal(l.n, 5);
    for (size_t i = 0; i < 5; i++)
      if (want[i])
        assert_string_equal(l.v[i], want[i]);
    assert_int_equal(strlen(l.v[2]), strlen(big) + 11);
    assert_int_equal(s.partial.len, 0);
    client_line_splitter_done(&s);
    lines_free(&l);
  }
  /* Irregular cuts: every split of the stream's first 40 bytes into two pieces plus the rest. */
  for (size_t a = 0; a < 40; a++) {
    Lines l = {0};
    ClientLineSplitter s;
    client_line_splitter_init(&s, 1 << 20, collect_line, &l);
    assert_int_equal(client_line_splitter_feed(&s, stream, a), 0);
    assert_int_equal(client_line_splitter_feed(&s, stream + a, 7), 0);
    assert_int_equal(client_line_splitter_feed(&s, stream + a + 7, len - a - 7), 0);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.v[0], want[0]);
    assert_string_equal(l.v[4], want[4]);
    client_line_splitter_done(&s);
    lines_free(&l);
  }
}

static void test_splitter_limits_and_stop(void **state) {
  Lines l = {0};
  ClientLineSplitter s;
  client_line_splitter_init(&s, 8, collect_line, &l);
  assert_int_equal(client_line_splitter_feed(&s, "12345678\n", 9), 0);
  assert_int_equal(client_line_splitter_feed(&s, "12345", 5), 0);
  assert_int_equal(client_line_splitter_feed(&s, "6789", 4), -E2BIG);
  client_line_splitter_done(&s);
  lines_free(&l);

  l.fail_at = 2;
  client_line_splitter_init(&s, 64, collect_line, &l);
  assert_int_equal(client_line_splitter_feed(&s, "a\nb\nc\n", 6), -EINTR);
  assert_int_equal(l.n, 2);
  client_line_splitter_done(&s);
  lines_free(&l);
}

static void test_event_decode(void **state) {
  ClientWatchEventType t;
  json_t *o = NULL;
  const char *ok = "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}";
  assert_int_equal(client_watch_event_decode(ok, strlen(ok), false, &t, &o, NULL), 0);
  assert_int_equal(t, CLIENT_WATCH_MODIFIED);
  assert_string_equal(jstr(o, "metadata.name"), "a");
  json_decref(o);
  /* An informer trimming managedFields has the object decoded without them. */
  const char *mf = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\",\"managedFields\":[{}]}}}";
  assert_int_equal(client_watch_event_decode(mf, strlen(mf), true, &t, &o, NULL), 0);
  assert_string_equal(jstr(o, "metadata.name"), "b");
  assert_null(jpath(o, "metadata.managedFields"));
  json_decref(o);
  assert_int_equal(client_watch_event_decode(mf, strlen(mf), false, &t, &o, NULL), 0);
  assert_non_null(jpath(o, "metadata.managedFields"));
  json_decref(o);
  const char *bad[] = {"{\"type\":\"NOPE\",\"object\":{}}", "{\"type\":\"ADDED\"}", "{\"type\":\"ADDED\",",
                       "[1]"};
  for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
    _cleanup_error_ Error e = ERROR_INIT;
    assert_int_equal(client_watch_event_decode(bad[i], strlen(bad[i]), false, &t, &o, &e), -EBADMSG);
    assert_non_null(e.message);
  }
  assert_int_equal(client_watch_event_type_from_string("BOOKMARK"), CLIENT_WATCH_BOOKMARK);
  assert_string_equal(client_watch_event_type_to_string(CLIENT_WATCH_ERROR), "ERROR");
  assert_int_equal(client_watch_event_type_from_string(NULL), CLIENT_WATCH_INVALID);
}

static void test_build_path(void **state) {
  const ApiResource *pods = api_resource_find("", "v1", "pods");
  const ApiResource *deploy = api_resource_find("apps", "v1", "deployments");
  const ApiResource *nodes = api_resource_find("", "v1", "nodes");
  struct {
    const ApiResource *r;
    const char *ns, *name, *sub, *want;
  } cases[] = {
      {pods, "default", NULL, NULL, "/api/v1/namespaces/default/pods"},
      {pods, NULL, NULL, NULL, "/api/v1/pods"},
      {pods, "kube-system", "web-1", "binding", "/api/v1/namespaces/kube-system/pods/web-1/binding"},
      {deploy, "d", "web", "scale", "/apis/apps/v1/namespaces/d/deployments/web/scale"},
      {nodes, "ignored", "n1", NULL, "/api/v1/nodes/n1"},
      {pods, "a b", "x/y", NULL, "/api/v1/namespaces/a%20b/pods/x%2Fy"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    _cleanup_buf_ Buf b = BUF_INIT;
    client_build_path(&b, cases[i].r, cases[i].ns, cases[i].name, cases[i].sub);
    assert_string_equal(b.data, cases[i].want);
  }
  _cleanup_buf_ Buf q = BUF_INIT;
  client_url_escape(&q, "app in (a,b),tier!=db");
  assert_string_equal(q.data, "app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb");
}

static void test_error_from_status(void **state) {
  struct {
    long http;
    const char *body;
    int want;
    const char *reason;
  } cases[] = {
      {404,
       "{\"kind\":\"Status\",\"code\":404,\"reason\":\"NotFound\",\"message\":\"pods \\\"x\\\" not found\"}",
       -ENOENT, "NotFound"},
      {409, "{\"kind\":\"Status\",\"code\":409,\"reason\":\"AlreadyExists\",\"message\":\"exists\"}", -EEXIST,
       "AlreadyExists"},
      {409, "{\"kind\":\"Status\",\"code\":409,\"reason\":\"Conflict\",\"message\":\"modified\"}", -ECANCELED,
       "Conflict"},
      {410, "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"too old\"}", -ENODATA,
       "Expired"},
      {500, "not json at all", -EIO, "InternalError"},
      {403, "", -EACCES, "Forbidden"},
  };
  for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
    _cleanup_error_ Error e = ERROR_INIT;
    int rc = client_error_from_response(cases[i].http, cases[i].body, strlen(cases[i].body), &e);
    assert_int_equal(rc, cases[i].want);
    assert_int_equal(e.code, cases[i].want);
    assert_int_equal(error_http_status(&e), cases[i].http);
    assert_string_equal(error_reason(&e), cases[i].reason);
  }
  const char *invalid =
      "{\"kind\":\"Status\",\"code\":422,\"reason\":\"Invalid\",\"message\":\"bad\",\"details\":"
      "{\"causes\":[{\"reason\":\"FieldValueInvalid\",\"field\":\"spec.replicas\",\"message\":"
      "\"must be >= 0\"}],\"retryAfterSeconds\":3}}";
  _cleanup_error_ Error e = ERROR_INIT;
  assert_int_equal(client_error_from_response(422, invalid, strlen(invalid), &e), -EINVAL);
  assert_string_equal(e.message, "bad");
  assert_int_equal(e.n_causes, 1);
  assert_string_equal(e.causes[0].field, "spec.replicas");
  assert_int_equal(e.retry_after, 3);
}

static void test_map(void **state) {
  ClientMap m = CLIENT_MAP_INIT;
  assert_null(client_map_get(&m, "x"));
  assert_null(client_map_remove(&m, "x"));
  char key[32];
  for (uintptr_t i = 1; i <= 5000; i++) {
    snprintf(key, sizeof key, "ns/obj-%lu", (unsigned long)i);
    assert_null(client_map_put(&m, key, (void *)i));
  }
  assert_int_equal(m.size, 5000);
  assert_ptr_equal(client_map_put(&m, "ns/obj-7", (void *)9999), (void *)7);
  assert_ptr_equal(client_map_get(&m, "ns/obj-7"), (void *)9999);
  for (uintptr_t i = 1; i <= 5000; i += 2) {
    snprintf(key, sizeof key, "ns/obj-%lu", (unsigned long)i);
    assert_non_null(client_map_remove(&m, key));
  }
  assert_int_equal(m.size, 2500);
  assert_false(client_map_contains(&m, "ns/obj-1"));
  assert_ptr_equal(client_map_get(&m, "ns/obj-4000"), (void *)4000);
  client_map_clear(&m, NULL);
  assert_int_equal(m.size, 0);
}

/* ---- a scripted HTTP/1.1 server on loopback (plain http, one request per connection) ---- */

typedef struct Fake Fake;
typedef void (*FakeHandler)(Fake *f, int conn, const char *method, const char *target);

struct Fake {
  int fd;
  int port;
  pthread_t thread;
  atomic_bool stop;
  FakeHandler handler;
  pthread_mutex_t lock;
  char *targets[32]; /* request targets seen */
  size_t n_targets;
};

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0)
      return;
    p += w;
    n -= (size_t)w;
  }
}

static void respond(int conn, int status, const char *body) {
  _cleanup_free_ char *head = xasprintf("HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: "
                                        "%zu\r\nConnection: close\r\n\r\n",
                                        status, strlen(body));
  write_all(conn, head, strlen(head));
  write_all(conn, body, strlen(body));
}

static void start_chunked(int conn) {
  const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                  "Connection: close\r\n\r\n";
  write_all(conn, h, strlen(h));
}

static void send_chunk(int conn, const char *p, size_t n) {
  char size[32];
  int l = snprintf(size, sizeof size, "%zx\r\n", n);
  write_all(conn, size, (size_t)l);
  write_all(conn, p, n);
  write_all(conn, "\r\n", 2);
}

static void *fake_run(void *arg) {
  Fake *f = arg;
  while (!atomic_load(&f->stop)) {
    struct pollfd p = {.fd = f->fd, .events = POLLIN};
    if (poll(&p, 1, 20) <= 0)
      continue;
    int conn = accept(f->fd, NULL, NULL);
    if (conn < 0)
      continue;
    char req[8192];
    size_t n = 0;
    while (n < sizeof req - 1) {
      ssize_t r = recv(conn, req + n, sizeof req - 1 - n, 0);
      if (r <= 0)
        break;
      n += (size_t)r;
      req[n] = 0;
      if (strstr(req, "\r\n\r\n"))
        break;
    }
    req[n] = 0;
    char method[16] = "", target[4096] = "";
    if (sscanf(req, "%15s %4095s", method, target) == 2) {
      pthread_mutex_lock(&f->lock);
      if (f->n_targets < ELEMENTSOF(f->targets))
        f->targets[f->n_targets++] = xstrdup(target);
      pthread_mutex_unlock(&f->lock);
      f->handler(f, conn, method, target);
    }
    close(conn);
  }
  return NULL;
}

static void fake_start(Fake *f, FakeHandler h) {
  *f = (Fake){.handler = h};
  pthread_mutex_init(&f->lock, NULL);
  f->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(f->fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &al), 0);
  f->port = ntohs(a.sin_port);
  assert_int_equal(listen(f->fd, 16), 0);
  pthread_create(&f->thread, NULL, fake_run, f);
}

static void fake_stop(Fake *f) {
  atomic_store(&f->stop, true);
  pthread_join(f->thread, NULL);
  close(f->fd);
  for (size_t i = 0; i < f->n_targets; i++)
    free(f->targets[i]);
  pthread_mutex_destroy(&f->lock);
}

static Client *fake_client(Fake *f) {
  _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d/", f->port);
  ClientConfig cfg = {.server = url, .token = "t0ken"};
  Client *c = NULL;
  assert_int_equal(client_new(&cfg, &c, NULL), 0);
  return c;
}

/* ---- requests against the fake ---- */

static void crud_handler(Fake *f, int conn, const char *method, const char *target) {
  if (streq(target, "/api/v1/namespaces/default/configmaps/missing")) {
    respond(conn, 404,
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":404,\"reason\":"
            "\"NotFound\","
            "\"message\":\"configmaps \\\"missing\\\" not found\"}");
  } else if (streq(target, "/api/v1/namespaces/default/configmaps/here")) {
    respond(conn, 200, "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"here\",\"resourceVersion\":\"7\"}}");
  } else if (streq(target, "/api/v1/namespaces/default/configmaps?limit=2")) {
    respond(conn, 200,
            "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"10\",\"continue\":\"tok1\"},"
            "\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}");
  } else if (streq(target, "/api/v1/namespaces/default/configmaps?limit=2&continue=tok1")) {
    respond(conn, 200,
            "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"10\"},"
            "\"items\":[{\"metadata\":{\"name\":\"c\"}}]}");
  } else if (streq(target, "/api/v1/namespaces/old/configmaps?limit=2")) {
    respond(conn, 200,
            "{\"metadata\":{\"resourceVersion\":\"10\",\"continue\":\"stale\"},"
            "\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}");
  } else if (streq(target, "/api/v1/namespaces/old/configmaps?limit=2&continue=stale")) {
    respond(conn, 410, "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"too old\"}");
  } else if (streq(target, "/api/v1/namespaces/old/configmaps")) {
    respond(
        conn, 200,
        "{\"metadata\":{\"resourceVersion\":\"20\"},\"items\":[{\"metadata\":{\"name\":\"a\"}},"
        "{\"metadata\":{\"name\":\"b\"}},{\"metadata\":{\"name\":\"c\"}},{\"metadata\":{\"name\":\"d\"}}]}");
  } else {
    respond(conn, 500,
            "{\"kind\":\"Status\",\"code\":500,\"reason\":\"InternalError\",\"message\":\"unexpected\"}");
  }
  (void)f;
  (void)method;
}

static void test_requests(void **state) {
  Fake f;
  fake_start(&f, crud_handler);
  Client *c = fake_client(&f);
  const ApiResource *cm = api_resource_find("", "v1", "configmaps");

  _cleanup_error_ Error e = ERROR_INIT;
  json_t *o = NULL;
  assert_int_equal(client_get(c, cm, "default", "missing", &o, &e), -ENOENT);
  assert_null(o);
  assert_int_equal(e.http, 404);
  assert_string_equal(e.message, "configmaps \"missing\" not found");
  error_reset(&e);
  assert_int_equal(client_get(c, cm, "default", "here", &o, &e), 0);
  assert_string_equal(jstr(o, "metadata.resourceVersion"), "7");
  json_decref(o);

  /* Paging is followed; items get their kind. */
  json_t *items = NULL;
  char *rv = NULL;
  ClientListOptions lo = {.page_size = 2};
  assert_int_equal(client_list(c, cm, "default", &lo, &items, &rv, &e), 0);
  assert_int_equal(json_array_size(items), 3);
  assert_string_equal(jstr(json_array_get(items, 2), "metadata.name"), "c");
  assert_string_equal(jstr(json_array_get(items, 0), "kind"), "ConfigMap");
  assert_string_equal(jstr(json_array_get(items, 0), "apiVersion"), "v1");
  assert_string_equal(rv, "10");
  json_decref(items);
  free(rv);

  /* An expired continue token: the pager starts over without a limit. */
  assert_int_equal(client_list(c, cm, "old", &lo, &items, &rv, &e), 0);
  assert_int_equal(json_array_size(items), 4);
  assert_string_equal(rv, "20");
  json_decref(items);
  free(rv);
  client_free(c);
  fake_stop(&f);
}

/* ---- watches against the fake ---- */

static const char *const watch_events[] = {
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"11\"}}}\n",
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"12\"},\"data\":{"
    "\"k\":"
    "\"v\"}}}\n",
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"13\"}}}\n",
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"14\"}}}\n",
};

static void stream_handler(Fake *f, int conn, const char *method, const char *target) {
  _cleanup_buf_ Buf all = BUF_INIT;
  for (size_t i = 0; i < ELEMENTSOF(watch_events); i++)
    buf_puts(&all, watch_events[i]);
  start_chunked(conn);
  /* Chunks of 1, 2, 3... bytes, each its own write so that the client sees the stream in small pieces. */
  size_t off = 0, step = 1;
  while (off < all.len) {
    size_t n = MIN(step, all.len - off);
    send_chunk(conn, all.data + off, n);
    off += n;
    step = step % 13 + 1;
    usleep(200);
  }
  write_all(conn, "0\r\n\r\n", 5);
  (void)f;
  (void)method;
  (void)target;
}

typedef struct Seen {
  ClientWatchEventType types[16];
  char rv[16][16];
  size_t n;
  int stop_after; /* return -EPIPE after this many events; 0 = never */
} Seen;

static int seen_event(ClientWatchEventType type, json_t *object, void *userdata) {
  Seen *s = userdata;
  assert_true(s->n < 16);
  s->types[s->n] = type;
  snprintf(s->rv[s->n], sizeof s->rv[0], "%s", jstr(object, "metadata.resourceVersion"));
  s->n++;
  return s->stop_after && (int)s->n == s->stop_after ? -EPIPE : 0;
}

static void test_watch_stream(void **state) {
  Fake f;
  fake_start(&f, stream_handler);
  Client *c = fake_client(&f);
  const ApiResource *cm = api_resource_find("", "v1", "configmaps");
  Seen s = {0};
  ClientWatchOptions wo = {
      .resource_version = "10", .allow_bookmarks = true, .timeout_sec = 30, .label_selector = "app=web"};
  _cleanup_error_ Error e = ERROR_INIT;
  assert_int_equal(client_watch(c, cm, "default", &wo, seen_event, &s, &e), 0);
  assert_int_equal(s.n, 4);
  const ClientWatchEventType want[] = {CLIENT_WATCH_ADDED, CLIENT_WATCH_MODIFIED, CLIENT_WATCH_BOOKMARK,
                                       CLIENT_WATCH_DELETED};
  for (size_t i = 0; i < 4; i++) {
    assert_int_equal(s.types[i], want[i]);
    char rv[16];
    snprintf(rv, sizeof rv, "%zu", 11 + i);
    assert_string_equal(s.rv[i], rv);
  }
  assert_string_equal(f.targets[0],
                      "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=10&labelSelector="
                      "app%3Dweb&allowWatchBookmarks=true&timeoutSeconds=30");

  /* The handler can stop the watch. */
  Seen s2 = {.stop_after = 2};
  assert_int_equal(client_watch(c, cm, "default", &wo, seen_event, &s2, &e), -EPIPE);
  assert_int_equal(s2.n, 2);
  client_free(c);
  fake_stop(&f);
}

static void gone_handler(Fake *f, int conn, const char *method, const char *target) {
  if (strstr(target, "resourceVersion=1&")) {
    respond(conn, 410, "{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"too old\"}");
    return;
  }
  start_chunked(conn);
  const char *ev =
      "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n";
  send_chunk(conn, ev, strlen(ev));
  write_all(conn, "0\r\n\r\n", 5);
  (void)f;
  (void)method;
}

static void test_watch_refused_and_error_event(void **state) {
  Fake f;
  fake_start(&f, gone_handler);
  Client *c = fake_client(&f);
  const ApiResource *cm = api_resource_find("", "v1", "configmaps");
  _cleanup_error_ Error e = ERROR_INIT;
  Seen s = {0};
  ClientWatchOptions wo = {.resource_version = "1", .timeout_sec = 5};
  assert_int_equal(client_watch(c, cm, NULL, &wo, seen_event, &s, &e), -ENODATA);
  assert_int_equal(e.http, 410);
  assert_int_equal(s.n, 0);
  wo.resource_version = "2";
  assert_int_equal(client_watch(c, cm, NULL, &wo, seen_event, &s, &e), 0);
  assert_int_equal(s.n, 1);
  assert_int_equal(s.types[0], CLIENT_WATCH_ERROR);
  client_free(c);
  fake_stop(&f);
}

static void silent_handler(Fake *f, int conn, const char *method, const char *target) {
  start_chunked(conn);
  /* Say nothing until the client goes away (or the test ends). */
  for (int i = 0; i < 500 && !atomic_load(&f->stop); i++) {
    struct pollfd p = {.fd = conn, .events = POLLRDHUP};
    if (poll(&p, 1, 10) > 0)
      break;
  }
  (void)method;
  (void)target;
}

typedef struct WatchThread {
  Client *c;
  ClientCancel *cancel;
  int rc;
  uint64_t ended_usec;
} WatchThread;

static int ignore_event(ClientWatchEventType type, json_t *object, void *userdata) {
  return 0;
}

static void *watch_thread(void *arg) {
  WatchThread *w = arg;
  ClientWatchOptions wo = {.allow_bookmarks = true, .cancel = w->cancel};
  w->rc = client_watch(w->c, api_resource_find("", "v1", "pods"), NULL, &wo, ignore_event, NULL, NULL);
  w->ended_usec = now_monotonic_usec();
  return NULL;
}

static void test_watch_cancel_is_prompt(void **state) {
  Fake f;
  fake_start(&f, silent_handler);
  WatchThread w = {.c = fake_client(&f), .cancel = client_cancel_new()};
  pthread_t t;
  pthread_create(&t, NULL, watch_thread, &w);
  usleep(300000);
  uint64_t fired = now_monotonic_usec();
  client_cancel_trigger(w.cancel);
  pthread_join(t, NULL);
  assert_int_equal(w.rc, -ECANCELED);
  assert_true(w.ended_usec - fired < 100000);
  /* A triggered token stops the next transfer before it starts; reset re-arms it. */
  assert_true(client_cancel_triggered(w.cancel));
  client_cancel_reset(w.cancel);
  assert_false(client_cancel_triggered(w.cancel));
  client_cancel_free(w.cancel);
  client_free(w.c);
  fake_stop(&f);
}

static void test_connection_refused(void **state) {
  /* A port that was just free: nothing listens. */
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &al);
  close(fd);
  _cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d", ntohs(a.sin_port));
  ClientConfig cfg = {.server = url};
  Client *c = NULL;
  assert_int_equal(client_new(&cfg, &c, NULL), 0);
  _cleanup_error_ Error e = ERROR_INIT;
  json_t *o = NULL;
  assert_int_equal(client_get(c, api_resource_find("", "v1", "nodes"), NULL, "n", &o, &e), -ECONNREFUSED);
  assert_int_equal(e.http, 0);
  client_free(c);

  ClientConfig bad = {.server = "ftp://x"};
  assert_int_equal(client_new(&bad, &c, NULL), -EINVAL);
}

/* ---- event correlation (client/events.h): client-go's aggregation, de-duplication and spam filter ---- */

static json_t *rs_event(const char *rs, const char *type, const char *msg) {
  return json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:{s:s},s:s,s:s}", "apiVersion",
                   "v1", "kind", "Event", "metadata", "namespace", "ns", "involvedObject", "apiVersion",
                   "apps/v1", "kind", "ReplicaSet", "namespace", "ns", "name", rs, "uid", rs, "reason",
                   "SuccessfulCreate", "message", msg, "type", type, "source", "component",
                   "controller-manager", "reportingComponent", "controller-manager", "reportingInstance",
                   "controller-manager");
}

/* Decides one event of rs with message msg at t seconds; remembers a created one as NAME. */
static void decide(ClientEvents *ev, const char *rs, const char *msg, uint64_t t_sec, const char *name,
                   ClientEventDecision *d) {
  _cleanup_json_ json_t *e = rs_event(rs, "Normal", msg);
  _cleanup_free_ char *key = xasprintf("%s|Normal|SuccessfulCreate|%s", rs, msg);
  client_events_decide(ev, key, e, t_sec * 1000000u + 1, d);
  if (!d->drop && !d->repeat_name)
    client_events_remember(ev, d->key, name, t_sec * 1000000u + 1);
}

static void test_event_correlator(void **state) {
  ClientEvents ev;
  client_events_init(&ev);
  ClientEventDecision d;
  char msg[64], name[32];
  /* Nine distinct messages are written as they are. */
  for (int i = 1; i <= 9; i++) {
    snprintf(msg, sizeof msg, "Created pod: p%d", i);
    snprintf(name, sizeof name, "ev%d", i);
    decide(&ev, "rs1", msg, 100, name, &d);
    assert_false(d.drop);
    assert_null(d.repeat_name);
    assert_null(d.message);
    client_event_decision_done(&d);
  }
  /* The tenth similar one starts the combined Event; the next ones patch it. */
  decide(&ev, "rs1", "Created pod: p10", 100, "combined", &d);
  assert_false(d.drop);
  assert_null(d.repeat_name);
  assert_string_equal(d.message, "(combined from similar events): Created pod: p10");
  client_event_decision_done(&d);
  for (int i = 11; i <= 25; i++) {
    snprintf(msg, sizeof msg, "Created pod: p%d", i);
    decide(&ev, "rs1", msg, 101, "unused", &d);
    assert_false(d.drop);
    assert_string_equal(d.repeat_name, "combined");
    assert_int_equal(d.count, i - 9);
    assert_string_equal(d.message + strlen("(combined from similar events): "), msg);
    client_event_decision_done(&d);
  }
  /* 25 events of one source about one object: the rest are dropped... */
  for (int i = 26; i <= 40; i++) {
    snprintf(msg, sizeof msg, "Created pod: p%d", i);
    decide(&ev, "rs1", msg, 102, "unused", &d);
    assert_true(d.drop);
    client_event_decision_done(&d);
  }
  /* ... while another object is not affected ... */
  decide(&ev, "rs2", "Created pod: q1", 102, "q1", &d);
  assert_false(d.drop);
  assert_null(d.message);
  client_event_decision_done(&d);
  /* ... and one more token comes every five minutes. */
  decide(&ev, "rs1", "Created pod: p41", 102 + 290, "unused", &d);
  assert_true(d.drop);
  client_event_decision_done(&d);
  decide(&ev, "rs1", "Created pod: p42", 102 + 301, "unused", &d);
  assert_false(d.drop);
  assert_string_equal(d.repeat_name, "combined");
  assert_int_equal(d.count, 17);
  client_event_decision_done(&d);
  decide(&ev, "rs1", "Created pod: p43", 102 + 302, "unused", &d);
  assert_true(d.drop);
  client_event_decision_done(&d);

  /* The same event again within ten minutes patches the first; after ten minutes it is new again. */
  decide(&ev, "rs3", "Scaled up", 0, "s1", &d);
  assert_null(d.repeat_name);
  client_event_decision_done(&d);
  decide(&ev, "rs3", "Scaled up", 599, "s2", &d);
  assert_string_equal(d.repeat_name, "s1");
  assert_int_equal(d.count, 2);
  client_event_decision_done(&d);
  decide(&ev, "rs3", "Scaled up", 599 + 601, "s3", &d);
  assert_null(d.repeat_name);
  client_event_decision_done(&d);
  client_events_destroy(&ev);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_event_correlator),
      cmocka_unit_test(test_splitter_every_chunking),
      cmocka_unit_test(test_splitter_limits_and_stop),
      cmocka_unit_test(test_event_decode),
      cmocka_unit_test(test_build_path),
      cmocka_unit_test(test_error_from_status),
      cmocka_unit_test(test_map),
      cmocka_unit_test(test_requests),
      cmocka_unit_test(test_watch_stream),
      cmocka_unit_test(test_watch_refused_and_error_event),
      cmocka_unit_test(test_watch_cancel_is_prompt),
      cmocka_unit_test(test_connection_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
