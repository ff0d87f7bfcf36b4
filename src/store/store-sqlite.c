/* The SQLite backend of the revisioned store (see store.h), in the spirit of k3s's kine but with its own
 * schema. Three tables live in one WAL-mode database file:
 *   meta(name TEXT PRIMARY KEY, value INTEGER)  -- 'rev' (current revision) and 'compact' (compacted one)
 *   log(rev INTEGER PRIMARY KEY, key TEXT, type INTEGER, create_rev, prev_rev, value BLOB, prev_value BLOB)
 *       one row per write, type = StoreEventType; index log_key(key, rev, type) serves historical lists;
 *       prev_value is NULL (the previous value is the row at prev_rev) except in rows written by older
 *       versions, which still read as they were
 *   current(key TEXT PRIMARY KEY, create_rev, mod_rev) WITHOUT ROWID  -- the live keys, for get/list; a
 *       key's value is its log row at mod_rev (compaction never removes a key's newest row), so a write
 *       stores its value once and touches one small row here (schema version 2; version 1 kept the value
 *       here too and is migrated when opened)
 * The file is owned by one process (a flock on "<path>-lock"), which is what lets the current revision be
 * cached in memory. Writes go through a single write connection under the store's write mutex. Reads go
 * through a small pool of read connections, so gets and lists run in parallel with each other and with
 * writes (WAL snapshots); a list or an event scan reads its revisions and rows inside one read transaction,
 * hence from one snapshot. Compaction to R keeps, for each key, its newest row at or below R unless that row
 * is a delete, so the state at any revision >= R can still be rebuilt from the log: listing at R itself is
 * allowed (as in etcd), below R is -ENODATA. Keys are compared as bytes (TEXT with the BINARY collation,
 * range bounds instead of LIKE, whose '%' and '_' would be wildcards).
 *
 * Group commit. A sync costs more than the rest of a write, so concurrent writers share transactions: each
 * writer queues its write (a WriteReq on its stack) and sleeps; the first writer to find no commit in
 * progress becomes the leader, takes the oldest queued writes (at most STORE_BATCH_MAX_WRITES or
 * STORE_BATCH_MAX_BYTES), runs them in one BEGIN IMMEDIATE..COMMIT under the write mutex, and wakes their
 * writers; writes arriving meanwhile queue for the next batch, whose leader is the writer then heading the
 * queue. Nothing waits for a batch to fill: a lone writer commits at once, as it did before batching.
 * Each writer sleeps on a mutex and condition of its own, so that waking a batch neither holds the queue's
 * lock nor has the woken writers queue up for it (each wake is one signal, taken by one thread).
 * Inside a batch each write is checked (create-if-absent, expected revision) against the state left by the
 * writes before it and, if accepted, takes the next revision; a refused write changes nothing, consumes no
 * revision and leaves the others alone. Only after COMMIT succeeded are the in-memory revision advanced and
 * the commit hook called, once per write, in revision order, with the write mutex still held, so watchers
 * see events in order; the writers return after that. If a statement or the COMMIT fails, the batch is
 * rolled back and every write in it fails with that error, refused ones too (their check saw writes that
 * did not happen). */
#include "store/store.h"
#include "store/store-internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/file.h>

#include "base/log.h"

#define STORE_KEY_MAX 4096
#define STORE_VALUE_MAX (16u << 20)
/* Enough for every HTTP worker of the API server to read at once; opened lazily. Overridable so the
 * benchmark can compare with a single shared read connection. */
#ifndef STORE_READ_CONNS_MAX
#define STORE_READ_CONNS_MAX 16
#endif
#define STORE_BUSY_TIMEOUT_MS 5000
/* A group commit takes at most this many queued writes, or this many bytes of their keys and values (the
 * oldest write is taken whatever its size): enough to amortise a sync over a burst of every HTTP worker's
 * writes, while one batch still holds the write lock, and the hook's callers wait, only milliseconds. */
#define STORE_BATCH_MAX_WRITES 256
#define STORE_BATCH_MAX_BYTES (4u << 20)
/* Compaction deletes at most this many revisions per transaction so writers are not stalled behind it. */
#define STORE_COMPACT_BATCH 10000
#define STORE_SCHEMA_VERSION 2
#define STORE_MMAP_SIZE 1073741824
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* The event type is persisted in log.type: these values are part of the file format. */
_Static_assert(STORE_EVENT_CREATE == 0 && STORE_EVENT_UPDATE == 1 && STORE_EVENT_DELETE == 2,
               "log.type stores StoreEventType values");

/* The current table's definition, for a new file and for the migration from version 1. */
#define CURRENT_COLUMNS                                                                                      \
  "(key TEXT PRIMARY KEY, create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL) WITHOUT ROWID"
/* A live key's value and revisions. CROSS JOIN keeps current as the outer table: the key first, then its
 * value by its revision (lists do the same over a range of keys). */
