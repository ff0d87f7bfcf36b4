/* Field sets (FieldsV1) and the apply merge of server-side apply; see apply-merge.h. The walk is driven by
 * a Shape, what the schema says a value is (struct, map, keyed list, set, atomic), so that the same rules
 * decide what a manager owns and how its configuration merges. */
#include "api/apply-merge.h"

#include "api/jsonutil.h"
#include "base/strv.h"

typedef enum ShapeKind {
  SHAPE_ATOMIC,
  SHAPE_STRUCT, /* fields named by the schema (m), or an unknown object when m is NULL */
  SHAPE_MAP,    /* map[string]V: values are structs of m, or atomic when m is NULL */
  SHAPE_KEYED,  /* list of structs m keyed by key */
  SHAPE_SET,    /* primitive list merged as a set */
} ShapeKind;

typedef struct Shape {
  ShapeKind kind;
  const SchemaMessage *m;
  const char *key;
} Shape;

static Shape shape_by_value(json_t *v) {
  return (Shape){json_is_object(v) ? SHAPE_STRUCT : SHAPE_ATOMIC, NULL, NULL};
}

static Shape shape_of_field(const SchemaField *f, json_t *v) {
  if (!f)
    return shape_by_value(v);
  if (f->flags & SCHEMA_REPEATED) {
    if (f->merge_key && f->type == SCHEMA_MESSAGE && f->message)
      return (Shape){SHAPE_KEYED, f->message, f->merge_key};
    if ((f->patch & SCHEMA_PATCH_MERGE) && !f->merge_key && f->type != SCHEMA_MESSAGE)
      return (Shape){SHAPE_SET, NULL, NULL};
    return (Shape){SHAPE_ATOMIC, NULL, NULL};
  }
  if (f->type == SCHEMA_MESSAGE && f->message)
    return (Shape){SHAPE_STRUCT, f->message, NULL};
  if (f->type == SCHEMA_MAP)
    return (Shape){SHAPE_MAP, f->value == SCHEMA_MESSAGE ? f->message : NULL, NULL};
  return (Shape){SHAPE_ATOMIC, NULL, NULL};
}

static Shape child_shape(Shape p, const char *name, json_t *v) {
  if (p.kind == SHAPE_MAP)
    return p.m ? (Shape){SHAPE_STRUCT, p.m, NULL} : (Shape){SHAPE_ATOMIC, NULL, NULL};
  if (p.kind == SHAPE_STRUCT && p.m)
    return shape_of_field(schema_field_find(p.m, name), v);
  return shape_by_value(v);
}

static Shape item_shape(Shape p) {
  return (Shape){SHAPE_STRUCT, p.m, NULL};
}

/* ---- keys ---- */

static char *fkey(const char *name) {
  return xasprintf("f:%s", name);
}

static char *dump_any(json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  return s ? s : xstrdup("null");
}

/* Kubernetes keys container ports and service ports by their number and protocol together
 * (x-kubernetes-list-map-keys), one patchMergeKey being only the number; the protocol defaults to TCP. */
static const char *second_key(const SchemaMessage *m) {
  if (m && (streq(m->name, "ContainerPort") || streq(m->name, "ServicePort")))
    return "protocol";
  return NULL;
}

static char *kkey(Shape sh, json_t *item) {
  _cleanup_json_ json_t *k = json_pack("{s:O}", sh.key, json_object_get(item, sh.key));
  const char *second = second_key(sh.m);
  if (second) {
    json_t *v = json_object_get(item, second);
    json_object_set_new(k, second, json_is_string(v) ? json_incref(v) : json_string("TCP"));
  }
  _cleanup_free_ char *s = dump_any(k);
  return xasprintf("k:%s", s);
}

static char *vkey(json_t *item) {
  _cleanup_free_ char *s = dump_any(item);
  return xasprintf("v:%s", s);
}

/* True if v is a list whose items all carry the merge key (otherwise it can only be taken whole). */
static bool keyed_ok(json_t *v, const char *key) {
  if (!json_is_array(v))
    return false;
  size_t i;
  json_t *item;
  json_array_foreach(v, i, item) {
    json_t *k = json_object_get(item, key);
    if (!json_is_object(item) || !k || json_is_null(k))
      return false;
  }
  return true;
}

