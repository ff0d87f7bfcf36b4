/* Pulling an image (see images.h):
 *
 *   1. resolve: GET the manifest by tag or digest from each endpoint in turn (mirrors, then the registry)
 *      until one has it; the endpoint that answered serves every later request of this pull;
 *   2. walk indexes down to this node's platform, storing every manifest met on the way;
 *   3. fetch the config and check it against the manifest and the platform;
 *   4. fetch and unpack the layers missing from the layer cache, a few at a time: each worker thread takes
 *      the next layer, downloads its blob into the content store (verified) and unpacks it (verified);
 *      the first failure cancels the others;
 *   5. record the image under its name.
 *
 * The whole pull holds the store's lock shared, so a concurrent `images rm` cannot collect blobs between
 * steps 4 and 5. Work is merged within a process: a pull of a name already being pulled waits for that
 * pull and shares its outcome, and a layer already being fetched by another pull is waited for. */
#include <errno.h>
#include <time.h>

#include "agent/images/images-internal.h"
#include "agent/images/reference.h"
#include "agent/images/registry-client.h"
#include "base/buf.h"
#include "base/log.h"

#define MAX_INDEX_DEPTH 4
#define BLOB_ATTEMPTS 3

typedef struct Pull {
  ImageService *s;
  RegistryClient *client;
  const ImageManifest *manifest;
  char **diff_ids;
  bool *skip;
  size_t next; /* next layer to take; atomic */
  int cancel;  /* atomic */
  pthread_mutex_t mu;
  int code; /* first failure, guarded by mu */
  Error err;
} Pull;

static bool retryable(int r) {
  return r == -EIO || r == -ETIMEDOUT || r == -EAGAIN || r == -ECONNREFUSED;
}

/* Downloads a blob unless it is stored already; transport failures are retried, a wrong digest is not (the
 * registry would serve the same bytes again). */
static int fetch_blob(ImageService *s, RegistryClient *client, const ImageDescriptor *d, const int *cancel,
                      Error *err) {
  if (content_blob_exists(s->content, d->digest, d->size))
    return 0;
  int r = 0;
  for (int attempt = 0; attempt < BLOB_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      log_debug("images", "retrying %s after: %s", d->digest, err && err->message ? err->message : "");
      struct timespec ts = {.tv_nsec = 200 * 1000 * 1000 * attempt};
      nanosleep(&ts, NULL);
    }
    if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED))
      return error_set(err, -ECANCELED, NULL, "cancelled");
    _cleanup_content_writer_ ContentWriter *w = NULL;
    if ((r = content_writer_open(s->content, d->digest, d->size, 0, &w, err)) < 0)
      return r;
    r = registry_client_get_blob(client, d->digest, w, err);
    if (r == 0)
      return content_writer_commit(w, NULL, err);
    if (!retryable(r))
      return r;
  }
  return r;
}

static int fetch_and_unpack(Pull *p, size_t i, Error *err) {
  const ImageDescriptor *d = &p->manifest->layers[i];
  uint64_t t0 = now_monotonic_usec();
  int r = fetch_blob(p->s, p->client, d, &p->cancel, err);
  if (r < 0)
    return error_wrap(err, "layer %s: ", d->digest);
  uint64_t t1 = now_monotonic_usec();
  if ((r = content_layer_unpack(p->s->content, d->digest, p->diff_ids[i], &p->cancel, err)) < 0)
    return error_wrap(err, "layer %s: ", d->digest);
  log_debug("images", "layer %s: %lld bytes fetched in %llu ms, unpacked in %llu ms", d->digest,
            (long long)d->size, (unsigned long long)(t1 - t0) / 1000,
            (unsigned long long)(now_monotonic_usec() - t1) / 1000);
  return 0;
}

/* A layer another pull of this process is already fetching is waited for, not fetched twice (images
 * started together often share their base layers). If that pull fails, this one tries itself. */
static int pull_layer(Pull *p, size_t i, Error *err) {
  _cleanup_free_ char *key = xasprintf("layer %s", p->diff_ids[i]);
  for (;;) {
    if (content_layer_exists(p->s->content, p->diff_ids[i]))
      return 0;
    if (__atomic_load_n(&p->cancel, __ATOMIC_RELAXED))
      return error_set(err, -ECANCELED, NULL, "cancelled");
    PullInFlight *f = NULL;
    int code = 0;
    if (inflight_begin(p->s, key, &f, &code, NULL) == 0)
      continue;
    int r = fetch_and_unpack(p, i, err);
    inflight_end(p->s, f, r, err);
    return r;
  }
}

