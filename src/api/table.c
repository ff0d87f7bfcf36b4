/* Server-side printing entry points and the helpers every printer shares. A resource is looked up in the
 * printer registries of table-core.c, table-workloads.c and table-misc.c; resources without a printer get
 * the generic table Kubernetes' apiserver falls back to (Name and Created At). Objects come straight from
 * users, so every accessor here tolerates missing fields and wrong JSON types and yields what Go would see
 * for a zero-valued field: the printers then produce exactly the cells Kubernetes produces for it. */
#include "api/table.h"

#include <ctype.h>
#include <stdarg.h>

#include "api/table-internal.h"
#include "base/strv.h"

/* Go's zero time.Time (0001-01-01T00:00:00Z) as Unix seconds: Kubernetes treats it as "not set". */
#define GO_ZERO_TIME_UNIX INT64_C(-62135596800)

/* ---------------------------------------------------------------- JSON access */

json_t *table_get(json_t *v, const char *path) {
  const char *p = path ? path : "";
  while (v && *p) {
    if (!json_is_object(v))
      return NULL;
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    v = json_object_getn(v, p, n);
    p += n;
    if (*p == '.')
      p++;
  }
  return v;
}

const char *table_str(json_t *v, const char *path) {
  json_t *s = table_get(v, path);
  return json_is_string(s) ? json_string_value(s) : NULL;
}

const char *table_str0(json_t *v, const char *path) {
  const char *s = table_str(v, path);
  return s ? s : "";
}

const char *table_str_or(json_t *v, const char *path, const char *fallback) {
  const char *s = table_str(v, path);
  return isempty(s) ? fallback : s;
}

bool table_int_p(json_t *v, const char *path, int64_t *ret) {
  json_t *i = table_get(v, path);
  if (!json_is_integer(i))
    return false;
  *ret = (int64_t)json_integer_value(i);
  return true;
}

int64_t table_int(json_t *v, const char *path) {
  int64_t i = 0;
  return table_int_p(v, path, &i) ? i : 0;
}

bool table_bool(json_t *v, const char *path) {
  return json_is_true(table_get(v, path));
}

json_t *table_arr(json_t *v, const char *path) {
  json_t *a = table_get(v, path);
  return json_is_array(a) ? a : NULL;
}

json_t *table_obj(json_t *v, const char *path) {
  json_t *o = table_get(v, path);
  return json_is_object(o) ? o : NULL;
}

size_t table_arr_len(json_t *v, const char *path) {
  return json_array_size(table_arr(v, path));
}

size_t table_obj_len(json_t *v, const char *path) {
  return json_object_size(table_obj(v, path));
}

bool table_present(json_t *v, const char *path) {
  json_t *x = table_get(v, path);
  return x && !json_is_null(x);
}

/* ---------------------------------------------------------------- cells */

void table_cell_str(json_t *cells, const char *s) {
  json_t *j = json_string(s ? s : "");
  /* json_string refuses invalid UTF-8; input decoded by jansson never is, but a cell must not vanish. */
  json_array_append_new(cells, j ? j : json_string(""));
}

void table_cell_int(json_t *cells, int64_t v) {
  json_array_append_new(cells, json_integer((json_int_t)v));
}

void table_cell_bool(json_t *cells, bool v) {
  json_array_append_new(cells, json_boolean(v));
}

void table_cell_buf(json_t *cells, const Buf *b) {
  json_t *j = b->len ? json_stringn(b->data, b->len) : json_string("");
  json_array_append_new(cells, j ? j : json_string(""));
}

void table_cell_fmt(json_t *cells, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    oom();
  va_end(ap);
  table_cell_str(cells, s);
  free(s);
}

void table_cell_age(json_t *cells, json_t *obj, int64_t now) {
  char buf[32];
  table_since(obj, "metadata.creationTimestamp", now, buf);
  table_cell_str(cells, buf);
}

/* ---------------------------------------------------------------- time */