/* Index of the item of arr matching the key fields of keys (an object), or -1. */
static ssize_t find_keyed(json_t *arr, json_t *keys) {
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) {
    if (!json_is_object(item))
      continue;
    const char *k;
    json_t *want;
    bool match = true;
    json_object_foreach(keys, k, want) {
      json_t *have = json_object_get(item, k);
      /* A port without a protocol is the TCP one (see second_key). */
      if (!have && streq(k, "protocol") && json_is_string(want) && streq(json_string_value(want), "TCP"))
        continue;
      if (!have || !json_equal(have, want)) {
        match = false;
        break;
      }
    }
    if (match)
      return (ssize_t)i;
  }
  return -1;
}

static ssize_t find_value(json_t *arr, json_t *v) {
  size_t i;
  json_t *item;
  json_array_foreach(arr, i, item) if (json_equal(item, v)) return (ssize_t)i;
  return -1;
}

/* The item of arr that a "k:" or "v:" set key names, or NULL. */
static json_t *item_for_key(json_t *arr, const char *setkey, ssize_t *ret_index) {
  if (!json_is_array(arr))
    return NULL;
  _cleanup_json_ json_t *k = json_loads(setkey + 2, JSON_DECODE_ANY, NULL);
  if (!k)
    return NULL;
  ssize_t i = setkey[0] == 'k' ? (json_is_object(k) ? find_keyed(arr, k) : -1) : find_value(arr, k);
  if (ret_index)
    *ret_index = i;
  return i < 0 ? NULL : json_array_get(arr, (size_t)i);
}

static json_t *get(json_t *set, const char *key) {
  return set ? json_object_get(set, key) : NULL;
}

static bool is_leaf(json_t *node) {
  return json_object_size(node) == 0;
}

bool fieldset_is_empty(json_t *set) {
  return json_object_size(set) == 0;
}

/* ---- building sets ---- */

static json_t *fs_of(Shape sh, json_t *v) {
  json_t *set = json_object();
  if ((sh.kind == SHAPE_STRUCT || sh.kind == SHAPE_MAP) && json_is_object(v)) {
    const char *k;
    json_t *c;
    json_object_foreach(v, k, c) {
      if (json_is_null(c))
        continue;
      _cleanup_free_ char *key = fkey(k);
      json_object_set_new(set, key, fs_of(child_shape(sh, k, c), c));
    }
  } else if (sh.kind == SHAPE_KEYED && keyed_ok(v, sh.key)) {
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
      _cleanup_free_ char *key = kkey(sh, item);
      json_t *node = fs_of(item_shape(sh), item);
      json_object_set_new(node, ".", json_object());
      json_object_set_new(set, key, node);
    }
  } else if (sh.kind == SHAPE_SET && json_is_array(v)) {
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
      _cleanup_free_ char *key = vkey(item);
      json_object_set_new(set, key, json_object());
    }
  }
  return set;
}

/* obj without the fields the server owns, which no manager ever owns (a view sharing obj's subtrees). */
static json_t *strip(json_t *obj, bool skip_status) {
  static const char *const server_meta[] = {"name",
                                            "namespace",
                                            "uid",
                                            "resourceVersion",
                                            "generation",
                                            "creationTimestamp",
                                            "selfLink",
                                            "managedFields",
                                            "deletionTimestamp",
                                            "deletionGracePeriodSeconds"};
  /* Shallow copies of the two levels changed; everything below is shared with obj, only read. */
  json_t *c = json_is_object(obj) ? json_copy(obj) : json_object();
  json_object_del(c, "apiVersion");
  json_object_del(c, "kind");
  if (skip_status)
    json_object_del(c, "status");
  json_t *meta = json_object_get(c, "metadata");
  if (json_is_object(meta)) {
    meta = json_copy(meta);
    for (size_t i = 0; i < ELEMENTSOF(server_meta); i++)
      json_object_del(meta, server_meta[i]);
    if (json_object_size(meta) == 0)
      json_object_del(c, "metadata");
    else
      json_object_set(c, "metadata", meta);
    json_decref(meta);
  }
  return c;
}

static Shape root_shape(const SchemaMessage *m) {
  return (Shape){SHAPE_STRUCT, m, NULL};
}

