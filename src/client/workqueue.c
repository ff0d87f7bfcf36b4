/* The work queue of workqueue.h. A FIFO ring of ready keys, two sets (dirty: queued or to be queued again;
 * processing: handed to a worker), a min-heap of delayed keys indexed by key so that a second add_after can
 * move a key earlier, and per-key failure counts for the back-off. Delayed keys become ready lazily: every
 * operation that looks at the ready queue first moves the due ones over, and waiting workers sleep exactly
 * until the earliest due time. */
#include "client/workqueue.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "base/log.h"
#include "client/client-internal.h"

typedef struct Delayed {
  uint64_t due_usec; /* monotonic */
  uint64_t seq;      /* ties keep insertion order */
  char *key;
} Delayed;

struct WorkQueue {
  char *name;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  /* ready keys, FIFO ring; each string owned by the ring */
  char **ring;
  size_t ring_cap, ring_head, ring_len;
  ClientMap dirty;      /* key → (void *)1 */
  ClientMap processing; /* key → (void *)1 */
  Delayed *heap;
  size_t heap_len, heap_cap;
  ClientMap waiting; /* key → heap index + 1 */
  uint64_t seq;
  ClientMap failures; /* key → (uintptr_t) count */
  uint64_t backoff_base, backoff_max;
  bool shutting_down;
};

WorkQueue *workqueue_new(const char *name) {
  WorkQueue *q = xzalloc(sizeof *q);
  q->name = xstrdup(name ? name : "");
  pthread_mutex_init(&q->lock, NULL);
  cond_init_monotonic(&q->cond);
  q->backoff_base = WORKQUEUE_BACKOFF_BASE_USEC;
  q->backoff_max = WORKQUEUE_BACKOFF_MAX_USEC;
  return q;
}

void workqueue_free(WorkQueue *q) {
  if (!q)
    return;
  for (size_t i = 0; i < q->ring_len; i++)
    free(q->ring[(q->ring_head + i) % q->ring_cap]);
  free(q->ring);
  for (size_t i = 0; i < q->heap_len; i++)
    free(q->heap[i].key);
  free(q->heap);
  client_map_clear(&q->dirty, NULL);
  client_map_clear(&q->processing, NULL);
  client_map_clear(&q->waiting, NULL);
  client_map_clear(&q->failures, NULL);
  pthread_cond_destroy(&q->cond);
  pthread_mutex_destroy(&q->lock);
  free(q->name);
  free(q);
}

void workqueue_set_backoff(WorkQueue *q, uint64_t base_usec, uint64_t max_usec) {
  pthread_mutex_lock(&q->lock);
  q->backoff_base = base_usec ? base_usec : 1;
  q->backoff_max = MAX(max_usec, q->backoff_base);
  pthread_mutex_unlock(&q->lock);
}

/* ---- ready ring ---- */

static void ring_push(WorkQueue *q, char *key) {
  if (q->ring_len == q->ring_cap) {
    size_t cap = q->ring_cap ? q->ring_cap * 2 : 16;
    char **r = xcalloc(cap, sizeof *r);
    for (size_t i = 0; i < q->ring_len; i++)
      r[i] = q->ring[(q->ring_head + i) % q->ring_cap];
    free(q->ring);
    q->ring = r;
    q->ring_cap = cap;
    q->ring_head = 0;
  }
  q->ring[(q->ring_head + q->ring_len) % q->ring_cap] = key;
  q->ring_len++;
}

static char *ring_pop(WorkQueue *q) {
  char *k = q->ring[q->ring_head];
  q->ring_head = (q->ring_head + 1) % q->ring_cap;
  q->ring_len--;
  return k;
}

/* client-go's Add: dedup through the dirty set; a key in processing waits for its done. */
static void add_locked(WorkQueue *q, const char *key) {
  if (q->shutting_down || client_map_contains(&q->dirty, key))
    return;
  client_map_put(&q->dirty, key, (void *)1);
  if (client_map_contains(&q->processing, key))
    return;
  ring_push(q, xstrdup(key));
  pthread_cond_signal(&q->cond);
}