#define GET_CURRENT_SQL                                                                                      \
  "SELECT l.value, c.create_rev, c.mod_rev FROM current c CROSS JOIN log l ON l.rev = c.mod_rev"             \
  " WHERE c.key = ?1"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS log (rev INTEGER PRIMARY KEY, key TEXT NOT NULL, type INTEGER NOT NULL,"
    " create_rev INTEGER NOT NULL, prev_rev INTEGER NOT NULL, value BLOB, prev_value BLOB);"
    "CREATE INDEX IF NOT EXISTS log_key ON log (key, rev, type);"
    "CREATE TABLE IF NOT EXISTS current " CURRENT_COLUMNS ";"
    "INSERT OR IGNORE INTO meta (name, value) VALUES ('rev', 0), ('compact', 0);";

/* Version 1 to 2: the current table loses its copy of each value. A live key's newest log row is kept by
 * compaction, so it is there; were one missing, it is restored from the value version 1 kept. */
static const char migrate_v1_sql[] =
    "INSERT INTO log (rev, key, type, create_rev, prev_rev, value)"
    " SELECT c.mod_rev, c.key, CASE WHEN c.mod_rev = c.create_rev THEN 0 ELSE 1 END, c.create_rev, 0, c.value"
    " FROM current c WHERE NOT EXISTS (SELECT 1 FROM log l WHERE l.rev = c.mod_rev);"
    "CREATE TABLE current_v2 " CURRENT_COLUMNS ";"
    "INSERT INTO current_v2 (key, create_rev, mod_rev) SELECT key, create_rev, mod_rev FROM current;"
    "DROP TABLE current;"
    "ALTER TABLE current_v2 RENAME TO current;";

typedef enum WriteStmt {
  W_BEGIN,
  W_COMMIT,
  W_ROLLBACK,
  W_GET,
  W_INSERT_LOG,
  W_INSERT_CURRENT,
  W_UPDATE_CURRENT,
  W_DELETE_CURRENT,
  W_SET_META,
  W_COMPACT_SUPERSEDED,
  W_COMPACT_TOMBSTONES,
  _W_MAX,
} WriteStmt;

static const char *const write_sql[_W_MAX] = {
    [W_BEGIN] = "BEGIN IMMEDIATE",
    [W_COMMIT] = "COMMIT",
    [W_ROLLBACK] = "ROLLBACK",
    [W_GET] = GET_CURRENT_SQL,
    [W_INSERT_LOG] = "INSERT INTO log (rev, key, type, create_rev, prev_rev, value)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [W_INSERT_CURRENT] = "INSERT INTO current (key, create_rev, mod_rev) VALUES (?1, ?2, ?3)",
    [W_UPDATE_CURRENT] = "UPDATE current SET mod_rev = ?2 WHERE key = ?1",
    [W_DELETE_CURRENT] = "DELETE FROM current WHERE key = ?1",
    [W_SET_META] = "UPDATE meta SET value = ?2 WHERE name = ?1",
    /* prev_rev of an update or delete is the rev of the key's previous row, so the rows superseded by
     * the batch (lo, hi] are exactly the prev_revs found in it; this needs no scan of the key index. */
    [W_COMPACT_SUPERSEDED] = "DELETE FROM log WHERE rev IN"
                             " (SELECT prev_rev FROM log WHERE rev > ?1 AND rev <= ?2 AND prev_rev > 0)",
    [W_COMPACT_TOMBSTONES] = "DELETE FROM log WHERE rev > ?1 AND rev <= ?2 AND type = 2",
};

typedef enum ReadStmt {
  R_BEGIN,
  R_END,
  R_META,
  R_GET,
  R_LIST_CURRENT,
  R_COUNT_CURRENT,
  R_LIST_AT,
  R_LOG_ROW,
  R_EVENTS,
  _R_MAX,
} ReadStmt;

static const char *const read_sql[_R_MAX] = {
    [R_BEGIN] = "BEGIN",
    [R_END] = "COMMIT",
    [R_META] =
        "SELECT (SELECT value FROM meta WHERE name = 'rev'), (SELECT value FROM meta WHERE name = 'compact')",
    [R_GET] = GET_CURRENT_SQL,
    [R_LIST_CURRENT] = "SELECT c.key, l.value, c.create_rev, c.mod_rev FROM current c CROSS JOIN log l"
                       " ON l.rev = c.mod_rev WHERE c.key >= ?1 AND c.key < ?2 ORDER BY c.key",
    [R_COUNT_CURRENT] = "SELECT count(*) FROM current WHERE key > ?1 AND key < ?2",
    /* SQLite's bare-column rule gives the type of the max(rev) row; the index covers the query, so values
     * are only read (R_LOG_ROW) for rows that are returned. */
    [R_LIST_AT] = "SELECT key, max(rev), type FROM log WHERE key >= ?1 AND key < ?2 AND rev <= ?3"
                  " GROUP BY key ORDER BY key",
    [R_LOG_ROW] = "SELECT create_rev, value FROM log WHERE rev = ?1",
    /* The unary + keeps the planner on the rev range: watchers resume from recent revisions, where a scan
     * of the key index would read the whole prefix's history. */
    /* An event's previous value is its predecessor's row (prev_rev), which compaction keeps as long as the
     * event itself is kept; rows written before that rule carry it in prev_value. */
    [R_EVENTS] = "SELECT l.rev, l.key, l.type, l.create_rev, l.prev_rev, l.value,"
                 " coalesce(l.prev_value, p.value) FROM log l LEFT JOIN log p"
                 " ON l.prev_value IS NULL AND l.prev_rev > 0 AND p.rev = l.prev_rev"
                 " WHERE l.rev > ?1 AND +l.key >= ?2 AND +l.key < ?3 ORDER BY l.rev",
};

typedef struct ReadConn ReadConn;
struct ReadConn {
  Store *store;
  sqlite3 *db;
  sqlite3_stmt *stmt[_R_MAX];
  ReadConn *next;
};

/* One write waiting for, or going through, a group commit. It lives on its writer's stack and the writer
 * sleeps until done is set, so the leader uses it, and the writer's Error, in place. */
typedef struct WriteReq WriteReq;
struct WriteReq {
  StoreEvent ev; /* type, key, value and len from the writer; the rest filled in by the batch */
  int64_t expected_rev;
  Error *err;
  char *prev_buf; /* owns ev.prev_value */
  int result;     /* 0, or why the write was refused or failed */
  WriteReq *next; /* guarded by queue_lock */
  /* Guarded by lock: done is set by the leader that committed the write (or refused it); lead when the
   * write heads the queue as a batch ends, making its writer the next leader. wake is signalled then. */
  pthread_mutex_t lock;
  pthread_cond_t wake;
  bool done, lead;
};

struct Store {
  char *path;
  int lock_fd;

  /* queue_lock guards the queue of writes waiting for the next group commit, n_queued (its length) and
   * leader (a group commit is being run; its writes are off the queue). */
  pthread_mutex_t queue_lock;
  WriteReq *queue_head, *queue_tail;
  size_t n_queued;
  bool leader;

  /* write_lock guards db, wstmt, hook and hook_userdata, and serialises every change of rev and
   * compacted (which are also read without the lock, atomically). Taken after queue_lock is released. */
  pthread_mutex_t write_lock;
  sqlite3 *db;
  sqlite3_stmt *wstmt[_W_MAX];
  int64_t rev;
  int64_t compacted;
  store_event_cb hook;
  void *hook_userdata;

  /* pool_lock guards free_conns and n_conns; pool_cond signals a returned connection. */
  pthread_mutex_t pool_lock;
  pthread_cond_t pool_cond;
  ReadConn *free_conns;
  size_t n_conns;
};

static const char *const event_type_table[_STORE_EVENT_MAX] = {
    [STORE_EVENT_CREATE] = "CREATE",
    [STORE_EVENT_UPDATE] = "UPDATE",
    [STORE_EVENT_DELETE] = "DELETE",
};

const char *store_event_type_to_string(StoreEventType t) {
  return t >= 0 && t < _STORE_EVENT_MAX ? event_type_table[t] : NULL;
}

static const char *const sync_table[_STORE_SYNC_MAX] = {
    [STORE_SYNC_FULL] = "full",
    [STORE_SYNC_NORMAL] = "normal",
};

const char *store_sync_to_string(StoreSync s) {
  return s >= 0 && s < _STORE_SYNC_MAX ? sync_table[s] : NULL;
}

StoreSync store_sync_from_string(const char *s) {
  for (int i = 0; s && i < _STORE_SYNC_MAX; i++)
    if (streq(s, sync_table[i]))
      return (StoreSync)i;
  return STORE_SYNC_INVALID;
}

static int sql_error(sqlite3 *db, Error *err, const char *what) {
  return error_set(err, -EIO, NULL, "store: %s: %s", what, sqlite3_errmsg(db));
}

static void stmt_resetp(sqlite3_stmt **st) {
  if (*st) {
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
  }
}
#define _cleanup_stmt_ _cleanup_(stmt_resetp)

/* Runs a statement that returns no rows and resets it. */
static int stmt_exec(sqlite3 *db, sqlite3_stmt *st, Error *err, const char *what) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return sql_error(db, err, what);
  return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t len) {
  sqlite3_bind_text(st, i, s, (int)len, SQLITE_STATIC);
}