json_t *fieldset_from_object(const SchemaMessage *m, json_t *obj, bool skip_status) {
  _cleanup_json_ json_t *c = strip(obj, skip_status);
  return fs_of(root_shape(m), c);
}

/* NULL when nw equals old (or only lost fields). */
static json_t *fs_changed(Shape sh, json_t *old, json_t *nw) {
  if (old && json_equal(old, nw))
    return NULL;
  if (!old || json_is_null(old))
    return fs_of(sh, nw);
  json_t *set = json_object();
  if ((sh.kind == SHAPE_STRUCT || sh.kind == SHAPE_MAP) && json_is_object(nw) && json_is_object(old)) {
    const char *k;
    json_t *c;
    json_object_foreach(nw, k, c) {
      if (json_is_null(c))
        continue;
      json_t *d = fs_changed(child_shape(sh, k, c), json_object_get(old, k), c);
      if (d) {
        _cleanup_free_ char *key = fkey(k);
        json_object_set_new(set, key, d);
      }
    }
  } else if (sh.kind == SHAPE_KEYED && keyed_ok(nw, sh.key) && keyed_ok(old, sh.key)) {
    size_t i;
    json_t *item;
    json_array_foreach(nw, i, item) {
      _cleanup_free_ char *key = kkey(sh, item);
      json_t *o = item_for_key(old, key, NULL);
      json_t *d = o ? fs_changed(item_shape(sh), o, item) : fs_of(item_shape(sh), item);
      if (d && !o)
        json_object_set_new(d, ".", json_object());
      if (d)
        json_object_set_new(set, key, d);
    }
  } else if (sh.kind == SHAPE_SET && json_is_array(nw) && json_is_array(old)) {
    size_t i;
    json_t *item;
    json_array_foreach(nw, i, item) {
      if (find_value(old, item) >= 0)
        continue;
      _cleanup_free_ char *key = vkey(item);
      json_object_set_new(set, key, json_object());
    }
  } else {
    return set; /* an atomic value that changed: a member */
  }
  if (json_object_size(set) == 0) {
    json_decref(set);
    return NULL;
  }
  return set;
}

json_t *fieldset_changed(const SchemaMessage *m, json_t *old, json_t *nw, bool skip_status) {
  _cleanup_json_ json_t *o = strip(old, skip_status), *n = strip(nw, skip_status);
  json_t *d = fs_changed(root_shape(m), o, n);
  return d ? d : json_object();
}

/* ---- set algebra ---- */

void fieldset_union_into(json_t *dst, json_t *src) {
  const char *k;
  json_t *c;
  json_object_foreach(src, k, c) {
    json_t *d = json_object_get(dst, k);
    if (!d)
      json_object_set_new(dst, k, json_deep_copy(c));
    else if (!is_leaf(c) && !is_leaf(d))
      fieldset_union_into(d, c);
    /* else a member already covers what is below it */
  }
}

void fieldset_subtract(json_t *set, json_t *minus) {
  const char *k;
  json_t *c;
  void *tmp;
  json_object_foreach_safe(minus, tmp, k, c) {
    json_t *d = json_object_get(set, k);
    if (!d)
      continue;
    if (is_leaf(c)) {
      json_object_del(set, k);
      continue;
    }
    if (is_leaf(d))
      continue; /* set owns the whole field, minus only parts below it */
    fieldset_subtract(d, c);
    if (is_leaf(d))
      json_object_del(set, k);
  }
}

void fieldset_prune(json_t *set, json_t *obj) {
  const char *k;
  json_t *c;
  void *tmp;
  json_object_foreach_safe(set, tmp, k, c) {
    if (streq(k, "."))
      continue;
    json_t *v = NULL;
    if (startswith(k, "f:"))
      v = json_is_object(obj) ? json_object_get(obj, k + 2) : NULL;
    else if (startswith(k, "k:") || startswith(k, "v:"))
      v = item_for_key(obj, k, NULL);
    if (!v || json_is_null(v)) {
      json_object_del(set, k);
      continue;
    }
    if (is_leaf(c))
      continue;
    fieldset_prune(c, v);
    if (is_leaf(c))
      json_object_del(set, k);
  }
}