static void *layer_worker(void *ud) {
  Pull *p = ud;
  for (;;) {
    if (__atomic_load_n(&p->cancel, __ATOMIC_RELAXED))
      break;
    size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
    if (i >= p->manifest->n_layers)
      break;
    if (p->skip[i])
      continue;
    Error e = ERROR_INIT;
    int r = pull_layer(p, i, &e);
    if (r < 0) {
      pthread_mutex_lock(&p->mu);
      if (p->code == 0 || (p->code == -ECANCELED && r != -ECANCELED)) {
        error_reset(&p->err);
        p->err = e;
        p->code = r;
      } else {
        error_reset(&e);
      }
      pthread_mutex_unlock(&p->mu);
      __atomic_store_n(&p->cancel, 1, __ATOMIC_RELAXED);
    }
  }
  return NULL;
}

static int pull_layers(ImageService *s, RegistryClient *client, const ImageManifest *m, char **diff_ids,
                       Error *err) {
  Pull p = {.s = s, .client = client, .manifest = m, .diff_ids = diff_ids};
  p.skip = xcalloc(m->n_layers + 1, sizeof(bool));
  size_t missing = 0;
  for (size_t i = 0; i < m->n_layers; i++) {
    /* A layer listed twice (empty layers often are) is fetched once. */
    for (size_t k = 0; k < i && !p.skip[i]; k++)
      p.skip[i] = streq(diff_ids[k], diff_ids[i]);
    if (!p.skip[i] && content_layer_exists(s->content, diff_ids[i]))
      p.skip[i] = true;
    missing += !p.skip[i];
  }
  pthread_mutex_init(&p.mu, NULL);
  /* The first failure stops the other downloads too, not only their unpacking. */
  registry_client_set_cancel(client, &p.cancel);
  size_t nthreads = MIN((size_t)s->parallel_layers, missing);
  pthread_t *threads = xcalloc(nthreads + 1, sizeof(pthread_t));
  size_t started = 0;
  for (size_t t = 1; t < nthreads; t++) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    if (pthread_create(&threads[started], &attr, layer_worker, &p) == 0)
      started++;
    pthread_attr_destroy(&attr);
  }
  if (missing > 0)
    layer_worker(&p); /* this thread works too */
  for (size_t t = 0; t < started; t++)
    pthread_join(threads[t], NULL);
  free(threads);
  registry_client_set_cancel(client, NULL);
  free(p.skip);
  pthread_mutex_destroy(&p.mu);
  if (p.code < 0) {
    int r = p.code;
    if (err) {
      error_reset(err);
      *err = p.err;
    } else {
      error_reset(&p.err);
    }
    return r;
  }
  return 0;
}

/* How much a failure tells the user: a server's refusal (credentials, TLS, errors) more than its "not
 * found" (a mirror may lack an image), and that more than no answer at all (on an air-gapped node the
 * registry itself is always unreachable). */
static int failure_rank(int code) {
  if (code == -ENOENT)
    return 1;
  if (code == -EHOSTUNREACH || code == -ECONNREFUSED || code == -ETIMEDOUT)
    return 0;
  return 2;
}

/* Finds an endpoint that has the reference. On failure reports the most telling endpoint's message
 * followed by what the others said. */