bool table_time(json_t *v, const char *path, int64_t *ret) {
  const char *s = table_str(v, path);
  int64_t t;
  if (isempty(s) || parse_rfc3339(s, &t) < 0 || t <= GO_ZERO_TIME_UNIX)
    return false;
  *ret = t;
  return true;
}

void table_human_duration(int64_t seconds, char buf[static 32]) {
  /* HumanDuration tolerates a second of clock skew and calls anything earlier invalid. */
  if (seconds < -1) {
    snprintf(buf, 32, "<invalid>");
    return;
  }
  format_age(seconds < 0 ? 0 : seconds, buf);
}

void table_since(json_t *v, const char *path, int64_t now, char buf[static 32]) {
  int64_t t;
  if (!table_time(v, path, &t)) {
    snprintf(buf, 32, "<unknown>");
    return;
  }
  table_human_duration(now - t, buf);
}

/* ---------------------------------------------------------------- formatting */

static int cmp_strp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void table_sort_strv(char **strv) {
  size_t n = strv_length(strv);
  if (n > 1)
    qsort(strv, n, sizeof(char *), cmp_strp);
}

void table_join_sorted_unique(Buf *b, char **strv, const char *sep) {
  size_t n = strv_length(strv);
  if (n == 0)
    return;
  table_sort_strv(strv);
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && streq(strv[i], strv[i - 1]))
      continue;
    if (!first)
      buf_puts(b, sep);
    buf_puts(b, strv[i]);
    first = false;
  }
}

void table_put_lower(Buf *b, const char *s) {
  for (; s && *s; s++)
    buf_putc(b, (char)tolower((unsigned char)*s));
}

void table_format_labels(Buf *b, json_t *map) {
  _cleanup_strv_free_ char **pairs = NULL;
  const char *k;
  json_t *v;
  if (json_is_object(map))
    json_object_foreach(map, k, v) {
      if (!json_is_string(v))
        continue;
      _cleanup_free_ char *kv = xasprintf("%s=%s", k, json_string_value(v));
      strv_push(&pairs, kv);
    }
  if (!pairs) {
    buf_puts(b, "<none>");
    return;
  }
  /* labels.Set.String() sorts the whole "k=v" strings, not the keys; keys are unique so nothing dedups. */
  table_join_sorted_unique(b, pairs, ",");
}

/* Label syntax as labels.NewRequirement checks it: a failed check makes Kubernetes print "<error>". */
static bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool valid_label_name(const char *s, size_t n, bool allow_empty) {
  if (n == 0)
    return allow_empty;
  if (n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
      return false;
  return true;
}

static bool valid_dns_subdomain(const char *s, size_t n) {
  if (n == 0 || n > 253)
    return false;
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && s[i] != '.')
      continue;
    size_t len = i - start;
    const char *lab = s + start;
    if (len == 0 || lab[0] == '-' || lab[len - 1] == '-')
      return false;
    for (size_t j = 0; j < len; j++)
      if (!((lab[j] >= 'a' && lab[j] <= 'z') || (lab[j] >= '0' && lab[j] <= '9') || lab[j] == '-'))
        return false;
    start = i + 1;
  }
  return true;
}

static bool valid_label_key(const char *k) {
  const char *slash = strchr(k, '/');
  if (!slash)
    return valid_label_name(k, strlen(k), false);
  if (strchr(slash + 1, '/'))
    return false;
  return valid_dns_subdomain(k, (size_t)(slash - k)) && valid_label_name(slash + 1, strlen(slash + 1), false);
}

typedef struct Requirement {
  const char *key;
  size_t index; /* original position, so equal keys keep their order like Go's small-slice sort */
  char *text;
} Requirement;

static int cmp_requirement(const void *a, const void *b) {
  const Requirement *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c)
    return c;
  return x->index < y->index ? -1 : x->index > y->index;
}

static void free_requirements(Requirement *r, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(r[i].text);
  free(r);
}