static void append_segment(char **path, const char *k) {
  char *n;
  if (startswith(k, "f:")) {
    n = xasprintf("%s.%s", *path, k + 2);
  } else if (startswith(k, "k:")) {
    _cleanup_json_ json_t *keys = json_loads(k + 2, 0, NULL);
    _cleanup_free_ char *inner = xstrdup("");
    const char *f;
    json_t *v;
    json_object_foreach(keys, f, v) {
      _cleanup_free_ char *vs = dump_any(v);
      char *next = xasprintf("%s%s%s=%s", inner, inner[0] ? "," : "", f, vs);
      free(inner);
      inner = next;
    }
    n = xasprintf("%s[%s]", *path, inner);
  } else if (startswith(k, "v:")) {
    n = xasprintf("%s[=%s]", *path, k + 2);
  } else {
    n = xasprintf("%s%s", *path, k);
  }
  free(*path);
  *path = n;
}

static void collect_paths(json_t *set, const char *prefix, char ***out) {
  const char *k;
  json_t *c;
  json_object_foreach(set, k, c) {
    if (streq(k, ".")) {
      strv_push(out, prefix);
      continue;
    }
    char *p = xstrdup(prefix);
    append_segment(&p, k);
    if (is_leaf(c))
      strv_push(out, p);
    else
      collect_paths(c, p, out);
    free(p);
  }
}

char **fieldset_paths(json_t *set) {
  char **out = NULL;
  collect_paths(set, "", &out);
  return out ? out : xcalloc(1, sizeof(char *));
}

/* ---- conflicts ---- */

static void conflicts_walk(json_t *applied, json_t *config, json_t *live, json_t *other, json_t *out) {
  const char *k;
  json_t *a;
  json_object_foreach(applied, k, a) {
    json_t *o = json_object_get(other, k);
    if (!o || streq(k, ".") || startswith(k, "v:"))
      continue; /* set items and the item itself are equal by construction when both exist */
    json_t *cv = NULL, *lv = NULL;
    if (startswith(k, "f:")) {
      cv = json_is_object(config) ? json_object_get(config, k + 2) : NULL;
      lv = json_is_object(live) ? json_object_get(live, k + 2) : NULL;
    } else if (startswith(k, "k:")) {
      cv = item_for_key(config, k, NULL);
      lv = item_for_key(live, k, NULL);
    }
    if (!lv || json_is_null(lv))
      continue; /* nothing there to take away from the other manager */
    if (is_leaf(a)) {
      if (!cv || !json_equal(cv, lv))
        json_object_set_new(out, k, json_object());
      continue;
    }
    json_t *sub = json_object();
    conflicts_walk(a, cv, lv, o, sub);
    if (json_object_size(sub) > 0)
      json_object_set_new(out, k, sub);
    else
      json_decref(sub);
  }
}

json_t *apply_conflicts(json_t *applied, json_t *config, json_t *live, json_t *other) {
  json_t *out = json_object();
  if (other)
    conflicts_walk(applied, config, live, other, out);
  return out;
}

/* ---- merge ---- */

static json_t *merge_value(Shape sh, json_t *live, json_t *cfg, json_t *prev, json_t *others);
static void drop_below(Shape sh, json_t *v, json_t *prev, json_t *others);

/* Removes from holder[name] what prev owns and others do not: the whole field when prev owns it as a
 * member, else the owned parts below it (unowned siblings stay, as in structured-merge-diff); a struct or
 * map left empty that nobody else owns goes too, as Go's omitempty would drop it. */
static void drop_field(Shape sh, json_t *holder, const char *name, json_t *prev, json_t *others) {
  if (is_leaf(prev)) {
    if (!others)
      json_object_del(holder, name);
    return;
  }
  json_t *v = json_object_get(holder, name);
  drop_below(sh, v, prev, others);
  if (!others &&
      ((json_is_object(v) && json_object_size(v) == 0) || (json_is_array(v) && json_array_size(v) == 0)))
    json_object_del(holder, name);
}