static int resolve(ImageService *s, const ImageRef *ref, const RegistryAuth *auth,
                   RegistryClient **ret_client, RegistryManifest *ret, Error *err) {
  RegistryEndpoint *eps = NULL;
  size_t n = 0;
  int r = registry_config_endpoints(s->registries, ref, auth, &eps, &n, err);
  if (r < 0)
    return r;
  const char *what = ref->digest ? ref->digest : ref->tag;
  int *codes = xcalloc(n, sizeof(int));
  char **msgs = xcalloc(n + 1, sizeof(char *));
  size_t best = 0;
  for (size_t i = 0; i < n; i++) {
    RegistryClient *client = registry_client_new(&eps[i], s->user_agent, NULL);
    Error e = ERROR_INIT;
    RegistryManifest m = {0};
    r = registry_client_get_manifest(client, what, &m, &e);
    if (r == 0) {
      log_debug("images", "%s/%s:%s resolved at %s to %s", ref->domain, ref->path, what, eps[i].url,
                m.digest);
      *ret_client = client;
      *ret = m;
      break;
    }
    log_debug("images", "%s at %s: %s", what, eps[i].url, e.message ? e.message : "");
    registry_client_free(client);
    codes[i] = r;
    msgs[i] = xstrdup(e.message ? e.message : "failed");
    error_reset(&e);
    if (failure_rank(r) > failure_rank(codes[best]))
      best = i;
  }
  if (r < 0) {
    Buf b = BUF_INIT;
    buf_puts(&b, msgs[best]);
    for (size_t i = 0; i < n; i++) {
      if (i == best)
        continue;
      buf_printf(&b, "%s%s: %s", b.len > strlen(msgs[best]) ? "; " : " (also tried ", eps[i].url, msgs[i]);
    }
    if (n > 1)
      buf_putc(&b, ')');
    r = error_set(err, codes[best], NULL, "%s", b.data);
    buf_free(&b);
  }
  for (size_t i = 0; i < n; i++)
    free(msgs[i]);
  free(msgs);
  free(codes);
  registry_endpoints_free(eps, n);
  return r;
}

static int get_manifest_blob(ImageService *s, RegistryClient *client, const ImageDescriptor *d,
                             RegistryManifest *ret, Error *err) {
  if (d->size > IMAGE_MANIFEST_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "manifest %s is larger than %d bytes", d->digest,
                     IMAGE_MANIFEST_MAX_BYTES);
  RegistryManifest m = {0};
  if (content_blob_exists(s->content, d->digest, d->size)) {
    int r = content_blob_read(s->content, d->digest, IMAGE_MANIFEST_MAX_BYTES, &m.data, &m.len, err);
    if (r < 0)
      return r;
    memcpy(m.digest, d->digest, CONTENT_DIGEST_SIZE);
    m.content_type = d->media_type ? xstrdup(d->media_type) : NULL;
    *ret = m;
    return 0;
  }
  int r = registry_client_get_manifest(client, d->digest, &m, err);
  if (r < 0)
    return r;
  if ((int64_t)m.len != d->size) {
    registry_manifest_done(&m);
    return error_set(err, -EBADMSG, NULL, "manifest %s: size %lld in the index, %zu served", d->digest,
                     (long long)d->size, m.len);
  }
  *ret = m;
  return 0;
}

