/* The string-keyed hash map of client-internal.h: separate chaining with FNV-1a hashes, the table doubled
 * when it holds as many entries as buckets, so lookups stay O(1) for caches of any size. Keys are copied
 * into their entry (one allocation per entry). */
#include "client/client-internal.h"

static uint64_t hash_key(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}

static ClientMapEntry **find_slot(const ClientMap *m, const char *key, uint64_t h) {
  if (!m->n_buckets)
    return NULL;
  ClientMapEntry **p = &m->buckets[h & (m->n_buckets - 1)];
  for (; *p; p = &(*p)->next)
    if ((*p)->hash == h && streq((*p)->key, key))
      return p;
  return p; /* the empty tail: where a new entry goes */
}

void *client_map_get(const ClientMap *m, const char *key) {
  ClientMapEntry **p = find_slot(m, key, hash_key(key));
  return p && *p ? (*p)->value : NULL;
}

bool client_map_contains(const ClientMap *m, const char *key) {
  ClientMapEntry **p = find_slot(m, key, hash_key(key));
  return p && *p;
}

static void grow(ClientMap *m) {
  size_t n = m->n_buckets ? m->n_buckets * 2 : 16;
  ClientMapEntry **b = xcalloc(n, sizeof *b);
  for (size_t i = 0; i < m->n_buckets; i++) {
    ClientMapEntry *e = m->buckets[i];
    while (e) {
      ClientMapEntry *next = e->next;
      size_t j = e->hash & (n - 1);
      e->next = b[j];
      b[j] = e;
      e = next;
    }
  }
  free(m->buckets);
  m->buckets = b;
  m->n_buckets = n;
}

void *client_map_put(ClientMap *m, const char *key, void *value) {
  uint64_t h = hash_key(key);
  ClientMapEntry **p = find_slot(m, key, h);
  if (p && *p) {
    void *old = (*p)->value;
    (*p)->value = value;
    return old;
  }
  if (m->size >= m->n_buckets) {
    grow(m);
    p = find_slot(m, key, h);
  }
  size_t klen = strlen(key);
  ClientMapEntry *e = xmalloc(sizeof *e + klen + 1);
  e->next = NULL;
  e->hash = h;
  e->value = value;
  memcpy(e->key, key, klen + 1);
  *p = e;
  m->size++;
  return NULL;
}

void *client_map_remove(ClientMap *m, const char *key) {
  ClientMapEntry **p = find_slot(m, key, hash_key(key));
  if (!p || !*p)
    return NULL;
  ClientMapEntry *e = *p;
  *p = e->next;
  void *v = e->value;
  free(e);
  m->size--;
  return v;
}

void client_map_foreach(const ClientMap *m, void (*fn)(const char *key, void *value, void *userdata),
                        void *userdata) {
  for (size_t i = 0; i < m->n_buckets; i++)
    for (ClientMapEntry *e = m->buckets[i]; e; e = e->next)
      fn(e->key, e->value, userdata);
}

void client_map_clear(ClientMap *m, void (*free_value)(void *value)) {
  for (size_t i = 0; i < m->n_buckets; i++) {
    ClientMapEntry *e = m->buckets[i];
    while (e) {
      ClientMapEntry *next = e->next;
      if (free_value)
        free_value(e->value);
      free(e);
      e = next;
    }
  }
  free(m->buckets);
  *m = (ClientMap)CLIENT_MAP_INIT;
}