/* NULL binds SQL NULL; an empty value must stay a zero-length blob, hence the "" for len 0. */
static void bind_value(sqlite3_stmt *st, int i, const void *p, size_t len) {
  if (!p)
    sqlite3_bind_null(st, i);
  else
    sqlite3_bind_blob64(st, i, len ? p : "", len, SQLITE_STATIC);
}

/* sqlite3_column_blob() answers NULL for a zero-length blob, which must not read as "no value". */
static const char *column_value(sqlite3_stmt *st, int i, size_t *ret_len) {
  if (sqlite3_column_type(st, i) == SQLITE_NULL) {
    *ret_len = 0;
    return NULL;
  }
  const char *p = sqlite3_column_blob(st, i);
  *ret_len = (size_t)sqlite3_column_bytes(st, i);
  return p ? p : "";
}

static char *memdup_nul(const char *p, size_t len) {
  char *c = xmalloc(len + 1);
  if (len)
    memcpy(c, p, len);
  c[len] = 0;
  return c;
}

/* The smallest key greater than every key starting with prefix. When the prefix is empty or all 0xff no
 * such string exists; SQLite orders every TEXT before every BLOB, so an empty blob is then the bound. */
typedef struct Bound {
  char buf[STORE_KEY_MAX + 1];
  size_t len;
  bool blob;
} Bound;

static void prefix_upper_bound(const char *prefix, Bound *ret) {
  size_t n = strlen(prefix);
  while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
    n--;
  ret->blob = n == 0;
  ret->len = n;
  if (n == 0)
    return;
  memcpy(ret->buf, prefix, n);
  ret->buf[n - 1] = (char)((unsigned char)ret->buf[n - 1] + 1);
  ret->buf[n] = 0;
}

static void bind_upper(sqlite3_stmt *st, int i, const Bound *b) {
  if (b->blob)
    sqlite3_bind_zeroblob(st, i, 0);
  else
    bind_text(st, i, b->buf, b->len);
}

static int check_key(const char *key, const char *what, Error *err) {
  if (isempty(key))
    return error_set(err, -EINVAL, NULL, "store: %s must not be empty", what);
  if (strnlen(key, STORE_KEY_MAX + 1) > STORE_KEY_MAX)
    return error_set(err, -E2BIG, NULL, "store: %s longer than %d bytes", what, STORE_KEY_MAX);
  return 0;
}

static int check_value(const void *value, size_t len, Error *err) {
  if (!value && len > 0)
    return error_set(err, -EINVAL, NULL, "store: value is NULL");
  if (len > STORE_VALUE_MAX)
    return error_set(err, -E2BIG, NULL, "store: value of %zu bytes is larger than %u", len, STORE_VALUE_MAX);
  return 0;
}

static int db_exec(sqlite3 *db, const char *sql, Error *err) {
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sql_error(db, err, sql);
  return 0;
}

static int db_open(const char *path, sqlite3 **ret_db, Error *err) {
  sqlite3 *db = NULL;
  /* NOMUTEX: each connection is used by one thread at a time, under the store's own locks. */
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    int r = error_set(err, -EIO, NULL, "store: opening %s: %s", path,
                      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return r;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
  /* Reading pages through a mapping instead of pread into each connection's private cache doubled get and
   * list throughput in bench-store; the mapping is address space, not memory. */
  int r = db_exec(db, "PRAGMA mmap_size = " STRINGIFY(STORE_MMAP_SIZE), err);
  if (r < 0) {
    sqlite3_close(db);
    return r;
  }
  *ret_db = db;
  return 0;
}

/* Runs a statement that answers one integer (a pragma, a meta lookup). */
static int db_query_int(sqlite3 *db, const char *sql, int64_t *ret, Error *err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    return sql_error(db, err, sql);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *ret = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW)
    return sql_error(db, err, sql);
  return 0;
}

static int prepare_all(sqlite3 *db, const char *const *sql, sqlite3_stmt **stmts, size_t n, Error *err) {
  for (size_t i = 0; i < n; i++)
    if (sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &stmts[i], NULL) != SQLITE_OK)
      return sql_error(db, err, sql[i]);
  return 0;
}

static void finalize_all(sqlite3_stmt **stmts, size_t n) {
  for (size_t i = 0; i < n; i++) {
    sqlite3_finalize(stmts[i]);
    stmts[i] = NULL;
  }
}

static void read_conn_free(ReadConn *c) {
  if (!c)
    return;
  finalize_all(c->stmt, _R_MAX);
  sqlite3_close(c->db);
  free(c);
}

