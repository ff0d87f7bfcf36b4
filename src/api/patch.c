/* The three PATCH flavours of the Kubernetes API on jansson values: JSON merge patch (RFC 7386), JSON
 * patch (RFC 6902) and strategic merge patch. Every entry point deep-copies the target and edits the copy,
 * so inputs stay untouched and a failure part-way leaves nothing behind. Inputs are user-controlled, so any
 * JSON type may appear anywhere and nesting is bounded (PATCH_MAX_DEPTH).
 *
 * Error wording. JSON patch failures are -EINVAL (422 Invalid). Kubernetes answers them with the Status
 * message "the server rejected our request due to an error in our request" and keeps the json-patch
 * library's detail to itself; we append that detail, worded as the library words it ("replace operation
 * does not apply: doc is missing key: /spec/x: missing value", "testing value /a failed: test failed",
 * "Unable to access invalid index: 7: invalid index referenced", "Unexpected kind: frob"). A body that is
 * not an array of objects is -EBADMSG (400) and more than 10000 operations is -E2BIG (413), as there.
 * Strategic merge patch: malformed directives are -EBADMSG (400, Kubernetes' "invalid patch format of ..."
 * family); patch content that cannot be merged (an item without its merge key, lists of lists) is -EINVAL.
 * The error's field is the dotted path where it happened. */
#include "api/patch.h"

#include <errno.h>
#include <stdarg.h>

#include "base/buf.h"

#define PATCH_MAX_DEPTH 100
#define PATCH_MAX_OPS 10000
#define JP_REJECTED "the server rejected our request due to an error in our request"
#define NOT_FOUND SIZE_MAX

/* jansson provides json_decrefp for GCC's cleanup attribute. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* ---- shared helpers ---------------------------------------------------------------------------------- */

/* Equality as RFC 6902 "test" defines it: numbers compare by value (1 == 1.0), objects ignore key order.
 * Also used to match merge keys, where Kubernetes compares decoded values the same way. */
static bool patch_equal(const json_t *a, const json_t *b, int depth) {
  if (a == b)
    return true;
  if (!a || !b || depth > 4 * JSON_PARSER_MAX_DEPTH)
    return false;
  if (json_is_number(a) && json_is_number(b)) {
    if (json_is_integer(a) && json_is_integer(b))
      return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
  }
  if (json_typeof(a) != json_typeof(b))
    return false;
  switch (json_typeof(a)) {
  case JSON_STRING:
    return json_string_length(a) == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
  case JSON_ARRAY:
    if (json_array_size(a) != json_array_size(b))
      return false;
    for (size_t i = 0; i < json_array_size(a); i++)
      if (!patch_equal(json_array_get(a, i), json_array_get(b, i), depth + 1))
        return false;
    return true;
  case JSON_OBJECT: {
    if (json_object_size(a) != json_object_size(b))
      return false;
    const char *key;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)a, key, klen, v) {
      if (!patch_equal(v, json_object_getn(b, key, klen), depth + 1))
        return false;
    }
    return true;
  }
  default: /* true, false, null: the type says it all */
    return true;
  }
}

/* A copy of a scalar, or a deep copy of a container, so that the result never shares a value with the
 * patch the caller still owns. */
static json_t *copy_value(json_t *v) {
  json_t *c = json_is_object(v) || json_is_array(v) ? json_deep_copy(v) : json_copy(v);
  if (!c)
    oom();
  return c;
}

static int set_keyn(json_t *obj, const char *key, size_t klen, json_t *value) {
  /* Keys come from parsed JSON (valid UTF-8), so this only fails on allocation. */
  if (json_object_setn_new(obj, key, klen, value) < 0)
    oom();
  return 0;
}

/* ---- JSON merge patch (RFC 7386) --------------------------------------------------------------------- */

static int merge_object(json_t *dst, json_t *patch, int depth, Error *err) {
  if (depth > PATCH_MAX_DEPTH)
    return error_set(err, -EBADMSG, NULL, "merge patch is nested deeper than %d levels", PATCH_MAX_DEPTH);
  const char *key;
  size_t klen;
  json_t *v;
  json_object_keylen_foreach(patch, key, klen, v) {
    if (json_is_null(v)) {
      json_object_deln(dst, key, klen);
    } else if (json_is_object(v)) {
      json_t *cur = json_object_getn(dst, key, klen);
      if (!json_is_object(cur)) {
        cur = json_object();
        set_keyn(dst, key, klen, cur);
      }
      int r = merge_object(cur, v, depth + 1, err);
      if (r < 0)
        return r;
    } else {
      set_keyn(dst, key, klen, copy_value(v));
    }
  }
  return 0;
}

int patch_merge(json_t *target, json_t *patch, json_t **ret, Error *err) {
  if (!json_is_object(patch))
    return error_set(err, -EBADMSG, NULL, "invalid JSON Patch: a merge patch must be a JSON object");
  _cleanup_json_ json_t *doc = json_is_object(target) ? json_deep_copy(target) : json_object();
  if (!doc)
    oom();
  int r = merge_object(doc, patch, 0, err);
  if (r < 0)
    return r;
  *ret = TAKE_PTR(doc);
  return 0;
}

