/* JSON helpers (see jsonutil.h). YAML decoding walks libyaml's event stream into jansson values. */
#include "api/jsonutil.h"

#include "api/jsonfast.h"

#include <errno.h>
#include <math.h>
#include <yaml.h>

json_t *jpath(json_t *o, const char *dotted) {
  const char *p = dotted;
  while (o && *p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (!json_is_object(o))
      return NULL;
    o = json_object_getn(o, p, n);
    p += n;
    if (*p == '.')
      p++;
  }
  return o;
}

const char *jstr(json_t *o, const char *dotted) {
  json_t *v = jpath(o, dotted);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

int64_t jint(json_t *o, const char *dotted, int64_t def) {
  json_t *v = jpath(o, dotted);
  if (json_is_integer(v))
    return (int64_t)json_integer_value(v);
  if (json_is_real(v))
    return (int64_t)json_real_value(v);
  return def;
}

json_t *jobj(json_t *o, const char *dotted) {
  const char *p = dotted;
  while (*p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    json_t *c = json_object_getn(o, p, n);
    if (!json_is_object(c)) {
      c = json_object();
      json_object_setn_new(o, p, n, c);
    }
    o = c;
    p += n;
    if (*p == '.')
      p++;
  }
  return o;
}

void jset(json_t *o, const char *dotted, json_t *value) {
  const char *last = strrchr(dotted, '.');
  if (!last) {
    json_object_set_new(o, dotted, value);
    return;
  }
  _cleanup_free_ char *parent = xstrndup(dotted, (size_t)(last - dotted));
  json_object_set_new(jobj(o, parent), last + 1, value);
}

void jdel(json_t *o, const char *dotted) {
  const char *last = strrchr(dotted, '.');
  if (!last) {
    json_object_del(o, dotted);
    return;
  }
  _cleanup_free_ char *parent = xstrndup(dotted, (size_t)(last - dotted));
  json_t *p = jpath(o, parent);
  if (json_is_object(p))
    json_object_del(p, last + 1);
}

static int depth_of(json_t *v, int limit) {
  if (limit < 0)
    return 1;
  if (json_is_object(v)) {
    const char *k;
    json_t *c;
    json_object_foreach(v, k, c) if (depth_of(c, limit - 1)) return 1;
  } else if (json_is_array(v)) {
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) if (depth_of(c, limit - 1)) return 1;
  }
  return 0;
}

int json_decode_body(const char *data, size_t len, json_t **ret, Error *err) {
  if (len > BODY_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "the request body is larger than %d bytes", BODY_MAX_BYTES);
  json_error_t je;
  json_t *v = json_loadb(data, len, 0, &je);
  if (!v)
    return error_set(err, -EBADMSG, NULL, "error decoding JSON: %s (line %d, column %d)", je.text, je.line,
                     je.column);
  if (depth_of(v, BODY_MAX_DEPTH)) {
    json_decref(v);
    return error_set(err, -E2BIG, NULL, "the request body is nested deeper than %d levels", BODY_MAX_DEPTH);
  }
  *ret = v;
  return 0;
}

/* YAML 1.1-ish resolution of plain scalars as sigs.k8s.io/yaml (go-yaml v2) does for the common cases. */
static json_t *yaml_plain_scalar(const char *s, size_t n) {
  if (n == 0 || (n == 1 && s[0] == '~') ||
      (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4))))
    return json_null();
  static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
  static const char *const falses[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
  for (size_t i = 0; i < ELEMENTSOF(trues); i++)
    if (strlen(trues[i]) == n && !memcmp(s, trues[i], n))
      return json_true();
  for (size_t i = 0; i < ELEMENTSOF(falses); i++)
    if (strlen(falses[i]) == n && !memcmp(s, falses[i], n))
      return json_false();
  _cleanup_free_ char *t = xstrndup(s, n);
  char *end;
  errno = 0;
  const char *digits = t + (t[0] == '-' || t[0] == '+');
  if (*digits >= '0' && *digits <= '9') {
    long long ll = strtoll(t, &end, 10);
    if (!*end && errno == 0)
      return json_integer(ll);
    if (startswith(digits, "0x")) {
      ll = strtoll(t, &end, 16);
      if (!*end && errno == 0)
        return json_integer(ll);
    }
  }
  if ((*digits >= '0' && *digits <= '9') || *digits == '.') {
    errno = 0;
    double d = strtod(t, &end);
    if (!*end && errno == 0 && isfinite(d) && strpbrk(t, "0123456789"))
      return json_real(d);
  }
  return json_stringn(s, n);
}

typedef struct YamlCtx {
  yaml_parser_t parser;
  Error *err;
  int depth;
} YamlCtx;