/* ---- delay heap ---- */

static bool heap_less(const Delayed *a, const Delayed *b) {
  return a->due_usec < b->due_usec || (a->due_usec == b->due_usec && a->seq < b->seq);
}

static void heap_set(WorkQueue *q, size_t i, Delayed d) {
  q->heap[i] = d;
  client_map_put(&q->waiting, d.key, (void *)(uintptr_t)(i + 1));
}

static void sift_up(WorkQueue *q, size_t i) {
  Delayed d = q->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!heap_less(&d, &q->heap[parent]))
      break;
    heap_set(q, i, q->heap[parent]);
    i = parent;
  }
  heap_set(q, i, d);
}

static void sift_down(WorkQueue *q, size_t i) {
  Delayed d = q->heap[i];
  for (;;) {
    size_t l = 2 * i + 1, best = i;
    const Delayed *bd = &d;
    if (l < q->heap_len && heap_less(&q->heap[l], bd)) {
      best = l;
      bd = &q->heap[l];
    }
    if (l + 1 < q->heap_len && heap_less(&q->heap[l + 1], bd))
      best = l + 1;
    if (best == i)
      break;
    heap_set(q, i, q->heap[best]);
    i = best;
  }
  heap_set(q, i, d);
}

static void heap_pop_top(WorkQueue *q) {
  client_map_remove(&q->waiting, q->heap[0].key);
  free(q->heap[0].key);
  q->heap_len--;
  if (q->heap_len > 0) {
    q->heap[0] = q->heap[q->heap_len];
    sift_down(q, 0);
  }
}

/* Moves every due key to the ready queue. */
static void promote_due(WorkQueue *q, uint64_t now) {
  while (q->heap_len > 0 && q->heap[0].due_usec <= now) {
    _cleanup_free_ char *key = xstrdup(q->heap[0].key);
    heap_pop_top(q);
    add_locked(q, key);
  }
}

static void add_after_locked(WorkQueue *q, const char *key, uint64_t delay_usec) {
  if (q->shutting_down)
    return;
  if (delay_usec == 0) {
    add_locked(q, key);
    return;
  }
  uint64_t due = now_monotonic_usec() + delay_usec;
  uintptr_t at = (uintptr_t)client_map_get(&q->waiting, key);
  if (at) {
    if (due < q->heap[at - 1].due_usec) {
      q->heap[at - 1].due_usec = due;
      sift_up(q, at - 1);
      pthread_cond_broadcast(&q->cond);
    }
    return;
  }
  if (q->heap_len == q->heap_cap) {
    q->heap_cap = q->heap_cap ? q->heap_cap * 2 : 16;
    q->heap = xrealloc(q->heap, q->heap_cap * sizeof *q->heap);
  }
  q->heap[q->heap_len++] = (Delayed){.due_usec = due, .seq = q->seq++, .key = xstrdup(key)};
  sift_up(q, q->heap_len - 1);
  /* The earliest due time may have changed: sleeping workers recompute their deadline. */
  pthread_cond_broadcast(&q->cond);
}

/* ---- public ---- */

void workqueue_add(WorkQueue *q, const char *key) {
  pthread_mutex_lock(&q->lock);
  add_locked(q, key);
  pthread_mutex_unlock(&q->lock);
}

void workqueue_add_after(WorkQueue *q, const char *key, uint64_t delay_usec) {
  pthread_mutex_lock(&q->lock);
  add_after_locked(q, key, delay_usec);
  pthread_mutex_unlock(&q->lock);
}