static void drop_below(Shape sh, json_t *v, json_t *prev, json_t *others) {
  const char *k;
  json_t *p;
  json_object_foreach(prev, k, p) {
    json_t *o = get(others, k);
    if (startswith(k, "f:") && json_is_object(v)) {
      const char *name = k + 2;
      json_t *c = json_object_get(v, name);
      /* A list item keeps its key fields while any part of it stays. */
      if (c && !(sh.key && streq(sh.key, name)) && !streq_ptr(second_key(sh.m), name))
        drop_field(child_shape(sh, name, c), v, name, p, o);
    } else if (startswith(k, "k:") || startswith(k, "v:")) {
      ssize_t i = -1;
      json_t *item = item_for_key(v, k, &i);
      if (!item)
        continue;
      if (!o)
        json_array_remove(v, (size_t)i);
      else if (!is_leaf(p) && k[0] == 'k')
        drop_below((Shape){SHAPE_STRUCT, sh.m, sh.key}, item, p, o);
    }
  }
}

static json_t *merge_object(Shape sh, json_t *live, json_t *cfg, json_t *prev, json_t *others) {
  json_t *res = json_is_object(live) ? json_deep_copy(live) : json_object();
  const char *k;
  json_t *c;
  json_object_foreach(cfg, k, c) {
    if (json_is_null(c))
      continue;
    _cleanup_free_ char *key = fkey(k);
    json_object_set_new(res, k,
                        merge_value(child_shape(sh, k, c),
                                    json_is_object(live) ? json_object_get(live, k) : NULL, c, get(prev, key),
                                    get(others, key)));
  }
  if (!prev || !json_is_object(live))
    return res;
  json_object_foreach(live, k, c) {
    json_t *cc = json_object_get(cfg, k);
    if (cc && !json_is_null(cc))
      continue;
    _cleanup_free_ char *key = fkey(k);
    json_t *p = get(prev, key);
    if (p)
      drop_field(child_shape(sh, k, c), res, k, p, get(others, key));
  }
  return res;
}

static json_t *merge_keyed(Shape sh, json_t *live, json_t *cfg, json_t *prev, json_t *others) {
  json_t *res = json_array();
  Shape is = {SHAPE_STRUCT, sh.m, sh.key};
  size_t i;
  json_t *item;
  /* The applied order first, then the items only others (or nobody) set, in their live order. */
  json_array_foreach(cfg, i, item) {
    _cleanup_free_ char *key = kkey(sh, item);
    json_t *li = item_for_key(live, key, NULL);
    json_array_append_new(res, merge_object(is, li, item, li ? get(prev, key) : NULL, get(others, key)));
  }
  json_array_foreach(live, i, item) {
    _cleanup_free_ char *key = kkey(sh, item);
    if (item_for_key(cfg, key, NULL))
      continue;
    json_t *p = get(prev, key), *o = get(others, key);
    if (p && !o)
      continue;
    json_t *copy = json_deep_copy(item);
    if (p && !is_leaf(p))
      drop_below(is, copy, p, o);
    json_array_append_new(res, copy);
  }
  return res;
}

static json_t *merge_set(json_t *live, json_t *cfg, json_t *prev, json_t *others) {
  json_t *res = json_deep_copy(cfg);
  size_t i;
  json_t *item;
  json_array_foreach(live, i, item) {
    if (find_value(cfg, item) >= 0)
      continue;
    _cleanup_free_ char *key = vkey(item);
    if (get(prev, key) && !get(others, key))
      continue;
    json_array_append(res, item);
  }
  return res;
}

static json_t *merge_value(Shape sh, json_t *live, json_t *cfg, json_t *prev, json_t *others) {
  switch (sh.kind) {
  case SHAPE_STRUCT:
  case SHAPE_MAP:
    if (json_is_object(cfg))
      return merge_object(sh, live, cfg, prev, others);
    break;
  case SHAPE_KEYED:
    if (keyed_ok(cfg, sh.key) && keyed_ok(live, sh.key))
      return merge_keyed(sh, live, cfg, prev, others);
    break;
  case SHAPE_SET:
    if (json_is_array(cfg) && json_is_array(live))
      return merge_set(live, cfg, prev, others);
    break;
  case SHAPE_ATOMIC:
    break;
  }
  return json_deep_copy(cfg);
}

json_t *apply_merge(const SchemaMessage *m, json_t *live, json_t *config, json_t *prev, json_t *others) {
  return merge_object(root_shape(m), live, config, prev, others);
}