/* ---- JSON patch (RFC 6902) --------------------------------------------------------------------------- */

/* A parsed JSON pointer (RFC 6901): unescaped reference tokens with their lengths (tokens may hold NUL). */
typedef struct Pointer {
  char **tok;
  size_t *len;
  size_t n;
} Pointer;

static void pointer_free(Pointer *p) {
  for (size_t i = 0; i < p->n; i++)
    free(p->tok[i]);
  free(p->tok);
  free(p->len);
  *p = (Pointer){0};
}
#define _cleanup_pointer_ _cleanup_(pointer_free)

static int jp_fail(Error *err, const char *fmt, ...) _printf_(2, 3);
static int jp_fail(Error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *detail = NULL;
  if (vasprintf(&detail, fmt, ap) < 0)
    oom();
  va_end(ap);
  return error_set(err, -EINVAL, NULL, JP_REJECTED ": %s", detail);
}

static int pointer_parse(const char *s, size_t slen, Pointer *ret) {
  *ret = (Pointer){0};
  if (slen == 0)
    return 0; /* the whole document */
  if (s[0] != '/')
    return -EINVAL;
  size_t n = 0;
  for (size_t i = 0; i < slen; i++)
    n += s[i] == '/';
  Pointer p = {.tok = xcalloc(n, sizeof(char *)), .len = xcalloc(n, sizeof(size_t))};
  const char *cur = s + 1, *end = s + slen;
  for (;;) {
    const char *slash = memchr(cur, '/', end - cur);
    const char *stop = slash ? slash : end;
    char *t = xmalloc(stop - cur + 1);
    size_t tl = 0;
    for (const char *c = cur; c < stop; c++) {
      if (*c != '~') {
        t[tl++] = *c;
        continue;
      }
      if (c + 1 >= stop || (c[1] != '0' && c[1] != '1')) {
        free(t);
        pointer_free(&p);
        return -EINVAL; /* "~" must be followed by 0 or 1 */
      }
      t[tl++] = c[1] == '0' ? '~' : '/';
      c++;
    }
    t[tl] = '\0';
    p.tok[p.n] = t;
    p.len[p.n++] = tl;
    if (!slash)
      break;
    cur = slash + 1;
  }
  *ret = p;
  return 0;
}

/* Array index token: decimal digits without leading zeros (RFC 6901 §4). */
static bool parse_index(const char *t, size_t len, size_t *ret) {
  if (len == 0 || len > 18 || (len > 1 && t[0] == '0'))
    return false;
  size_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (t[i] < '0' || t[i] > '9')
      return false;
    v = v * 10 + (size_t)(t[i] - '0');
  }
  *ret = v;
  return true;
}

/* The value the first n tokens of p name, or NULL. */
static json_t *pointer_walk(json_t *doc, const Pointer *p, size_t n) {
  json_t *cur = doc;
  for (size_t i = 0; i < n && cur; i++) {
    if (json_is_object(cur)) {
      cur = json_object_getn(cur, p->tok[i], p->len[i]);
    } else if (json_is_array(cur)) {
      size_t idx;
      cur = parse_index(p->tok[i], p->len[i], &idx) ? json_array_get(cur, idx) : NULL;
    } else {
      cur = NULL;
    }
  }
  return cur;
}

/* Adds value (consumed) at p. */
static int jp_add(json_t **doc, const Pointer *p, const char *path, json_t *value, Error *err) {
  if (p->n == 0) {
    json_decref(*doc);
    *doc = value;
    return 0;
  }
  json_t *parent = pointer_walk(*doc, p, p->n - 1);
  const char *last = p->tok[p->n - 1];
  size_t last_len = p->len[p->n - 1];
  if (json_is_object(parent))
    return set_keyn(parent, last, last_len, value);
  if (json_is_array(parent)) {
    size_t idx, size = json_array_size(parent);
    if (last_len == 1 && last[0] == '-')
      idx = size;
    else if (!parse_index(last, last_len, &idx) || idx > size) {
      json_decref(value);
      return jp_fail(err, "Unable to access invalid index: %s: invalid index referenced", last);
    }
    if (json_array_insert_new(parent, idx, value) < 0)
      oom();
    return 0;
  }
  json_decref(value);
  return jp_fail(err, "add operation does not apply: doc is missing path: \"%s\": missing value", path);
}

static int jp_remove(json_t *doc, const Pointer *p, const char *path, Error *err) {
  if (p->n == 0)
    return jp_fail(err, "remove operation does not apply: the whole document cannot be removed");
  json_t *parent = pointer_walk(doc, p, p->n - 1);
  const char *last = p->tok[p->n - 1];
  size_t last_len = p->len[p->n - 1];
  if (json_is_object(parent)) {
    if (json_object_deln(parent, last, last_len) < 0)
      return jp_fail(err, "Unable to remove nonexistent key: %s: missing value", last);
    return 0;
  }
  if (json_is_array(parent)) {
    size_t idx;
    if (!parse_index(last, last_len, &idx) || idx >= json_array_size(parent))
      return jp_fail(err, "Unable to access invalid index: %s: invalid index referenced", last);
    json_array_remove(parent, idx);
    return 0;
  }
  return jp_fail(err, "remove operation does not apply: doc is missing path: \"%s\": missing value", path);
}