static int read_conn_new(Store *s, ReadConn **ret, Error *err) {
  ReadConn *c = xzalloc(sizeof *c);
  c->store = s;
  int r = db_open(s->path, &c->db, err);
  if (r >= 0)
    r = db_exec(c->db, "PRAGMA query_only = 1", err);
  if (r >= 0)
    r = prepare_all(c->db, read_sql, c->stmt, _R_MAX, err);
  if (r < 0) {
    read_conn_free(c);
    return r;
  }
  *ret = c;
  return 0;
}

static int read_conn_acquire(Store *s, ReadConn **ret, Error *err) {
  pthread_mutex_lock(&s->pool_lock);
  while (!s->free_conns && s->n_conns >= STORE_READ_CONNS_MAX)
    pthread_cond_wait(&s->pool_cond, &s->pool_lock);
  ReadConn *c = s->free_conns;
  if (c)
    s->free_conns = c->next;
  else
    s->n_conns++; /* reserve the slot, open outside the lock */
  pthread_mutex_unlock(&s->pool_lock);
  if (c) {
    *ret = c;
    return 0;
  }
  int r = read_conn_new(s, &c, err);
  if (r < 0) {
    pthread_mutex_lock(&s->pool_lock);
    s->n_conns--;
    pthread_cond_signal(&s->pool_cond);
    pthread_mutex_unlock(&s->pool_lock);
    return r;
  }
  *ret = c;
  return 0;
}

static void read_conn_releasep(ReadConn **cp) {
  ReadConn *c = *cp;
  if (!c)
    return;
  /* An early return may leave a read transaction open; it would pin an old snapshot and keep the WAL
   * from being checkpointed. */
  if (!sqlite3_get_autocommit(c->db))
    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
  Store *s = c->store;
  pthread_mutex_lock(&s->pool_lock);
  c->next = s->free_conns;
  s->free_conns = c;
  pthread_cond_signal(&s->pool_cond);
  pthread_mutex_unlock(&s->pool_lock);
}
#define _cleanup_read_conn_ _cleanup_(read_conn_releasep)

static int64_t atomic_get(const int64_t *p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void atomic_put(int64_t *p, int64_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static int take_lock_file(const char *path, int *ret_fd, Error *err) {
  _cleanup_free_ char *lock_path = xasprintf("%s-lock", path);
  _cleanup_close_ int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return error_set(err, -errno, NULL, "store: opening %s: %m", lock_path);
  if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
    if (errno == EWOULDBLOCK)
      return error_set(err, -EBUSY, NULL, "store: %s is in use by another store", path);
    return error_set(err, -errno, NULL, "store: locking %s: %m", lock_path);
  }
  *ret_fd = TAKE_FD(fd);
  return 0;
}

static int open_write_conn(Store *s, const StoreOptions *opts, Error *err) {
  int r = db_open(s->path, &s->db, err);
  if (r < 0)
    return r;
  /* journal_mode answers the mode it ended up in; a file that cannot do WAL is refused, as the read pool
   * and the durability promises rely on it. */
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
    return sql_error(s->db, err, "setting WAL mode");
  int rc = sqlite3_step(st);
  bool wal = rc == SQLITE_ROW && sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
  sqlite3_finalize(st);
  if (!wal)
    return error_set(err, -EIO, NULL, "store: %s: cannot use WAL journal mode", s->path);
  r = db_exec(s->db,
              opts && opts->sync == STORE_SYNC_NORMAL ? "PRAGMA synchronous = NORMAL"
                                                      : "PRAGMA synchronous = FULL",
              err);
  if (r < 0)
    return r;
  /* After a burst of large writes the WAL is truncated back to this size at the next checkpoint. */
  r = db_exec(s->db, "PRAGMA journal_size_limit = 67108864", err);
  if (r < 0)
    return r;

  int64_t version = 0;
  r = db_query_int(s->db, "PRAGMA user_version", &version, err);
  if (r < 0)
    return r;
  if (version > STORE_SCHEMA_VERSION)
    return error_set(err, -EPROTONOSUPPORT, NULL, "store: %s has schema version %" PRId64 ", newer than %d",
                     s->path, version, STORE_SCHEMA_VERSION);
  if (version < STORE_SCHEMA_VERSION) {
    /* A new file gets the schema; one of version 1 is migrated, in one transaction either way. */
    _cleanup_free_ char *sql = xasprintf("BEGIN IMMEDIATE; %s PRAGMA user_version = %d; COMMIT;",
                                         version == 1 ? migrate_v1_sql : schema_sql, STORE_SCHEMA_VERSION);
    r = db_exec(s->db, sql, err);
    if (r < 0) {
      sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
      return r;
    }
  }

  r = db_query_int(s->db, "SELECT value FROM meta WHERE name = 'rev'", &s->rev, err);
  if (r >= 0)
    r = db_query_int(s->db, "SELECT value FROM meta WHERE name = 'compact'", &s->compacted, err);
  if (r >= 0)
    r = prepare_all(s->db, write_sql, s->wstmt, _W_MAX, err);
  return r;
}

int store_open(const char *path, const StoreOptions *opts, Store **ret_store, Error *err) {
  if (isempty(path) || streq(path, ":memory:"))
    return error_set(err, -EINVAL, NULL, "store: a database file path is required");
  if (opts && (opts->sync < 0 || opts->sync >= _STORE_SYNC_MAX))
    return error_set(err, -EINVAL, NULL, "store: invalid sync mode %d", (int)opts->sync);
  if (!sqlite3_threadsafe())
    return error_set(err, -ENOTSUP, NULL, "store: SQLite is built without thread support");

  Store *s = xzalloc(sizeof *s);
  s->path = xstrdup(path);
  s->lock_fd = -1;
  pthread_mutex_init(&s->queue_lock, NULL);
  pthread_mutex_init(&s->write_lock, NULL);
  pthread_mutex_init(&s->pool_lock, NULL);
  pthread_cond_init(&s->pool_cond, NULL);

  int r = take_lock_file(path, &s->lock_fd, err);
  if (r >= 0)
    r = open_write_conn(s, opts, err);
  if (r < 0) {
    store_close(s);
    return r;
  }
  log_debug("store", "opened path=%s rev=%" PRId64 " compacted=%" PRId64 " sync=%s", path, s->rev,
            s->compacted, store_sync_to_string(opts ? opts->sync : STORE_SYNC_FULL));
  *ret_store = s;
  return 0;
}

void store_close(Store *s) {
  if (!s)
    return;
  while (s->free_conns) {
    ReadConn *c = s->free_conns;
    s->free_conns = c->next;
    read_conn_free(c);
  }
  finalize_all(s->wstmt, _W_MAX);
  /* The last connection to close checkpoints the WAL into the main file. */
  sqlite3_close(s->db);
  if (s->lock_fd >= 0)
    close(s->lock_fd);
  pthread_cond_destroy(&s->pool_cond);
  pthread_mutex_destroy(&s->pool_lock);
  pthread_mutex_destroy(&s->write_lock);
  pthread_mutex_destroy(&s->queue_lock);
  free(s->path);
  free(s);
}

int64_t store_current_revision(Store *s) {
  return atomic_get(&s->rev);
}

int64_t store_compacted_revision(Store *s) {
  return atomic_get(&s->compacted);
}

size_t store_queued_writes(Store *s) {
  pthread_mutex_lock(&s->queue_lock);
  size_t n = s->n_queued;
  pthread_mutex_unlock(&s->queue_lock);
  return n;
}

void store_set_commit_hook(Store *s, store_event_cb cb, void *userdata) {
  pthread_mutex_lock(&s->write_lock);
  s->hook = cb;
  s->hook_userdata = userdata;
  pthread_mutex_unlock(&s->write_lock);
}

static void write_rollback(Store *s) {
  if (!sqlite3_get_autocommit(s->db))
    stmt_exec(s->db, s->wstmt[W_ROLLBACK], NULL, "rollback");
}

static int set_meta(Store *s, const char *name, int64_t v, Error *err) {
  sqlite3_stmt *st = s->wstmt[W_SET_META];
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, v);
  return stmt_exec(s->db, st, err, "updating meta");
}