bool table_selector_string(Buf *b, json_t *sel) {
  if (!json_is_object(sel))
    return true; /* nil selector: labels.Nothing(), which prints as "" */
  json_t *ml = json_object_get(sel, "matchLabels");
  json_t *me = json_object_get(sel, "matchExpressions");
  if ((ml && !json_is_null(ml) && !json_is_object(ml)) || (me && !json_is_null(me) && !json_is_array(me)))
    return false;
  size_t n = json_object_size(ml) + json_array_size(me);
  if (n == 0)
    return true;
  Requirement *reqs = xcalloc(n, sizeof(Requirement));
  size_t count = 0;
  bool ok = true;
  const char *k;
  json_t *v;
  json_object_foreach(ml, k, v) {
    const char *val = json_is_string(v) ? json_string_value(v) : NULL;
    if (!val || !valid_label_key(k) || !valid_label_name(val, strlen(val), true)) {
      ok = false;
      break;
    }
    reqs[count] = (Requirement){k, count, xasprintf("%s=%s", k, val)};
    count++;
  }
  size_t i;
  json_t *expr;
  json_array_foreach(me, i, expr) {
    if (!ok)
      break;
    const char *key = table_str(expr, "key");
    const char *op = table_str(expr, "operator");
    json_t *vals = table_get(expr, "values");
    if (!key || !op || !valid_label_key(key) || (vals && !json_is_null(vals) && !json_is_array(vals))) {
      ok = false;
      break;
    }
    size_t nv = json_array_size(vals);
    bool in = streq(op, "In"), notin = streq(op, "NotIn");
    if (in || notin) {
      if (nv == 0) {
        ok = false;
        break;
      }
      _cleanup_strv_free_ char **sv = NULL;
      size_t j;
      json_t *x;
      json_array_foreach(vals, j, x) {
        const char *s = json_is_string(x) ? json_string_value(x) : NULL;
        if (!s || !valid_label_name(s, strlen(s), true)) {
          ok = false;
          break;
        }
        strv_push(&sv, s);
      }
      if (!ok)
        break;
      /* Values print sorted; duplicates stay (the requirement keeps them). */
      qsort(sv, nv, sizeof(char *), cmp_strp);
      _cleanup_buf_ Buf t = BUF_INIT;
      buf_printf(&t, "%s %s (", key, in ? "in" : "notin");
      for (j = 0; j < nv; j++) {
        if (j)
          buf_putc(&t, ',');
        buf_puts(&t, sv[j]);
      }
      buf_putc(&t, ')');
      reqs[count] = (Requirement){key, count, buf_steal(&t, NULL)};
    } else if (streq(op, "Exists") || streq(op, "DoesNotExist")) {
      if (nv != 0) {
        ok = false;
        break;
      }
      reqs[count] = (Requirement){key, count, xasprintf("%s%s", streq(op, "Exists") ? "" : "!", key)};
    } else {
      ok = false;
      break;
    }
    count++;
  }
  if (ok) {
    qsort(reqs, count, sizeof(Requirement), cmp_requirement);
    for (size_t j = 0; j < count; j++) {
      if (j)
        buf_putc(b, ',');
      buf_puts(b, reqs[j].text);
    }
  }
  free_requirements(reqs, count);
  return ok;
}

void table_format_selector(Buf *b, json_t *sel) {
  _cleanup_buf_ Buf s = BUF_INIT;
  if (!table_selector_string(&s, sel))
    buf_puts(b, "<error>");
  else if (s.len == 0)
    buf_puts(b, "<none>");
  else
    buf_append(b, s.data, s.len);
}

void table_containers(json_t *containers, Buf *names, Buf *images) {
  size_t i;
  json_t *c;
  if (!json_is_array(containers))
    return;
  json_array_foreach(containers, i, c) {
    if (i > 0) {
      buf_putc(names, ',');
      buf_putc(images, ',');
    }
    buf_puts(names, table_str0(c, "name"));
    buf_puts(images, table_str0(c, "image"));
  }
}