static int jp_replace(json_t **doc, const Pointer *p, const char *path, json_t *value, Error *err) {
  if (p->n == 0) {
    json_decref(*doc);
    *doc = value;
    return 0;
  }
  json_t *parent = pointer_walk(*doc, p, p->n - 1);
  const char *last = p->tok[p->n - 1];
  size_t last_len = p->len[p->n - 1];
  if (json_is_object(parent)) {
    if (!json_object_getn(parent, last, last_len)) {
      json_decref(value);
      return jp_fail(err, "replace operation does not apply: doc is missing key: %s: missing value", path);
    }
    return set_keyn(parent, last, last_len, value);
  }
  if (json_is_array(parent)) {
    size_t idx;
    if (!parse_index(last, last_len, &idx) || idx >= json_array_size(parent)) {
      json_decref(value);
      return jp_fail(err, "Unable to access invalid index: %s: invalid index referenced", last);
    }
    json_array_set_new(parent, idx, value);
    return 0;
  }
  json_decref(value);
  return jp_fail(err, "replace operation does not apply: doc is missing path: %s: missing value", path);
}

/* True if a's tokens are a proper prefix of b's: moving a value into its own child. */
static bool pointer_is_proper_prefix(const Pointer *a, const Pointer *b) {
  if (a->n >= b->n)
    return false;
  for (size_t i = 0; i < a->n; i++)
    if (a->len[i] != b->len[i] || memcmp(a->tok[i], b->tok[i], a->len[i]) != 0)
      return false;
  return true;
}

static const char *member_string(json_t *op, const char *name, size_t *ret_len) {
  json_t *v = json_object_get(op, name);
  if (!json_is_string(v))
    return NULL;
  *ret_len = json_string_length(v);
  return json_string_value(v);
}

static int jp_apply_one(json_t **doc, json_t *op, Error *err) {
  size_t kind_len = 0, path_len = 0, from_len = 0;
  const char *kind = member_string(op, "op", &kind_len);
  if (!kind)
    return jp_fail(err, "Unexpected kind: unknown");
  bool is_add = streq(kind, "add"), is_remove = streq(kind, "remove"), is_replace = streq(kind, "replace"),
       is_move = streq(kind, "move"), is_copy = streq(kind, "copy"), is_test = streq(kind, "test");
  if (!(is_add || is_remove || is_replace || is_move || is_copy || is_test))
    return jp_fail(err, "Unexpected kind: %s", kind);
  const char *path = member_string(op, "path", &path_len);
  if (!path)
    return jp_fail(err, "operation missing path field: missing value");
  _cleanup_pointer_ Pointer p = {0};
  if (pointer_parse(path, path_len, &p) < 0)
    return jp_fail(err, "%s operation failed to decode path: invalid JSON pointer \"%s\"", kind, path);
  json_t *value = json_object_get(op, "value");
  if ((is_add || is_replace || is_test) && !value)
    return jp_fail(err, "operation, missing value field: missing value");

  if (is_add)
    return jp_add(doc, &p, path, copy_value(value), err);
  if (is_remove)
    return jp_remove(*doc, &p, path, err);
  if (is_replace)
    return jp_replace(doc, &p, path, copy_value(value), err);
  if (is_test) {
    json_t *cur = pointer_walk(*doc, &p, p.n);
    if (!cur)
      return jp_fail(err, "test operation does not apply: is missing path: %s: missing value", path);
    if (!patch_equal(cur, value, 0))
      return jp_fail(err, "testing value %s failed: test failed", path);
    return 0;
  }

  /* move and copy read "from" */
  const char *from = member_string(op, "from", &from_len);
  if (!from)
    return jp_fail(err, "operation, missing from field: missing value");
  _cleanup_pointer_ Pointer f = {0};
  if (pointer_parse(from, from_len, &f) < 0)
    return jp_fail(err, "%s operation failed to decode from: invalid JSON pointer \"%s\"", kind, from);
  json_t *src = pointer_walk(*doc, &f, f.n);
  if (!src)
    return jp_fail(err, "%s operation does not apply: doc is missing from path: %s: missing value", kind,
                   from);
  if (is_copy)
    return jp_add(doc, &p, path, copy_value(src), err);
  if (from_len == path_len && memcmp(from, path, path_len) == 0)
    return 0;
  if (pointer_is_proper_prefix(&f, &p))
    return jp_fail(err, "move operation does not apply: cannot move %s into its own child %s", from, path);
  json_incref(src); /* survives its removal, then is consumed by the add */
  int r = jp_remove(*doc, &f, from, err);
  if (r < 0) {
    json_decref(src);
    return r;
  }
  return jp_add(doc, &p, path, src, err);
}

