/* A small standalone benchmark of the store (store.h): creates per second from 1, 4, 16 and 64 concurrent
 * writers under both sync modes (the API server writes from one thread per HTTP connection, so this is
 * what group commit is for), gets per second from one and four threads, and lists of 10,000 keys at the
 * current and at an older revision. Each figure is the median of several runs on a fresh database in a
 * temporary directory under /tmp, so numbers reflect that filesystem. Values are 2 KiB, about the size of a
 * pod's JSON. Usage: bench-store [runs] (default 5). */
#include <dirent.h>
#include <pthread.h>

#include "store/store.h"

#define VALUE_LEN 2048
#define LIST_KEYS 10000
#define GETS_PER_THREAD 100000
#define MAX_THREADS 64
/* Creates per measurement, split evenly between the writers; fewer under sync=full, where each commit
 * waits for the disk. */
#define CREATES_FULL 2000
#define CREATES_NORMAL LIST_KEYS

typedef struct Bench {
  char dir[64];
  char path[128];
  Store *store;
  char value[VALUE_LEN];
} Bench;

static void die(const char *what, const Error *err) {
  fprintf(stderr, "bench-store: %s: %s\n", what, err && err->message ? err->message : "failed");
  exit(1);
}

static void bench_open(Bench *b, StoreSync sync) {
  strcpy(b->dir, "/tmp/coracle-bench-store-XXXXXX");
  if (!mkdtemp(b->dir))
    die("mkdtemp", NULL);
  snprintf(b->path, sizeof b->path, "%s/state.db", b->dir);
  Error err = ERROR_INIT;
  StoreOptions opts = {.sync = sync};
  if (store_open(b->path, &opts, &b->store, &err) < 0)
    die("open", &err);
  memset(b->value, 'v', sizeof b->value);
}

static void bench_close(Bench *b) {
  store_close(b->store);
  DIR *d = opendir(b->dir);
  struct dirent *de;
  while (d && (de = readdir(d)))
    if (de->d_name[0] != '.') {
      _cleanup_free_ char *p = xasprintf("%s/%s", b->dir, de->d_name);
      unlink(p);
    }
  if (d)
    closedir(d);
  rmdir(b->dir);
}

typedef struct Worker {
  Bench *bench;
  int id;
  int n;
} Worker;

static void *create_main(void *p) {
  Worker *w = p;
  Error err = ERROR_INIT;
  for (int i = 0; i < w->n; i++) {
    char key[64];
    snprintf(key, sizeof key, "/registry/pods/ns%d/pod-%07d", w->id, i);
    if (store_create(w->bench->store, key, w->bench->value, VALUE_LEN, NULL, &err) < 0)
      die("create", &err);
  }
  return NULL;
}

static void *get_main(void *p) {
  Worker *w = p;
  Error err = ERROR_INIT;
  unsigned seed = (unsigned)w->id + 1;
  for (int i = 0; i < w->n; i++) {
    char key[64];
    snprintf(key, sizeof key, "/registry/pods/ns0/pod-%07d", rand_r(&seed) % LIST_KEYS);
    StoreKV kv = {0};
    if (store_get(w->bench->store, key, &kv, &err) < 0)
      die("get", &err);
    store_kv_done(&kv);
  }
  return NULL;
}

/* Runs fn on n_threads threads numbered from first_id, per_thread operations each; answers operations per
 * second. */
static double run_threads(Bench *b, void *(*fn)(void *), int n_threads, int per_thread, int first_id) {
  pthread_t t[MAX_THREADS];
  Worker w[MAX_THREADS];
  uint64_t start = now_monotonic_usec();
  for (int i = 0; i < n_threads; i++) {
    w[i] = (Worker){.bench = b, .id = first_id + i, .n = per_thread};
    if (pthread_create(&t[i], NULL, fn, &w[i]) != 0)
      die("pthread_create", NULL);
  }
  for (int i = 0; i < n_threads; i++)
    pthread_join(t[i], NULL);
  return (double)n_threads * per_thread * 1e6 / (double)(now_monotonic_usec() - start);
}

static double list_ms(Store *s, int64_t at_rev) {
  Error err = ERROR_INIT;
  StoreKVList l = {0};
  uint64_t start = now_monotonic_usec();
  if (store_list(s, "/registry/pods/ns0/", at_rev, NULL, 0, &l, &err) < 0)
    die("list", &err);
  double ms = (double)(now_monotonic_usec() - start) / 1000.0;
  if (l.n != LIST_KEYS)
    die("list length", NULL);
  store_kv_list_done(&l);
  return ms;
}