uint64_t workqueue_add_rate_limited(WorkQueue *q, const char *key) {
  pthread_mutex_lock(&q->lock);
  uintptr_t n = (uintptr_t)client_map_get(&q->failures, key);
  client_map_put(&q->failures, key, (void *)(n + 1));
  uint64_t delay = q->backoff_base;
  for (uintptr_t i = 0; i < n && delay < q->backoff_max; i++)
    delay *= 2;
  delay = MIN(delay, q->backoff_max);
  add_after_locked(q, key, delay);
  pthread_mutex_unlock(&q->lock);
  log_trace("workqueue", "queue=%s key=%s requeues=%lu delay_ms=%llu", q->name, key, (unsigned long)n + 1,
            (unsigned long long)(delay / 1000));
  return delay;
}

void workqueue_forget(WorkQueue *q, const char *key) {
  pthread_mutex_lock(&q->lock);
  client_map_remove(&q->failures, key);
  pthread_mutex_unlock(&q->lock);
}

unsigned workqueue_num_requeues(WorkQueue *q, const char *key) {
  pthread_mutex_lock(&q->lock);
  uintptr_t n = (uintptr_t)client_map_get(&q->failures, key);
  pthread_mutex_unlock(&q->lock);
  return (unsigned)n;
}

static void deadline_to_timespec(uint64_t usec, struct timespec *ts) {
  ts->tv_sec = (time_t)(usec / 1000000u);
  ts->tv_nsec = (long)(usec % 1000000u) * 1000;
}

static int get_locked(WorkQueue *q, uint64_t deadline_usec, char **ret_key) {
  for (;;) {
    uint64_t now = now_monotonic_usec();
    promote_due(q, now);
    if (q->ring_len > 0) {
      char *key = ring_pop(q);
      client_map_put(&q->processing, key, (void *)1);
      client_map_remove(&q->dirty, key);
      *ret_key = key;
      return 0;
    }
    if (q->shutting_down)
      return -ESHUTDOWN;
    if (deadline_usec && now >= deadline_usec)
      return -ETIMEDOUT;
    uint64_t wake = deadline_usec;
    if (q->heap_len > 0 && (!wake || q->heap[0].due_usec < wake))
      wake = q->heap[0].due_usec;
    if (wake) {
      struct timespec ts;
      deadline_to_timespec(wake, &ts);
      pthread_cond_timedwait(&q->cond, &q->lock, &ts);
    } else {
      pthread_cond_wait(&q->cond, &q->lock);
    }
  }
}

int workqueue_get(WorkQueue *q, char **ret_key) {
  pthread_mutex_lock(&q->lock);
  int rc = get_locked(q, 0, ret_key);
  pthread_mutex_unlock(&q->lock);
  return rc;
}

int workqueue_get_timeout(WorkQueue *q, uint64_t timeout_usec, char **ret_key) {
  pthread_mutex_lock(&q->lock);
  int rc = get_locked(q, now_monotonic_usec() + MAX(timeout_usec, 1u), ret_key);
  pthread_mutex_unlock(&q->lock);
  return rc;
}

void workqueue_done(WorkQueue *q, const char *key) {
  pthread_mutex_lock(&q->lock);
  client_map_remove(&q->processing, key);
  if (client_map_contains(&q->dirty, key)) {
    ring_push(q, xstrdup(key));
    pthread_cond_signal(&q->cond);
  }
  pthread_mutex_unlock(&q->lock);
}

void workqueue_shutdown(WorkQueue *q) {
  pthread_mutex_lock(&q->lock);
  q->shutting_down = true;
  /* Delayed keys would only become ready after the workers left. */
  for (size_t i = 0; i < q->heap_len; i++)
    free(q->heap[i].key);
  q->heap_len = 0;
  client_map_clear(&q->waiting, NULL);
  pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->lock);
}

bool workqueue_shutting_down(WorkQueue *q) {
  pthread_mutex_lock(&q->lock);
  bool s = q->shutting_down;
  pthread_mutex_unlock(&q->lock);
  return s;
}

size_t workqueue_len(WorkQueue *q) {
  pthread_mutex_lock(&q->lock);
  promote_due(q, now_monotonic_usec());
  size_t n = q->ring_len;
  pthread_mutex_unlock(&q->lock);
  return n;
}