static int do_pull(ImageService *s, const char *refstr, const RegistryAuth *auth, ImageInfo **ret,
                   Error *err) {
  _cleanup_image_ref_ ImageRef ref = {0};
  int r = image_ref_parse(refstr, &ref, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *name = image_ref_record_name(&ref);
  if (ref.digest) {
    /* Content-addressed and complete: nothing to ask a registry. It may be stored under a tag only; the
     * digest name is recorded too so that removing the tag keeps it. */
    _cleanup_image_info_ ImageInfo *have = NULL;
    if (image_lookup(s, name, &have, NULL) == 0) {
      if (!streq(have->name, name)) {
        free(have->name);
        have->name = xstrdup(name);
        free(have->tag);
        have->tag = NULL;
        if ((r = image_db_put(s, have, err)) < 0)
          return r;
      }
      if (ret)
        *ret = TAKE_PTR(have);
      return 0;
    }
  }

  _cleanup_close_ int lock = content_store_lock(s->content, false, err);
  if (lock < 0)
    return lock;
  RegistryClient *client = NULL;
  RegistryManifest top = {0};
  if ((r = resolve(s, &ref, auth, &client, &top, err)) < 0)
    return r;
  char repo_digest[CONTENT_DIGEST_SIZE];
  memcpy(repo_digest, top.digest, CONTENT_DIGEST_SIZE);
  RegistryManifest cur = top;
  ImageManifest m = {0};
  for (int depth = 0;; depth++) {
    if ((r = image_manifest_parse(cur.data, cur.len, cur.content_type, &m, err)) < 0 ||
        (r = content_blob_put(s->content, cur.data, cur.len, cur.digest, NULL, err)) < 0)
      break;
    if (!image_manifest_kind_is_index(m.kind))
      break;
    size_t pick = 0;
    if (depth >= MAX_INDEX_DEPTH) {
      r = error_set(err, -ELOOP, NULL, "image indexes nested deeper than %d", MAX_INDEX_DEPTH);
      break;
    }
    if ((r = image_manifest_select(&m, s->os, s->architecture, s->variant, &pick, err)) < 0)
      break;
    RegistryManifest next = {0};
    r = get_manifest_blob(s, client, &m.manifests[pick], &next, err);
    image_manifest_done(&m);
    if (r < 0)
      break;
    registry_manifest_done(&cur);
    cur = next;
  }
  int64_t manifest_size = (int64_t)cur.len;
  char manifest_digest[CONTENT_DIGEST_SIZE];
  memcpy(manifest_digest, cur.digest, CONTENT_DIGEST_SIZE);
  registry_manifest_done(&cur);

  ImageConfig cfg = {0};
  if (r >= 0 && (r = fetch_blob(s, client, &m.config, NULL, err)) < 0)
    error_wrap(err, "config %s: ", m.config.digest);
  if (r >= 0) {
    _cleanup_free_ char *data = NULL;
    size_t len = 0;
    if ((r = content_blob_read(s->content, m.config.digest, IMAGE_CONFIG_MAX_BYTES, &data, &len, err)) >= 0 &&
        (r = image_config_parse(data, len, &cfg, err)) >= 0)
      r = image_check_config(s, &m, &cfg, err);
  }
  if (r >= 0)
    r = pull_layers(s, client, &m, cfg.diff_ids, err);
  if (r >= 0)
    r = image_commit(s, name, repo_digest, manifest_digest, manifest_size, &m, ret, err);
  image_config_done(&cfg);
  image_manifest_done(&m);
  registry_client_free(client);
  return r;
}

static void inflight_release(PullInFlight *f) {
  if (--f->waiters > 0)
    return;
  pthread_cond_destroy(&f->cond);
  free(f->key);
  free(f->message);
  free(f);
}

int inflight_begin(ImageService *s, const char *key, PullInFlight **ret, int *ret_code, Error *err) {
  pthread_mutex_lock(&s->mu);
  PullInFlight *f = s->inflight;
  while (f && !streq(f->key, key))
    f = f->next;
  if (f) {
    f->waiters++;
    while (!f->done)
      pthread_cond_wait(&f->cond, &s->mu);
    *ret_code = f->code;
    if (f->code < 0)
      error_set(err, f->code, NULL, "%s", f->message ? f->message : "failed");
    inflight_release(f);
    pthread_mutex_unlock(&s->mu);
    return 0;
  }
  f = xzalloc(sizeof *f);
  f->key = xstrdup(key);
  f->waiters = 1;
  pthread_cond_init(&f->cond, NULL);
  f->next = s->inflight;
  s->inflight = f;
  pthread_mutex_unlock(&s->mu);
  *ret = f;
  return 1;
}

void inflight_end(ImageService *s, PullInFlight *f, int code, const Error *err) {
  pthread_mutex_lock(&s->mu);
  for (PullInFlight **pp = &s->inflight; *pp; pp = &(*pp)->next)
    if (*pp == f) {
      *pp = f->next;
      break;
    }
  f->done = true;
  f->code = code;
  f->message = code < 0 && err && err->message ? xstrdup(err->message) : NULL;
  pthread_cond_broadcast(&f->cond);
  inflight_release(f);
  pthread_mutex_unlock(&s->mu);
}

int image_pull(ImageService *s, const char *refstr, const RegistryAuth *auth, ImageInfo **ret, Error *err) {
  _cleanup_image_ref_ ImageRef ref = {0};
  int r = image_ref_parse(refstr, &ref, err);
  if (r < 0)
    return r; /* InvalidImageName, not a pull failure */
  _cleanup_free_ char *name = image_ref_record_name(&ref);
  _cleanup_free_ char *key = xasprintf("image %s", name);
  PullInFlight *f = NULL;
  int code = 0;
  if (inflight_begin(s, key, &f, &code, err) == 0) {
    if (code < 0)
      return code;
    return ret ? image_lookup(s, name, ret, err) : 0;
  }
  uint64_t t0 = now_monotonic_usec();
  r = do_pull(s, refstr, auth, ret, err);
  if (r < 0 && err)
    error_wrap(err, "failed to pull image \"%s\": ", refstr);
  else if (r >= 0)
    log_debug("images", "pulled %s in %llu ms", name, (unsigned long long)(now_monotonic_usec() - t0) / 1000);
  inflight_end(s, f, r, err);
  return r;
}