static int yaml_node(YamlCtx *c, yaml_event_t *ev, json_t **ret);

static int yaml_next(YamlCtx *c, yaml_event_t *ev) {
  if (!yaml_parser_parse(&c->parser, ev))
    return error_set(c->err, -EBADMSG, NULL, "error converting YAML to JSON: yaml: line %zu: %s",
                     c->parser.problem_mark.line + 1, c->parser.problem ? c->parser.problem : "syntax error");
  return 0;
}

static int yaml_node(YamlCtx *c, yaml_event_t *ev, json_t **ret) {
  int r;
  if (++c->depth > BODY_MAX_DEPTH)
    return error_set(c->err, -E2BIG, NULL, "the YAML document is nested deeper than %d levels",
                     BODY_MAX_DEPTH);
  switch (ev->type) {
  case YAML_SCALAR_EVENT: {
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag)
      *ret = yaml_plain_scalar(v, n);
    else if (ev->data.scalar.tag && streq((const char *)ev->data.scalar.tag, YAML_INT_TAG))
      *ret = yaml_plain_scalar(v, n);
    else
      *ret = json_stringn(v, n);
    break;
  }
  case YAML_SEQUENCE_START_EVENT: {
    json_t *a = json_array();
    for (;;) {
      yaml_event_t e;
      if ((r = yaml_next(c, &e)) < 0) {
        json_decref(a);
        return r;
      }
      if (e.type == YAML_SEQUENCE_END_EVENT) {
        yaml_event_delete(&e);
        break;
      }
      json_t *item = NULL;
      r = yaml_node(c, &e, &item);
      yaml_event_delete(&e);
      if (r < 0) {
        json_decref(a);
        return r;
      }
      json_array_append_new(a, item);
    }
    *ret = a;
    break;
  }
  case YAML_MAPPING_START_EVENT: {
    json_t *o = json_object();
    for (;;) {
      yaml_event_t k;
      if ((r = yaml_next(c, &k)) < 0) {
        json_decref(o);
        return r;
      }
      if (k.type == YAML_MAPPING_END_EVENT) {
        yaml_event_delete(&k);
        break;
      }
      if (k.type != YAML_SCALAR_EVENT) {
        yaml_event_delete(&k);
        json_decref(o);
        return error_set(c->err, -EBADMSG, NULL, "error converting YAML to JSON: unsupported map key");
      }
      _cleanup_free_ char *key = xstrndup((const char *)k.data.scalar.value, k.data.scalar.length);
      yaml_event_delete(&k);
      yaml_event_t v;
      if ((r = yaml_next(c, &v)) < 0) {
        json_decref(o);
        return r;
      }
      json_t *val = NULL;
      r = yaml_node(c, &v, &val);
      yaml_event_delete(&v);
      if (r < 0) {
        json_decref(o);
        return r;
      }
      json_object_set_new(o, key, val);
    }
    *ret = o;
    break;
  }
  case YAML_ALIAS_EVENT:
    return error_set(c->err, -EBADMSG, NULL, "error converting YAML to JSON: aliases are not supported");
  default:
    return error_set(c->err, -EBADMSG, NULL, "error converting YAML to JSON: unexpected event");
  }
  c->depth--;
  return 0;
}

int yaml_decode_body(const char *data, size_t len, json_t **ret, Error *err) {
  if (len > BODY_MAX_BYTES)
    return error_set(err, -E2BIG, NULL, "the request body is larger than %d bytes", BODY_MAX_BYTES);
  YamlCtx c = {.err = err};
  if (!yaml_parser_initialize(&c.parser))
    oom();
  yaml_parser_set_input_string(&c.parser, (const unsigned char *)data, len);
  json_t *doc = NULL;
  int r = 0;
  for (;;) {
    yaml_event_t ev;
    if ((r = yaml_next(&c, &ev)) < 0)
      break;
    yaml_event_type_t t = ev.type;
    if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT ||
        t == YAML_ALIAS_EVENT) {
      if (doc) {
        yaml_event_delete(&ev);
        break; /* only the first document counts */
      }
      r = yaml_node(&c, &ev, &doc);
      yaml_event_delete(&ev);
      if (r < 0)
        break;
      continue;
    }
    yaml_event_delete(&ev);
    if (t == YAML_STREAM_END_EVENT || (t == YAML_DOCUMENT_END_EVENT && doc))
      break;
  }
  yaml_parser_delete(&c.parser);
  if (r < 0) {
    json_decref(doc);
    return r;
  }
  *ret = doc ? doc : json_null();
  return 0;
}

char *json_compact(json_t *o) {
  char *s = json_fast_dumps(o, NULL); /* json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY), faster */
  if (!s)
    oom();
  return s;
}