/* Reads key's live row into ev (create_rev, prev_rev, prev_value) on the write connection, so it sees the
 * writes applied earlier in the open batch. The previous value is copied to *prev_buf because the event
 * outlives the statement that read it. Answers 1 if the key exists, 0 if not, or a negative error. */
static int read_current_locked(Store *s, StoreEvent *ev, size_t key_len, char **prev_buf, Error *err) {
  sqlite3_stmt *get = s->wstmt[W_GET];
  bind_text(get, 1, ev->key, key_len);
  int rc = sqlite3_step(get);
  if (rc == SQLITE_ROW) {
    size_t len;
    const char *p = column_value(get, 0, &len);
    *prev_buf = memdup_nul(p ? p : "", len);
    ev->prev_value = *prev_buf;
    ev->prev_len = len;
    ev->create_rev = sqlite3_column_int64(get, 1);
    ev->prev_rev = sqlite3_column_int64(get, 2);
  }
  stmt_resetp(&get);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_error(s->db, err, "reading the current value");
  return rc == SQLITE_ROW;
}

/* The compare-and-swap conditions of store.h; a refused write changes nothing. */
static int check_write(const StoreEvent *ev, bool exists, int64_t expected_rev, Error *err) {
  if (ev->type == STORE_EVENT_CREATE && exists)
    return error_set(err, -EEXIST, NULL, "key already exists: %s", ev->key);
  if (ev->type != STORE_EVENT_CREATE) {
    if (!exists)
      return error_set(err, -ENOENT, NULL, "key not found: %s", ev->key);
    if (expected_rev != 0 && expected_rev != ev->prev_rev)
      return error_set(err, -ECANCELED, NULL,
                       "revision mismatch for %s: expected %" PRId64 ", current %" PRId64, ev->key,
                       expected_rev, ev->prev_rev);
  }
  return 0;
}

/* Appends ev, whose revision is set, to the log and applies it to the current table. */
static int apply_write_locked(Store *s, const StoreEvent *ev, size_t key_len, Error *err) {
  sqlite3_stmt *st = s->wstmt[W_INSERT_LOG];
  sqlite3_bind_int64(st, 1, ev->rev);
  bind_text(st, 2, ev->key, key_len);
  sqlite3_bind_int(st, 3, ev->type);
  sqlite3_bind_int64(st, 4, ev->create_rev);
  sqlite3_bind_int64(st, 5, ev->prev_rev);
  bind_value(st, 6, ev->value, ev->len);
  /* prev_value stays NULL: the previous value is the value of the log row at prev_rev (R_EVENTS), so it
   * is not written a second time. */
  int r = stmt_exec(s->db, st, err, "appending to the log");
  if (r < 0)
    return r;

  switch (ev->type) {
  case STORE_EVENT_CREATE:
    st = s->wstmt[W_INSERT_CURRENT];
    bind_text(st, 1, ev->key, key_len);
    sqlite3_bind_int64(st, 2, ev->create_rev);
    sqlite3_bind_int64(st, 3, ev->rev);
    break;
  case STORE_EVENT_UPDATE:
    st = s->wstmt[W_UPDATE_CURRENT];
    bind_text(st, 1, ev->key, key_len);
    sqlite3_bind_int64(st, 2, ev->rev);
    break;
  default:
    st = s->wstmt[W_DELETE_CURRENT];
    bind_text(st, 1, ev->key, key_len);
    break;
  }
  return stmt_exec(s->db, st, err, "updating the current value");
}

/* Runs the writes of a batch in one transaction: each is checked against the state left by the ones
 * before it and, if accepted, takes the next revision. *ret_rev = the last revision used (s->rev when
 * every write was refused). On error nothing of the batch is left in the database. */
static int run_batch_locked(Store *s, WriteReq *batch, int64_t *ret_rev, Error *err) {
  int64_t rev = s->rev;
  int r = stmt_exec(s->db, s->wstmt[W_BEGIN], err, "beginning a write");
  for (WriteReq *q = batch; q && r >= 0; q = q->next) {
    StoreEvent *ev = &q->ev;
    size_t key_len = strlen(ev->key);
    r = read_current_locked(s, ev, key_len, &q->prev_buf, err);
    if (r < 0)
      break;
    q->result = check_write(ev, r > 0, q->expected_rev, q->err);
    r = 0;
    if (q->result < 0)
      continue;
    ev->rev = rev + 1;
    if (ev->type == STORE_EVENT_CREATE)
      ev->create_rev = ev->rev;
    r = apply_write_locked(s, ev, key_len, err);
    if (r >= 0)
      rev++;
  }
  if (r >= 0 && rev > s->rev) {
    r = set_meta(s, "rev", rev, err);
    if (r >= 0)
      r = stmt_exec(s->db, s->wstmt[W_COMMIT], err, "committing");
  }
  /* A batch of refused writes changed nothing: ending it costs no sync. A failed statement or COMMIT may
   * have ended the transaction already (SQLite rolls back by itself on I/O errors). */
  write_rollback(s);
  if (r < 0)
    return r;
  *ret_rev = rev;
  return 0;
}