int patch_json(json_t *target, json_t *ops, json_t **ret, Error *err) {
  if (!json_is_array(ops))
    return error_set(err, -EBADMSG, NULL, "invalid JSON patch: the body must be a JSON array of operations");
  if (json_array_size(ops) > PATCH_MAX_OPS)
    return error_set(err, -E2BIG, NULL, "The allowed maximum operations in a JSON patch is %d, got %zu",
                     PATCH_MAX_OPS, json_array_size(ops));
  size_t i;
  json_t *op;
  json_array_foreach(ops, i, op) {
    if (!json_is_object(op))
      return error_set(err, -EBADMSG, NULL, "invalid JSON patch: operation %zu is not a JSON object", i);
  }
  _cleanup_json_ json_t *doc = target ? json_deep_copy(target) : json_null();
  if (!doc)
    oom();
  json_array_foreach(ops, i, op) {
    int r = jp_apply_one(&doc, op, err);
    if (r < 0)
      return r;
  }
  *ret = TAKE_PTR(doc);
  return 0;
}

/* ---- strategic merge patch --------------------------------------------------------------------------- */

/* State of one strategic merge: what kind is patched and the dotted path of the field being merged, which
 * is both the patch-metadata lookup key and the error's field. */
typedef struct Smp {
  const char *group;
  const char *kind;
  Error *err;
  Buf path;
} Smp;

typedef enum Directive {
  DIR_NONE,     /* an ordinary field */
  DIR_PATCH,    /* $patch */
  DIR_RETAIN,   /* $retainKeys */
  DIR_ORDER,    /* $setElementOrder/<list> */
  DIR_DELETE,   /* $deleteFromPrimitiveList/<list> */
  DIR_MALFORMED /* one of the prefixes above without its "/" */
} Directive;

#define ORDER_PREFIX "$setElementOrder"
#define DELETE_PREFIX "$deleteFromPrimitiveList"

/* Classifies an object key; for the two list directives, *ret_name is the list they apply to. Other keys
 * starting with "$" are data ("$ref" in a CRD schema must survive). */
static Directive directive_of(const char *key, size_t klen, const char **ret_name, size_t *ret_name_len) {
  if (klen == 0 || key[0] != '$')
    return DIR_NONE;
  if (klen == strlen("$patch") && memcmp(key, "$patch", klen) == 0)
    return DIR_PATCH;
  if (klen == strlen("$retainKeys") && memcmp(key, "$retainKeys", klen) == 0)
    return DIR_RETAIN;
  static const struct {
    const char *prefix;
    Directive d;
  } lists[] = {{ORDER_PREFIX, DIR_ORDER}, {DELETE_PREFIX, DIR_DELETE}};
  for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
    size_t pl = strlen(lists[i].prefix);
    if (klen < pl || memcmp(key, lists[i].prefix, pl) != 0)
      continue;
    if (klen == pl || key[pl] != '/')
      return DIR_MALFORMED;
    *ret_name = key + pl + 1;
    *ret_name_len = klen - pl - 1;
    return lists[i].d;
  }
  return DIR_NONE;
}

static const char *smp_path(const Smp *s) {
  return s->path.len ? s->path.data : "";
}

static size_t smp_push(Smp *s, const char *key, size_t klen) {
  size_t old = s->path.len;
  if (old)
    buf_putc(&s->path, '.');
  buf_append(&s->path, key, klen);
  return old;
}

static void smp_pop(Smp *s, size_t old) {
  s->path.len = old;
  if (s->path.data)
    s->path.data[old] = '\0';
}

static int smp_fail(Smp *s, int code, const char *fmt, ...) _printf_(3, 4);
static int smp_fail(Smp *s, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf(&msg, fmt, ap) < 0)
    oom();
  va_end(ap);
  return error_set(s->err, code, s->path.len ? s->path.data : NULL, "%s", msg);
}

static bool smp_meta(Smp *s, PatchMeta *m) {
  *m = (PatchMeta){0};
  return patch_meta_lookup(s->group, s->kind, smp_path(s), m);
}

/* The identity of a list item: its merge-key value for lists of objects, itself for primitive lists. */
static json_t *item_key(json_t *item, const char *merge_key) {
  if (!merge_key)
    return item;
  return json_is_object(item) ? json_object_get(item, merge_key) : NULL;
}

static size_t key_index(json_t *const *keys, size_t n, json_t *key) {
  if (!key)
    return NOT_FOUND;
  for (size_t i = 0; i < n; i++)
    if (keys[i] && patch_equal(keys[i], key, 0))
      return i;
  return NOT_FOUND;
}

/* The $patch value of a list item ("replace", "delete", "merge"), or NULL if it has none. */
static json_t *item_directive(json_t *item) {
  return json_is_object(item) ? json_object_get(item, "$patch") : NULL;
}