static bool has_access_mode(json_t *modes, const char *mode) {
  size_t i;
  json_t *m;
  json_array_foreach(modes, i, m) {
    if (json_is_string(m) && streq(json_string_value(m), mode))
      return true;
  }
  return false;
}

void table_access_modes(Buf *b, json_t *modes) {
  static const struct {
    const char *mode, *abbrev;
  } order[] = {
      {"ReadWriteOnce", "RWO"},
      {"ReadOnlyMany", "ROX"},
      {"ReadWriteMany", "RWX"},
      {"ReadWriteOncePod", "RWOP"},
  };
  if (!json_is_array(modes))
    return;
  bool first = true;
  for (size_t i = 0; i < ELEMENTSOF(order); i++) {
    if (!has_access_mode(modes, order[i].mode))
      continue;
    if (!first)
      buf_putc(b, ',');
    buf_puts(b, order[i].abbrev);
    first = false;
  }
}

const char *table_quantity(json_t *q, char buf[static 64]) {
  if (json_is_string(q))
    return json_string_value(q);
  if (json_is_integer(q)) {
    snprintf(buf, 64, "%lld", (long long)json_integer_value(q));
    return buf;
  }
  if (json_is_real(q)) {
    snprintf(buf, 64, "%.15g", json_real_value(q));
    return buf;
  }
  return "0";
}

/* ---------------------------------------------------------------- default table and dispatch */

/* What the apiserver's default TableConvertor shows for resources without a printer (roles, clusterroles,
 * limitranges, custom resources without additionalPrinterColumns...). */
static const TableColumn default_columns[] = {
    TABLE_COL_NAME,
    {"Created At", "date", "", 0, "Time the object was created, in UTC."},
};

static void default_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  int64_t t;
  if (!table_time(obj, "metadata.creationTimestamp", &t)) {
    /* Go formats the zero time too: a missing timestamp prints as year 1. */
    table_cell_str(cells, "0001-01-01T00:00:00Z");
    return;
  }
  char buf[32];
  format_rfc3339(t, buf);
  table_cell_str(cells, buf);
}

static const TablePrinter default_printer = TABLE_PRINTER("", "", default_columns, default_row);

static const TablePrinter *find_in(const TablePrinter *list, size_t n, const char *group,
                                   const char *resource) {
  for (size_t i = 0; i < n; i++)
    if (streq(list[i].group, group) && streq(list[i].resource, resource))
      return &list[i];
  return NULL;
}

static const TablePrinter *find_printer(const char *group, const char *resource) {
  const TablePrinter *p;
  if (!group)
    group = "";
  if (!resource)
    return &default_printer;
  if ((p = find_in(table_core_printers, table_core_printers_len, group, resource)) ||
      (p = find_in(table_workload_printers, table_workload_printers_len, group, resource)) ||
      (p = find_in(table_misc_printers, table_misc_printers_len, group, resource)))
    return p;
  return &default_printer;
}

json_t *table_columns(const char *group, const char *resource) {
  const TablePrinter *p = find_printer(group, resource);
  json_t *cols = json_array();
  for (size_t i = 0; i < p->n_columns; i++) {
    const TableColumn *c = &p->columns[i];
    json_array_append_new(cols,
                          json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", c->name, "type", c->type, "format",
                                    c->format, "description", c->description, "priority", c->priority));
  }
  return cols;
}

json_t *table_cells(const char *group, const char *resource, json_t *obj, int64_t now_unix) {
  const TablePrinter *p = find_printer(group, resource);
  json_t *cells = json_array();
  p->row(obj, now_unix, cells);
  /* A printer that miscounts would shift every column in kubectl's output; keep the row well-formed. */
  while (json_array_size(cells) < p->n_columns)
    table_cell_str(cells, "");
  while (json_array_size(cells) > p->n_columns)
    json_array_remove(cells, json_array_size(cells) - 1);
  return cells;
}