/* Takes the oldest queued writes, up to the batch bounds (the first one whatever its size), off the queue.
 * Called with queue_lock held. */
static WriteReq *take_batch(Store *s, size_t *ret_n) {
  WriteReq *batch = s->queue_head, *last = batch;
  size_t n = 1, bytes = strlen(batch->ev.key) + batch->ev.len;
  while (last->next && n < STORE_BATCH_MAX_WRITES) {
    size_t b = strlen(last->next->ev.key) + last->next->ev.len;
    if (bytes + b > STORE_BATCH_MAX_BYTES)
      break;
    bytes += b;
    n++;
    last = last->next;
  }
  s->queue_head = last->next;
  if (!s->queue_head)
    s->queue_tail = NULL;
  last->next = NULL;
  s->n_queued -= n;
  *ret_n = n;
  return batch;
}

/* Sets a flag of a waiting write and wakes its writer. For done, the writer may return and free q as soon
 * as the lock is released: q is not touched after. */
static void wake_writer(WriteReq *q, bool lead) {
  pthread_mutex_lock(&q->lock);
  if (lead)
    q->lead = true;
  else
    q->done = true;
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->lock);
}

/* Leads one group commit: the caller is the leader (s->leader was set for it) and the queue holds at least
 * its own write. Returns with the batch's writes done and their writers woken, and leadership passed to the
 * write then heading the queue (possibly the caller's own, when the batch could not take it). */
static void lead_batch(Store *s) {
  pthread_mutex_lock(&s->queue_lock);
  size_t n;
  WriteReq *batch = take_batch(s, &n);
  pthread_mutex_unlock(&s->queue_lock);

  pthread_mutex_lock(&s->write_lock);
  Error batch_err = ERROR_INIT;
  int64_t rev = 0;
  int r = run_batch_locked(s, batch, &rev, &batch_err);
  for (WriteReq *q = batch; q; q = q->next) {
    if (r < 0) /* nothing of the batch happened, refused writes included: their checks saw its effects */
      q->result =
          error_set(q->err, r, NULL, "%s", batch_err.message ? batch_err.message : "store: write failed");
    else if (q->result >= 0) {
      atomic_put(&s->rev, q->ev.rev);
      if (s->hook)
        s->hook(&q->ev, s->hook_userdata);
    }
  }
  assert(r < 0 || s->rev == rev);
  pthread_mutex_unlock(&s->write_lock);
  if (r < 0)
    log_debug("store", "group commit of %zu writes failed: %s", n, batch_err.message);
  error_reset(&batch_err);

  /* The next batch first: its leader stays queued, hence alive, until a leader (it) takes it. */
  pthread_mutex_lock(&s->queue_lock);
  WriteReq *next = s->queue_head;
  if (!next)
    s->leader = false;
  pthread_mutex_unlock(&s->queue_lock);
  if (next)
    wake_writer(next, true);
  for (WriteReq *q = batch, *after; q; q = after) {
    after = q->next;
    wake_writer(q, false);
  }
}

/* Queues ev and sleeps until a leader has committed it, or leads the batch itself when no commit is in
 * progress. ev->type/key/value/len are filled by the caller and the rest by the batch. */
static int store_write(Store *s, const StoreEvent *ev, int64_t expected_rev, int64_t *ret_rev, Error *err) {
  WriteReq req = {.ev = *ev, .expected_rev = expected_rev, .err = err};
  pthread_mutex_init(&req.lock, NULL);
  pthread_cond_init(&req.wake, NULL);
  pthread_mutex_lock(&s->queue_lock);
  if (s->queue_tail)
    s->queue_tail->next = &req;
  else
    s->queue_head = &req;
  s->queue_tail = &req;
  s->n_queued++;
  bool lead = !s->leader;
  s->leader = true;
  pthread_mutex_unlock(&s->queue_lock);
  for (;;) {
    if (lead)
      lead_batch(s);
    pthread_mutex_lock(&req.lock);
    while (!req.done && !req.lead)
      pthread_cond_wait(&req.wake, &req.lock);
    bool done = req.done;
    lead = req.lead;
    req.lead = false;
    pthread_mutex_unlock(&req.lock);
    if (done)
      break;
  }
  pthread_cond_destroy(&req.wake);
  pthread_mutex_destroy(&req.lock);
  free(req.prev_buf);
  if (req.result < 0)
    return req.result;
  if (ret_rev)
    *ret_rev = req.ev.rev;
  return 0;
}

int store_create(Store *s, const char *key, const void *value, size_t len, int64_t *ret_rev, Error *err) {
  int r = check_key(key, "key", err);
  if (r >= 0)
    r = check_value(value, len, err);
  if (r < 0)
    return r;
  const StoreEvent ev = {.type = STORE_EVENT_CREATE, .key = key, .value = len ? value : "", .len = len};
  return store_write(s, &ev, 0, ret_rev, err);
}

int store_update(Store *s, const char *key, const void *value, size_t len, int64_t expected_rev,
                 int64_t *ret_rev, Error *err) {
  int r = check_key(key, "key", err);
  if (r >= 0)
    r = check_value(value, len, err);
  if (r < 0)
    return r;
  if (expected_rev < 0)
    return error_set(err, -EINVAL, NULL, "store: negative expected revision");
  const StoreEvent ev = {.type = STORE_EVENT_UPDATE, .key = key, .value = len ? value : "", .len = len};
  return store_write(s, &ev, expected_rev, ret_rev, err);
}