static bool array_contains(json_t *array, json_t *value) {
  for (size_t i = 0; i < json_array_size(array); i++)
    if (patch_equal(json_array_get(array, i), value, 0))
      return true;
  return false;
}

/* True for list items that are directives rather than content: "$patch: replace" markers and
 * "$patch: delete" items. ("$patch: merge" is the default spelled out, so its item is content.) */
static bool item_is_marker(json_t *item) {
  json_t *d = item_directive(item);
  return d && !(json_is_string(d) && streq(json_string_value(d), "merge"));
}

typedef struct Ranked {
  json_t *item;
  size_t rank;  /* position in the list that orders this group */
  size_t srank; /* position in the live (server) list, NOT_FOUND if new */
  size_t pos;   /* position in the input, for a stable sort */
} Ranked;

static int ranked_cmp(const void *a, const void *b) {
  const Ranked *x = a, *y = b;
  if (x->rank != y->rank)
    return x->rank < y->rank ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Orders a merged list the way Kubernetes does: items named by prio (the patch list, or a
 * $setElementOrder list) follow prio's order; the others ("server-only") keep their order in the live
 * list; the two groups are then interleaved, a server-only item going before a prioritised one when it
 * came first in the live list. Returns a new array. */
static json_t *order_items(json_t *items, json_t *const *prio, size_t n_prio, json_t *server,
                           const char *merge_key) {
  size_t n = json_array_size(items), n_server = json_array_size(server);
  _cleanup_free_ json_t **skeys = xcalloc(n_server ? n_server : 1, sizeof(json_t *));
  for (size_t i = 0; i < n_server; i++)
    skeys[i] = item_key(json_array_get(server, i), merge_key);
  _cleanup_free_ Ranked *pr = xcalloc(n ? n : 1, sizeof(Ranked));
  _cleanup_free_ Ranked *so = xcalloc(n ? n : 1, sizeof(Ranked));
  size_t n_pr = 0, n_so = 0;
  for (size_t i = 0; i < n; i++) {
    json_t *it = json_array_get(items, i), *k = item_key(it, merge_key);
    size_t r = key_index(prio, n_prio, k), sr = key_index(skeys, n_server, k);
    if (r != NOT_FOUND)
      pr[n_pr++] = (Ranked){it, r, sr, i};
    else
      so[n_so++] = (Ranked){it, sr, sr, i};
  }
  qsort(pr, n_pr, sizeof(Ranked), ranked_cmp);
  qsort(so, n_so, sizeof(Ranked), ranked_cmp);
  json_t *out = json_array();
  size_t i = 0, j = 0;
  while (i < n_so || j < n_pr) {
    bool left;
    if (i >= n_so)
      left = false;
    else if (j >= n_pr)
      left = true;
    else
      left = so[i].srank != NOT_FOUND && pr[j].srank != NOT_FOUND && so[i].srank < pr[j].srank;
    json_array_append(out, left ? so[i++].item : pr[j++].item);
  }
  return out;
}

static int smp_object(Smp *s, json_t *dst, json_t *patch, int depth);
static int smp_value(Smp *s, json_t *cur, json_t *patch, int depth, json_t **ret);

/* A list without merge strategy is replaced by the patch list, cleaned of directives: marker items
 * ({"$patch": "replace"}, deletions) are dropped and object items go through the merge against nothing. */
static int smp_atomic_list(Smp *s, json_t *patch, int depth, json_t **ret) {
  if (depth > PATCH_MAX_DEPTH)
    return smp_fail(s, -EBADMSG, "patch is nested deeper than %d levels", PATCH_MAX_DEPTH);
  _cleanup_json_ json_t *out = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(patch, i, e) {
    json_t *d = item_directive(e);
    if (d) {
      if (!json_is_string(d))
        return smp_fail(s, -EBADMSG, "$patch must be a string");
      if (streq(json_string_value(d), "replace") || streq(json_string_value(d), "delete"))
        continue;
    }
    json_t *nv = NULL;
    if (json_is_null(e))
      nv = json_null();
    else if (json_is_array(e)) {
      int r = smp_atomic_list(s, e, depth + 1, &nv);
      if (r < 0)
        return r;
    } else {
      int r = smp_value(s, NULL, e, depth + 1, &nv);
      if (r < 0)
        return r;
    }
    if (nv)
      json_array_append_new(out, nv);
  }
  *ret = TAKE_PTR(out);
  return 0;
}

/* Merges a list with patchStrategy "merge": by merge key for lists of objects, as a set for primitive
 * lists. cur (may be NULL) is the live list; it is not modified, but its object items are merged in place
 * and shared with the new array returned in *ret. */
static int smp_list(Smp *s, json_t *cur, json_t *patch, const PatchMeta *m, int depth, json_t **ret) {
  if (depth > PATCH_MAX_DEPTH)
    return smp_fail(s, -EBADMSG, "patch is nested deeper than %d levels", PATCH_MAX_DEPTH);
  const char *mk = m->merge_key;
  size_t n = json_array_size(patch);
  bool replace = false;
  /* First pass: validate, find the directive items and collect the identities of the others. Members
   * of a primitive list are cleaned here already (objects there are unusual, but may not carry directives
   * into the result), so that they are compared as they will be stored. */
  _cleanup_free_ json_t **prio = xcalloc(n ? n : 1, sizeof(json_t *));
  _cleanup_free_ json_t **deleted = xcalloc(n ? n : 1, sizeof(json_t *));
  _cleanup_json_ json_t *members = json_array();
  size_t n_prio = 0, n_deleted = 0;
  size_t i;
  json_t *e;
  json_array_foreach(patch, i, e) {
    if (json_is_array(e))
      return smp_fail(s, -EINVAL, "lists of lists are not supported");
    json_t *d = item_directive(e);
    if (d) {
      const char *dv = json_string_value(d);
      if (!dv)
        return smp_fail(s, -EBADMSG, "$patch must be a string");
      if (streq(dv, "replace")) {
        replace = true;
        continue;
      }
      if (streq(dv, "delete")) {
        if (!mk)
          return smp_fail(s, -EBADMSG,
                          "$patch: delete needs a merge key; use " DELETE_PREFIX "/<list> for a list of "
                          "primitives");
        json_t *k = json_object_get(e, mk);
        if (!k)
          return smp_fail(s, -EINVAL, "$patch: delete item does not contain the merge key %s", mk);
        deleted[n_deleted++] = k;
        continue;
      }
      if (!streq(dv, "merge"))
        return smp_fail(s, -EBADMSG, "unknown patch type: %s in a list item", dv);
    }
    if (!mk) {
      json_t *nv = NULL;
      int r = json_is_null(e) ? (nv = json_null(), 0) : smp_value(s, NULL, e, depth + 1, &nv);
      if (r < 0)
        return r;
      if (nv) {
        json_array_append_new(members, nv);
        prio[n_prio++] = nv;
      }
      continue;
    }
    if (!json_is_object(e))
      return smp_fail(s, -EINVAL, "expected an object in a list merged by %s, but received a %s", mk,
                      json_is_string(e)   ? "string"
                      : json_is_number(e) ? "number"
                      : json_is_null(e)   ? "null"
                                          : "boolean");
    if (!json_object_get(e, mk))
      return smp_fail(s, -EINVAL, "list item does not contain declared merge key: %s", mk);
    prio[n_prio++] = json_object_get(e, mk);
  }

  _cleanup_json_ json_t *out = json_array();
  if (replace) {
    /* "$patch: replace" inside a list: the other items are the whole new list. */
    if (!mk) {
      *ret = TAKE_PTR(members);
      return 0;
    }
    json_array_foreach(patch, i, e) {
      if (item_is_marker(e))
        continue;
      json_t *nv = NULL;
      int r = smp_value(s, NULL, e, depth + 1, &nv);
      if (r < 0)
        return r;
      if (nv)
        json_array_append_new(out, nv);
    }
    *ret = TAKE_PTR(out);
    return 0;
  }

  /* Live items minus deletions; a primitive list is also made a set, then gains the new members. */
  json_array_foreach(cur, i, e) {
    if (mk && key_index(deleted, n_deleted, item_key(e, mk)) != NOT_FOUND)
      continue;
    if (!mk && array_contains(out, e))
      continue;
    json_array_append(out, e);
  }
  if (!mk) {
    json_array_foreach(members, i, e) {
      if (!array_contains(out, e))
        json_array_append(out, e);
    }
    *ret = order_items(out, prio, n_prio, cur, NULL);
    return 0;
  }

  json_array_foreach(patch, i, e) {
    if (item_is_marker(e))
      continue;
    json_t *k = json_object_get(e, mk), *hit = NULL;
    for (size_t j = 0; j < json_array_size(out) && !hit; j++) {
      json_t *o = json_array_get(out, j);
      if (json_is_object(o) && patch_equal(item_key(o, mk), k, 0))
        hit = o;
    }
    json_t *target = hit ? hit : json_object();
    int r = smp_object(s, target, e, depth + 1);
    if (r < 0) {
      if (!hit)
        json_decref(target);
      return r;
    }
    if (!hit)
      json_array_append_new(out, target);
  }
  *ret = order_items(out, prio, n_prio, cur, mk);
  return 0;
}

/* Applies $setElementOrder/<list> to dst[name] (path already points at the list). server is the live list
 * before this patch, patch_list the patch's own list (may be NULL). Lists without merge strategy have no
 * order to fix: the patch list replaced them. */
static int smp_set_order(Smp *s, json_t *dst, const char *name, size_t nlen, json_t *order, json_t *server,
                         json_t *patch_list) {
  PatchMeta m;
  json_t *cur = json_object_getn(dst, name, nlen);
  if (!json_is_array(cur) || !smp_meta(s, &m) || !m.merge)
    return 0;
  const char *mk = m.merge_key;
  size_t n = json_array_size(order);
  _cleanup_free_ json_t **keys = xcalloc(n ? n : 1, sizeof(json_t *));
  for (size_t i = 0; i < n; i++) {
    json_t *o = json_array_get(order, i);
    if (mk && !json_object_get(o, mk))
      return smp_fail(s, -EINVAL, ORDER_PREFIX "/%.*s: item does not contain declared merge key: %s",
                      (int)nlen, name, mk);
    keys[i] = item_key(o, mk);
  }
  /* The patch list must name a subset of the order list, in the same relative order. */
  size_t at = 0;
  size_t i;
  json_t *e;
  json_array_foreach(patch_list, i, e) {
    if (item_is_marker(e))
      continue;
    json_t *k = item_key(e, mk);
    while (at < n && !(k && patch_equal(keys[at], k, 0)))
      at++;
    if (at == n)
      return smp_fail(s, -EBADMSG,
                      "the order in the patch list does not match the " ORDER_PREFIX "/%.*s list", (int)nlen,
                      name);
    at++;
  }
  set_keyn(dst, name, nlen, order_items(cur, keys, n, server, mk));
  return 0;
}

/* Removes the values listed by $deleteFromPrimitiveList/<list> from dst[name], every copy of them. */
static void smp_delete_from_list(json_t *dst, const char *name, size_t nlen, json_t *values) {
  json_t *cur = json_object_getn(dst, name, nlen);
  if (!json_is_array(cur))
    return;
  json_t *out = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(cur, i, e) {
    if (!array_contains(values, e))
      json_array_append(out, e);
  }
  set_keyn(dst, name, nlen, out);
}

/* Looks up the list directive of the given prefix for a field, e.g. "$setElementOrder/containers". */
static json_t *list_directive(json_t *patch, const char *prefix, const char *name, size_t nlen) {
  size_t pl = strlen(prefix);
  _cleanup_free_ char *key = xmalloc(pl + 1 + nlen + 1);
  memcpy(key, prefix, pl);
  key[pl] = '/';
  memcpy(key + pl + 1, name, nlen);
  key[pl + 1 + nlen] = '\0';
  return json_object_getn(patch, key, pl + 1 + nlen);
}

/* Checks every directive of one patch object before anything is merged, so that a malformed patch fails
 * as a whole whatever its key order. */
static int smp_check_directives(Smp *s, json_t *patch) {
  const char *key;
  size_t klen;
  json_t *v;
  json_object_keylen_foreach(patch, key, klen, v) {
    const char *name;
    size_t nlen;
    switch (directive_of(key, klen, &name, &nlen)) {
    case DIR_MALFORMED:
      return smp_fail(s, -EBADMSG, "invalid patch directive %s: expected %s/<list> or %s/<list>", key,
                      ORDER_PREFIX, DELETE_PREFIX);
    case DIR_RETAIN: {
      if (!json_is_array(v))
        return smp_fail(s, -EBADMSG, "invalid patch format of retainKeys: $retainKeys must be a list");
      size_t i;
      json_t *e;
      json_array_foreach(v, i, e) {
        if (!json_is_string(e))
          return smp_fail(s, -EBADMSG, "invalid patch format of retainKeys: $retainKeys must list strings");
      }
      break;
    }
    case DIR_ORDER:
      if (!json_is_array(v))
        return smp_fail(s, -EBADMSG, "invalid patch format of setElementOrder list: %s must be a list", key);
      break;
    case DIR_DELETE:
      if (!json_is_array(v))
        return smp_fail(s, -EBADMSG, "invalid patch format of primitive list: %s must be a list", key);
      break;
    case DIR_PATCH:
    case DIR_NONE:
      break;
    }
  }
  return 0;
}

/* $retainKeys: every field the patch sets must be listed, and fields of dst not listed are cleared. */
static int smp_retain_keys(Smp *s, json_t *dst, json_t *patch, json_t *retain) {
  const char *key, *name;
  size_t klen, nlen;
  json_t *v;
  json_object_keylen_foreach(patch, key, klen, v) {
    if (json_is_null(v) || directive_of(key, klen, &name, &nlen) != DIR_NONE)
      continue;
    bool listed = false;
    size_t i;
    json_t *e;
    json_array_foreach(retain, i, e) {
      listed = listed || (json_string_length(e) == klen && memcmp(json_string_value(e), key, klen) == 0);
    }
    if (!listed)
      return smp_fail(s, -EBADMSG, "patch content doesn't match retainKeys list: %s is not listed", key);
  }
  void *it = json_object_iter(dst);
  while (it) {
    const char *k = json_object_iter_key(it);
    size_t kl = json_object_iter_key_len(it);
    void *next = json_object_iter_next(dst, it);
    bool listed = false;
    size_t i;
    json_t *e;
    json_array_foreach(retain, i, e) {
      listed = listed || (json_string_length(e) == kl && memcmp(json_string_value(e), k, kl) == 0);
    }
    if (!listed)
      json_object_deln(dst, k, kl);
    it = next;
  }
  return 0;
}

/* Merges patch (an object) into dst (an object we own) in place. Returns 1 if the patch says
 * "$patch: delete", i.e. the caller is to drop the object. */
static int smp_object(Smp *s, json_t *dst, json_t *patch, int depth) {
  if (depth > PATCH_MAX_DEPTH)
    return smp_fail(s, -EBADMSG, "patch is nested deeper than %d levels", PATCH_MAX_DEPTH);
  json_t *d = json_object_get(patch, "$patch");
  if (d) {
    const char *dv = json_string_value(d);
    if (!dv)
      return smp_fail(s, -EBADMSG, "$patch must be a string");
    if (streq(dv, "delete"))
      return 1;
    if (streq(dv, "replace"))
      json_object_clear(dst); /* then merging the rest into nothing yields the patch, cleaned */
    else if (!streq(dv, "merge"))
      return smp_fail(s, -EBADMSG, "unknown patch type: %s in map", dv);
  }
  int r = smp_check_directives(s, patch);
  if (r < 0)
    return r;
  json_t *retain = json_object_get(patch, "$retainKeys");
  if (retain) {
    r = smp_retain_keys(s, dst, patch, retain);
    if (r < 0)
      return r;
  }

  const char *key, *name;
  size_t klen, nlen;
  json_t *v;
  json_object_keylen_foreach(patch, key, klen, v) {
    if (directive_of(key, klen, &name, &nlen) != DIR_NONE)
      continue;
    size_t mark = smp_push(s, key, klen);
    json_t *del = list_directive(patch, DELETE_PREFIX, key, klen);
    if (del)
      smp_delete_from_list(dst, key, klen, del);
    json_t *order = list_directive(patch, ORDER_PREFIX, key, klen);
    _cleanup_json_ json_t *server = json_incref(json_object_getn(dst, key, klen));
    json_t *nv = NULL;
    r = smp_value(s, server, v, depth + 1, &nv);
    if (r >= 0) {
      if (nv)
        set_keyn(dst, key, klen, nv);
      else
        json_object_deln(dst, key, klen);
      if (order)
        r = smp_set_order(s, dst, key, klen, order, server, v);
    }
    smp_pop(s, mark);
    if (r < 0)
      return r;
  }

  /* List directives whose list is not in the patch. */
  json_object_keylen_foreach(patch, key, klen, v) {
    Directive dir = directive_of(key, klen, &name, &nlen);
    if ((dir != DIR_ORDER && dir != DIR_DELETE) || json_object_getn(patch, name, nlen))
      continue;
    if (dir == DIR_DELETE) {
      smp_delete_from_list(dst, name, nlen, v);
      continue;
    }
    size_t mark = smp_push(s, name, nlen);
    json_t *server = json_object_getn(dst, name, nlen);
    _cleanup_json_ json_t *server_ref = json_incref(server);
    r = smp_set_order(s, dst, name, nlen, v, server_ref, NULL);
    smp_pop(s, mark);
    if (r < 0)
      return r;
  }
  return 0;
}

/* The new value of a field whose live value is cur (NULL if absent) after applying patch. *ret is a new
 * reference, or NULL when the field is to be removed (null, "$patch: delete"). */
static int smp_value(Smp *s, json_t *cur, json_t *patch, int depth, json_t **ret) {
  *ret = NULL;
  if (depth > PATCH_MAX_DEPTH)
    return smp_fail(s, -EBADMSG, "patch is nested deeper than %d levels", PATCH_MAX_DEPTH);
  PatchMeta m;
  if (json_is_null(patch))
    return 0;
  if (json_is_object(patch)) {
    bool whole = smp_meta(s, &m) && m.replace;
    _cleanup_json_ json_t *base = json_is_object(cur) && !whole ? json_incref(cur) : json_object();
    int r = smp_object(s, base, patch, depth);
    if (r < 0)
      return r;
    if (r == 0)
      *ret = TAKE_PTR(base);
    return 0;
  }
  if (json_is_array(patch)) {
    if (smp_meta(s, &m) && m.merge)
      return smp_list(s, json_is_array(cur) ? cur : NULL, patch, &m, depth, ret);
    return smp_atomic_list(s, patch, depth, ret);
  }
  *ret = copy_value(patch);
  return 0;
}

int patch_strategic(json_t *target, json_t *patch, const char *group, const char *kind, json_t **ret,
                    Error *err) {
  if (!json_is_object(patch))
    return error_set(err, -EBADMSG, NULL, "invalid strategic merge patch: the body must be a JSON object");
  _cleanup_json_ json_t *doc = json_is_object(target) ? json_deep_copy(target) : json_object();
  if (!doc)
    oom();
  Smp s = {.group = group ? group : "", .kind = kind ? kind : "", .err = err};
  int r = smp_object(&s, doc, patch, 0);
  buf_free(&s.path);
  if (r < 0)
    return r;
  if (r == 1)
    json_object_clear(doc); /* "$patch: delete" at the top leaves an empty object, as Kubernetes does */
  *ret = TAKE_PTR(doc);
  return 0;
}