/* The writer counts measured; each count's threads write their own namespaces. */
static const int writer_counts[] = {1, 4, 16, 64};
#define N_WRITER_COUNTS ((int)ELEMENTSOF(writer_counts))

enum {
  M_CREATE_FULL,                                     /* one per writer count */
  M_CREATE_NORMAL = M_CREATE_FULL + N_WRITER_COUNTS, /* likewise */
  M_GET_1 = M_CREATE_NORMAL + N_WRITER_COUNTS,
  M_GET_4,
  M_LIST_CURRENT_FIRST,
  M_LIST_CURRENT,
  M_LIST_OLD,
  _M_MAX,
};

static const char *const metric_names[_M_MAX] = {
    [M_CREATE_FULL + 0] = "create/s sync=full 1 writer",
    [M_CREATE_FULL + 1] = "create/s sync=full 4 writers",
    [M_CREATE_FULL + 2] = "create/s sync=full 16 writers",
    [M_CREATE_FULL + 3] = "create/s sync=full 64 writers",
    [M_CREATE_NORMAL + 0] = "create/s sync=normal 1 writer",
    [M_CREATE_NORMAL + 1] = "create/s sync=normal 4 writers",
    [M_CREATE_NORMAL + 2] = "create/s sync=normal 16 writers",
    [M_CREATE_NORMAL + 3] = "create/s sync=normal 64 writers",
    [M_GET_1] = "get/s 1 thread",
    [M_GET_4] = "get/s 4 threads",
    [M_LIST_CURRENT_FIRST] = "list 10000 keys, first after writes (ms)",
    [M_LIST_CURRENT] = "list 10000 keys at current rev (ms)",
    [M_LIST_OLD] = "list 10000 keys at older rev (ms)",
};
_Static_assert(ELEMENTSOF(writer_counts) == 4, "metric_names lists four writer counts");

/* Measures creates/s for every writer count, total creates each; namespace 0 is written only by the first
 * (single-writer) measurement, so it ends up holding exactly total keys. */
static void run_creates(Bench *b, int total, double *m) {
  int first_id = 0;
  for (int i = 0; i < N_WRITER_COUNTS; i++) {
    int n = writer_counts[i];
    m[i] = run_threads(b, create_main, n, total / n, first_id);
    first_id += n;
  }
}

static void run_once(double m[_M_MAX]) {
  Bench b;
  bench_open(&b, STORE_SYNC_FULL);
  run_creates(&b, CREATES_FULL, &m[M_CREATE_FULL]);
  bench_close(&b);

  bench_open(&b, STORE_SYNC_NORMAL);
  /* ns0 gets LIST_KEYS keys, the data set for the reads below. */
  run_creates(&b, CREATES_NORMAL, &m[M_CREATE_NORMAL]);
  int64_t then = store_current_revision(b.store);
  /* Some history on the listed keys, so the older list really reconstructs from the log. */
  Error err = ERROR_INIT;
  for (int i = 0; i < LIST_KEYS; i += 10) {
    char key[64];
    snprintf(key, sizeof key, "/registry/pods/ns0/pod-%07d", i);
    if (store_update(b.store, key, "changed", 7, 0, NULL, &err) < 0)
      die("update", &err);
  }
  m[M_GET_1] = run_threads(&b, get_main, 1, GETS_PER_THREAD, 0);
  m[M_GET_4] = run_threads(&b, get_main, 4, GETS_PER_THREAD, 0);
  /* The first list after writes pays for page faults (fresh heap for ~20 MB of copies, the database
   * mapping redone after the file grew); repeats show the steady state, best of three. */
  m[M_LIST_CURRENT_FIRST] = list_ms(b.store, 0);
  m[M_LIST_CURRENT] = MIN(list_ms(b.store, 0), MIN(list_ms(b.store, 0), list_ms(b.store, 0)));
  m[M_LIST_OLD] = MIN(list_ms(b.store, then), MIN(list_ms(b.store, then), list_ms(b.store, then)));
  bench_close(&b);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 5;
  if (runs < 1 || runs > 100)
    runs = 5;
  double(*all)[_M_MAX] = xcalloc((size_t)runs, sizeof *all);
  for (int r = 0; r < runs; r++)
    run_once(all[r]);
  printf("median of %d runs (2 KiB values, /tmp)\n", runs);
  for (int m = 0; m < _M_MAX; m++) {
    double v[100];
    for (int r = 0; r < runs; r++)
      v[r] = all[r][m];
    qsort(v, (size_t)runs, sizeof v[0], cmp_double);
    printf("  %-42s %12.1f\n", metric_names[m], v[runs / 2]);
  }
  free(all);
  return 0;
}