int store_delete(Store *s, const char *key, int64_t expected_rev, int64_t *ret_rev, Error *err) {
  int r = check_key(key, "key", err);
  if (r < 0)
    return r;
  if (expected_rev < 0)
    return error_set(err, -EINVAL, NULL, "store: negative expected revision");
  const StoreEvent ev = {.type = STORE_EVENT_DELETE, .key = key};
  return store_write(s, &ev, expected_rev, ret_rev, err);
}

int store_get(Store *s, const char *key, StoreKV *ret_kv, Error *err) {
  int r = check_key(key, "key", err);
  if (r < 0)
    return r;
  _cleanup_read_conn_ ReadConn *c = NULL;
  r = read_conn_acquire(s, &c, err);
  if (r < 0)
    return r;
  _cleanup_stmt_ sqlite3_stmt *st = c->stmt[R_GET];
  bind_text(st, 1, key, strlen(key));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return error_set(err, -ENOENT, NULL, "key not found: %s", key);
  if (rc != SQLITE_ROW)
    return sql_error(c->db, err, "reading a key");
  size_t len;
  const char *p = column_value(st, 0, &len);
  *ret_kv = (StoreKV){
      .key = xstrdup(key),
      .value = memdup_nul(p ? p : "", len),
      .len = len,
      .create_rev = sqlite3_column_int64(st, 1),
      .mod_rev = sqlite3_column_int64(st, 2),
  };
  return 0;
}

/* Reads the current and compacted revisions inside the connection's open read transaction. */
static int read_meta(ReadConn *c, int64_t *ret_rev, int64_t *ret_compacted, Error *err) {
  _cleanup_stmt_ sqlite3_stmt *st = c->stmt[R_META];
  if (sqlite3_step(st) != SQLITE_ROW)
    return sql_error(c->db, err, "reading revisions");
  *ret_rev = sqlite3_column_int64(st, 0);
  *ret_compacted = sqlite3_column_int64(st, 1);
  return 0;
}

static void list_push(StoreKVList *l, size_t *cap, StoreKV kv) {
  if (l->n == *cap) {
    *cap = *cap ? *cap * 2 : 16;
    l->items = xrealloc(l->items, *cap * sizeof *l->items);
  }
  l->items[l->n++] = kv;
}

/* Where a page starts: the later of prefix (inclusive) and start_after (exclusive, so the caller skips a
 * key equal to it). One lower bound keeps the index range tight; two would leave one as a filter. */
static const char *page_lower_bound(const char *prefix, const char *start_after, bool *ret_skip_equal) {
  *ret_skip_equal = start_after && strcmp(start_after, prefix) >= 0;
  return *ret_skip_equal ? start_after : prefix;
}

static int list_current(ReadConn *c, const char *prefix, const Bound *upper, const char *start_after,
                        size_t limit, StoreKVList *l, Error *err) {
  bool skip_equal;
  const char *lower = page_lower_bound(prefix, start_after, &skip_equal);
  size_t cap = 0;
  _cleanup_stmt_ sqlite3_stmt *st = c->stmt[R_LIST_CURRENT];
  bind_text(st, 1, lower, strlen(lower));
  bind_upper(st, 2, upper);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *key = (const char *)sqlite3_column_text(st, 0);
    if (skip_equal && streq(key, start_after))
      continue;
    if (limit && l->n == limit) {
      l->more = true;
      break;
    }
    size_t len;
    const char *p = column_value(st, 1, &len);
    list_push(l, &cap,
              (StoreKV){
                  .key = xstrndup(key, (size_t)sqlite3_column_bytes(st, 0)),
                  .value = memdup_nul(p ? p : "", len),
                  .len = len,
                  .create_rev = sqlite3_column_int64(st, 2),
                  .mod_rev = sqlite3_column_int64(st, 3),
              });
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_error(c->db, err, "listing keys");
  if (!l->more)
    return 0;

  const char *last = l->items[l->n - 1].key;
  _cleanup_stmt_ sqlite3_stmt *cnt = c->stmt[R_COUNT_CURRENT];
  bind_text(cnt, 1, last, strlen(last));
  bind_upper(cnt, 2, upper);
  if (sqlite3_step(cnt) != SQLITE_ROW)
    return sql_error(c->db, err, "counting keys");
  l->remaining = sqlite3_column_int64(cnt, 0);
  return 0;
}

/* The state at an older revision: each key's newest log row at or below at_rev, unless it is a delete. */
static int list_at(ReadConn *c, const char *prefix, const Bound *upper, int64_t at_rev,
                   const char *start_after, size_t limit, StoreKVList *l, Error *err) {
  bool skip_equal;
  const char *lower = page_lower_bound(prefix, start_after, &skip_equal);
  size_t cap = 0;
  _cleanup_stmt_ sqlite3_stmt *st = c->stmt[R_LIST_AT];
  bind_text(st, 1, lower, strlen(lower));
  bind_upper(st, 2, upper);
  sqlite3_bind_int64(st, 3, at_rev);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (sqlite3_column_int(st, 2) == STORE_EVENT_DELETE)
      continue;
    const char *key = (const char *)sqlite3_column_text(st, 0);
    if (skip_equal && streq(key, start_after))
      continue;
    if (limit && l->n == limit) {
      /* The grouped scan is index-only, so counting the rest costs no value reads. */
      l->more = true;
      l->remaining++;
      continue;
    }
    int64_t rev = sqlite3_column_int64(st, 1);
    _cleanup_stmt_ sqlite3_stmt *row = c->stmt[R_LOG_ROW];
    sqlite3_bind_int64(row, 1, rev);
    if (sqlite3_step(row) != SQLITE_ROW)
      return sql_error(c->db, err, "reading a log row");
    size_t len;
    const char *p = column_value(row, 1, &len);
    list_push(l, &cap,
              (StoreKV){
                  .key = xstrndup(key, (size_t)sqlite3_column_bytes(st, 0)),
                  .value = memdup_nul(p ? p : "", len),
                  .len = len,
                  .create_rev = sqlite3_column_int64(row, 0),
                  .mod_rev = rev,
              });
  }
  if (rc != SQLITE_DONE)
    return sql_error(c->db, err, "listing keys at a revision");
  return 0;
}

int store_list(Store *s, const char *prefix, int64_t at_rev, const char *start_after, size_t limit,
               StoreKVList *ret_list, Error *err) {
  if (!prefix)
    prefix = "";
  if (strlen(prefix) > STORE_KEY_MAX)
    return error_set(err, -E2BIG, NULL, "store: prefix longer than %d bytes", STORE_KEY_MAX);
  if (isempty(start_after))
    start_after = NULL;
  if (start_after) {
    int r = check_key(start_after, "continue key", err);
    if (r < 0)
      return r;
  }
  if (at_rev < 0)
    return error_set(err, -EINVAL, NULL, "store: negative revision %" PRId64, at_rev);

  _cleanup_read_conn_ ReadConn *c = NULL;
  int r = read_conn_acquire(s, &c, err);
  if (r < 0)
    return r;
  r = stmt_exec(c->db, c->stmt[R_BEGIN], err, "beginning a read");
  if (r < 0)
    return r;
  int64_t rev = 0, compacted = 0;
  r = read_meta(c, &rev, &compacted, err);
  if (r < 0)
    return r;
  if (at_rev > rev)
    return error_set(err, -EINVAL, NULL, "store: revision %" PRId64 " is in the future (current %" PRId64 ")",
                     at_rev, rev);
  if (at_rev != 0 && at_rev != rev && at_rev < compacted)
    return error_set(err, -ENODATA, NULL,
                     "store: revision %" PRId64 " has been compacted (compacted %" PRId64 ")", at_rev,
                     compacted);

  Bound upper;
  prefix_upper_bound(prefix, &upper);
  StoreKVList l = {.rev = at_rev ? at_rev : rev};
  if (l.rev == rev)
    r = list_current(c, prefix, &upper, start_after, limit, &l, err);
  else
    r = list_at(c, prefix, &upper, at_rev, start_after, limit, &l, err);
  if (r >= 0)
    r = stmt_exec(c->db, c->stmt[R_END], err, "ending a read");
  if (r < 0) {
    store_kv_list_done(&l);
    return r;
  }
  *ret_list = l;
  return 0;
}

int store_events_since(Store *s, const char *prefix, int64_t after_rev, store_event_cb cb, void *userdata,
                       Error *err) {
  if (!prefix)
    prefix = "";
  if (strlen(prefix) > STORE_KEY_MAX)
    return error_set(err, -E2BIG, NULL, "store: prefix longer than %d bytes", STORE_KEY_MAX);
  if (after_rev < 0)
    return error_set(err, -EINVAL, NULL, "store: negative revision %" PRId64, after_rev);

  _cleanup_read_conn_ ReadConn *c = NULL;
  int r = read_conn_acquire(s, &c, err);
  if (r < 0)
    return r;
  r = stmt_exec(c->db, c->stmt[R_BEGIN], err, "beginning a read");
  if (r < 0)
    return r;
  int64_t rev = 0, compacted = 0;
  r = read_meta(c, &rev, &compacted, err);
  if (r < 0)
    return r;
  if (after_rev < compacted)
    return error_set(err, -ENODATA, NULL,
                     "store: events after revision %" PRId64 " have been compacted (compacted %" PRId64 ")",
                     after_rev, compacted);

  Bound upper;
  prefix_upper_bound(prefix, &upper);
  _cleanup_stmt_ sqlite3_stmt *st = c->stmt[R_EVENTS];
  sqlite3_bind_int64(st, 1, after_rev);
  bind_text(st, 2, prefix, strlen(prefix));
  bind_upper(st, 3, &upper);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    StoreEvent ev = {
        .rev = sqlite3_column_int64(st, 0),
        .key = (const char *)sqlite3_column_text(st, 1),
        .type = (StoreEventType)sqlite3_column_int(st, 2),
        .create_rev = sqlite3_column_int64(st, 3),
        .prev_rev = sqlite3_column_int64(st, 4),
    };
    ev.value = column_value(st, 5, &ev.len);
    ev.prev_value = column_value(st, 6, &ev.prev_len);
    r = cb(&ev, userdata);
    if (r < 0)
      return r;
  }
  if (rc != SQLITE_DONE)
    return sql_error(c->db, err, "reading events");
  return 0;
}

/* Compacts one batch, (compacted, hi], in its own transaction. */
static int compact_batch_locked(Store *s, int64_t hi, Error *err) {
  int64_t lo = s->compacted;
  int r = stmt_exec(s->db, s->wstmt[W_BEGIN], err, "beginning a compaction");
  if (r < 0)
    return r;
  for (WriteStmt w = W_COMPACT_SUPERSEDED; w <= W_COMPACT_TOMBSTONES && r >= 0; w++) {
    sqlite3_bind_int64(s->wstmt[w], 1, lo);
    sqlite3_bind_int64(s->wstmt[w], 2, hi);
    r = stmt_exec(s->db, s->wstmt[w], err, "compacting the log");
  }
  if (r >= 0)
    r = set_meta(s, "compact", hi, err);
  if (r >= 0)
    r = stmt_exec(s->db, s->wstmt[W_COMMIT], err, "committing a compaction");
  if (r < 0) {
    write_rollback(s);
    return r;
  }
  atomic_put(&s->compacted, hi);
  return 0;
}

int store_compact(Store *s, int64_t rev, Error *err) {
  if (rev < 0)
    return error_set(err, -EINVAL, NULL, "store: negative revision %" PRId64, rev);
  for (;;) {
    pthread_mutex_lock(&s->write_lock);
    int r = 0;
    bool done = false;
    if (rev > s->rev)
      r = error_set(err, -EINVAL, NULL,
                    "store: cannot compact to %" PRId64 ", beyond the current revision %" PRId64, rev,
                    s->rev);
    else if (rev <= s->compacted)
      done = true;
    else
      r = compact_batch_locked(s, MIN(rev, s->compacted + STORE_COMPACT_BATCH), err);
    pthread_mutex_unlock(&s->write_lock);
    if (r < 0)
      return r;
    if (done)
      break;
  }
  log_debug("store", "compacted rev=%" PRId64, rev);
  return 0;
}

void store_kv_done(StoreKV *kv) {
  if (!kv)
    return;
  free(kv->key);
  free(kv->value);
  *kv = (StoreKV){0};
}

void store_kv_list_done(StoreKVList *l) {
  if (!l)
    return;
  for (size_t i = 0; i < l->n; i++)
    store_kv_done(&l->items[i]);
  free(l->items);
  *l = (StoreKVList){0};
}
