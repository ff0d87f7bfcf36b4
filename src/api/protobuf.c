/* The protobuf wire decoder behind k8s_protobuf_decode: it reads the "k8s\0" envelope (runtime.Unknown),
 * looks the object's message table up by apiVersion/kind, and walks the raw bytes field by field, turning
 * each into the JSON that Kubernetes' Go types would produce. The schema tables (schema-*.c, see schema.h)
 * carry field numbers, JSON names and Go pointer-ness; this file carries the wire rules (varint, 64-bit,
 * length-delimited and 32-bit values; groups are refused), the special encodings of Time, MicroTime,
 * Duration, Quantity, IntOrString and RawExtension, and the mapping rules: non-pointer zero values are
 * dropped because Go writes them unconditionally, messages are kept even when empty because their presence
 * means something (emptyDir: {}), unknown field numbers are skipped so that newer clients still work.
 * Every length is checked against what is left of the enclosing message and nesting is capped, because the
 * body is untrusted. */
#include "api/protobuf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <time.h>

#include "api/jsonutil.h"
#include "api/protobuf-internal.h"
#include "base/base64.h"
#include "base/buf.h"

#define PB_MAX_DEPTH 64
#define PB_MAX_FIELD_NUMBER ((UINT64_C(1) << 29) - 1)
#define PB_CONTENT_TYPE "application/vnd.kubernetes.protobuf"
#define PB_MAX_TYPE_NAME 256

/* Go's JSON encoding of metav1.Time refuses years outside 0..9999; so do we. */
#define PB_MIN_UNIX_SECONDS INT64_C(-62167219200) /* 0000-01-01T00:00:00Z */
#define PB_MAX_UNIX_SECONDS INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

static const uint8_t pb_magic[4] = {'k', '8', 's', 0};

typedef enum PbWire {
  PB_WIRE_VARINT = 0,
  PB_WIRE_FIXED64 = 1,
  PB_WIRE_LEN = 2,
  PB_WIRE_GROUP_START = 3,
  PB_WIRE_GROUP_END = 4,
  PB_WIRE_FIXED32 = 5,
} PbWire;

typedef struct PbReader {
  const uint8_t *p;
  const uint8_t *end;
} PbReader;

/* One field as read off the wire, before the table gives it a meaning. */
typedef struct PbValue {
  uint32_t number;
  PbWire wire;
  uint64_t scalar;     /* varint, 64-bit and 32-bit payloads */
  const uint8_t *data; /* length-delimited payload */
  size_t len;
} PbValue;

/* The JSON path of the field being decoded, kept only so that errors can say where they happened. */
typedef struct PbFrame {
  const char *name;
  size_t index;
  bool indexed;
} PbFrame;

typedef struct PbDecoder {
  Error *err;
  unsigned depth; /* message nesting */
  size_t n_frames;
  PbFrame frames[PB_MAX_DEPTH + 2];
} PbDecoder;

_printf_(2, 3) static int pb_fail(PbDecoder *d, const char *fmt, ...) {
  _cleanup_buf_ Buf path = BUF_INIT;
  _cleanup_free_ char *msg = NULL;
  va_list ap;

  for (size_t i = 0; i < MIN(d->n_frames, ELEMENTSOF(d->frames)); i++) {
    if (path.len > 0)
      buf_putc(&path, '.');
    buf_puts(&path, d->frames[i].name);
    if (d->frames[i].indexed)
      buf_printf(&path, "[%zu]", d->frames[i].index);
  }
  va_start(ap, fmt);
  if (vasprintf(&msg, fmt, ap) < 0)
    oom();
  va_end(ap);
  /* The path goes into the message rather than the field argument: this is a decoding failure of the
   * whole body (400), not a field validation cause. */
  if (path.len == 0)
    return error_set(d->err, -EBADMSG, NULL, "invalid protobuf body: %s", msg);
  return error_set(d->err, -EBADMSG, NULL, "invalid protobuf body: %s: %s", path.data, msg);
}

static void pb_push(PbDecoder *d, const char *name) {
  /* The depth limit bounds the frames too: one per message level plus the field being read. */
  if (d->n_frames < ELEMENTSOF(d->frames))
    d->frames[d->n_frames] = (PbFrame){.name = name};
  d->n_frames++;
}

static void pb_pop(PbDecoder *d) {
  d->n_frames--;
}

static void pb_set_index(PbDecoder *d, size_t index) {
  if (d->n_frames > 0 && d->n_frames <= ELEMENTSOF(d->frames)) {
    d->frames[d->n_frames - 1].index = index;
    d->frames[d->n_frames - 1].indexed = true;
  }
}

static int pb_read_varint(PbDecoder *d, PbReader *r, uint64_t *ret) {
  uint64_t v = 0;

  for (unsigned i = 0; i < 10; i++) {
    if (r->p >= r->end)
      return pb_fail(d, "truncated varint");
    uint8_t b = *r->p++;
    /* The tenth byte may only contribute the 64th bit. */
    if (i == 9 && b > 1)
      return pb_fail(d, "varint longer than 64 bits");
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *ret = v;
      return 0;
    }
  }
  return pb_fail(d, "varint longer than 10 bytes"); /* not reached: the tenth byte check catches it */
}

static uint64_t pb_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i > 0; i--)
    v = (v << 8) | p[i - 1];
  return v;
}

static int pb_read_field(PbDecoder *d, PbReader *r, PbValue *ret) {
  uint64_t key, n;
  int k;

  k = pb_read_varint(d, r, &key);
  if (k < 0)
    return k;
  n = key >> 3;
  if (n == 0 || n > PB_MAX_FIELD_NUMBER)
    return pb_fail(d, "invalid field number %" PRIu64, n);

  PbValue v = {.number = (uint32_t)n, .wire = (PbWire)(key & 7)};
  size_t left = (size_t)(r->end - r->p);
  switch (v.wire) {
  case PB_WIRE_VARINT:
    k = pb_read_varint(d, r, &v.scalar);
    if (k < 0)
      return k;
    break;
  case PB_WIRE_FIXED64:
  case PB_WIRE_FIXED32: {
    size_t size = v.wire == PB_WIRE_FIXED64 ? 8 : 4;
    if (left < size)
      return pb_fail(d, "field %" PRIu32 ": truncated %zu-bit value", v.number, size * 8);
    v.scalar = pb_le(r->p, size);
    r->p += size;
    break;
  }
  case PB_WIRE_LEN: {
    uint64_t len;
    k = pb_read_varint(d, r, &len);
    if (k < 0)
      return k;
    left = (size_t)(r->end - r->p);
    if (len > left)
      return pb_fail(
          d, "field %" PRIu32 ": length %" PRIu64 " runs past the end of its message (%zu bytes left)",
          v.number, len, left);
    v.data = r->p;
    v.len = (size_t)len;
    r->p += len;
    break;
  }
  case PB_WIRE_GROUP_START:
  case PB_WIRE_GROUP_END:
    return pb_fail(d, "field %" PRIu32 ": groups (wire type %d) are not supported", v.number, (int)v.wire);
  default:
    return pb_fail(d, "field %" PRIu32 ": invalid wire type %d", v.number, (int)v.wire);
  }
  *ret = v;
  return 0;
}

static int pb_expect(PbDecoder *d, const PbValue *v, PbWire wire, SchemaType type) {
  if (v->wire == wire)
    return 0;
  return pb_fail(d, "field %" PRIu32 ": wire type %d cannot hold a %s", v->number, (int)v->wire,
                 schema_type_to_string(type));
}

/* A JSON string from wire bytes; jansson checks the UTF-8 and we refuse NULs, which would cut the string
 * short for every C consumer downstream. */
static int pb_string(PbDecoder *d, const PbValue *v, const uint8_t *data, size_t len, json_t **ret) {
  if (memchr(data, 0, len))
    return pb_fail(d, "field %" PRIu32 ": string contains a NUL byte", v->number);
  json_t *s = json_stringn((const char *)data, len);
  if (!s)
    return pb_fail(d, "field %" PRIu32 ": string is not valid UTF-8", v->number);
  *ret = s;
  return 0;
}

static int pb_format_time(PbDecoder *d, const PbValue *v, int64_t seconds, int micros, json_t **ret) {
  char buf[48];
  struct tm tm;

  if (seconds < PB_MIN_UNIX_SECONDS || seconds > PB_MAX_UNIX_SECONDS)
    return pb_fail(d, "field %" PRIu32 ": time %" PRId64 " is outside the years 0-9999", v->number, seconds);
  time_t t = (time_t)seconds;
  if (!gmtime_r(&t, &tm))
    return pb_fail(d, "field %" PRIu32 ": time %" PRId64 " cannot be represented", v->number, seconds);
  if (micros < 0)
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
  else
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, micros);
  *ret = json_string(buf);
  return 0;
}

/* metav1.Time and MicroTime {1 seconds, 2 nanos}. An empty message is the zero time, which Go writes for an
 * unset field: *ret stays NULL and the caller leaves the field out. Time keeps whole seconds only (Go's
 * decoder ignores the nanos too); MicroTime keeps microseconds. */
static int pb_time(PbDecoder *d, const PbValue *v, bool micro, json_t **ret) {
  PbReader r = {v->data, v->data + v->len};
  int64_t seconds = 0, nanos = 0;
  int k;

  if (v->len == 0)
    return 0;
  while (r.p < r.end) {
    PbValue f;
    k = pb_read_field(d, &r, &f);
    if (k < 0)
      return k;
    if (f.number != 1 && f.number != 2)
      continue;
    k = pb_expect(d, &f, PB_WIRE_VARINT, f.number == 1 ? SCHEMA_INT64 : SCHEMA_INT32);
    if (k < 0)
      return k;
    if (f.number == 1)
      seconds = (int64_t)f.scalar;
    else
      nanos = (int32_t)(uint32_t)f.scalar;
  }
  if (!micro)
    return pb_format_time(d, v, seconds, -1, ret);

  /* Truncate to microseconds first (toward zero, as Go does), then normalise into [0, 1s); |nanos| < 2^31
   * moves seconds by at most 3, and anything that far out of range is refused by pb_format_time anyway. */
  nanos -= nanos % 1000;
  if (seconds > PB_MAX_UNIX_SECONDS || seconds < PB_MIN_UNIX_SECONDS)
    return pb_format_time(d, v, seconds, 0, ret);
  seconds += nanos / 1000000000;
  nanos %= 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    seconds--;
  }
  return pb_format_time(d, v, seconds, (int)(nanos / 1000), ret);
}

/* Appends ".fff" for the fraction of a unit, without trailing zeros, like Go's time.Duration.String. */
static void pb_put_fraction(Buf *b, uint64_t frac, int digits) {
  char tmp[16];
  if (frac == 0)
    return;
  snprintf(tmp, sizeof(tmp), "%0*" PRIu64, digits, frac);
  size_t n = strlen(tmp);
  while (n > 0 && tmp[n - 1] == '0')
    n--;
  buf_putc(b, '.');
  buf_append(b, tmp, n);
}

/* metav1.Duration {1 nanoseconds}, written the way Go's time.Duration.String does ("1h2m3.5s", "250ms"),
 * because that is what Kubernetes puts in JSON. */
static int pb_duration(PbDecoder *d, const PbValue *v, json_t **ret, bool *ret_zero) {
  PbReader r = {v->data, v->data + v->len};
  _cleanup_buf_ Buf b = BUF_INIT;
  int64_t ns = 0;
  int k;

  while (r.p < r.end) {
    PbValue f;
    k = pb_read_field(d, &r, &f);
    if (k < 0)
      return k;
    if (f.number != 1)
      continue;
    k = pb_expect(d, &f, PB_WIRE_VARINT, SCHEMA_INT64);
    if (k < 0)
      return k;
    ns = (int64_t)f.scalar;
  }

  uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns;
  if (ns < 0)
    buf_putc(&b, '-');
  if (u == 0)
    buf_puts(&b, "0s");
  else if (u < 1000)
    buf_printf(&b, "%" PRIu64 "ns", u);
  else if (u < 1000000) {
    buf_printf(&b, "%" PRIu64, u / 1000);
    pb_put_fraction(&b, u % 1000, 3);
    buf_puts(&b, "\xc2\xb5s"); /* U+00B5 MICRO SIGN, as Go writes it */
  } else if (u < 1000000000) {
    buf_printf(&b, "%" PRIu64, u / 1000000);
    pb_put_fraction(&b, u % 1000000, 6);
    buf_puts(&b, "ms");
  } else {
    uint64_t s = u / 1000000000, h = s / 3600, m = s / 60 % 60;
    if (h > 0)
      buf_printf(&b, "%" PRIu64 "h%" PRIu64 "m", h, m);
    else if (m > 0)
      buf_printf(&b, "%" PRIu64 "m", m);
    buf_printf(&b, "%" PRIu64, s % 60);
    pb_put_fraction(&b, u % 1000000000, 9);
    buf_putc(&b, 's');
  }
  *ret = json_string(b.data);
  *ret_zero = ns == 0;
  return 0;
}

/* resource.Quantity {1 string}. The string is passed through; its syntax is the validator's business, as
 * it is for JSON bodies. A missing string is Go's zero Quantity, "0". */
static int pb_quantity(PbDecoder *d, const PbValue *v, json_t **ret, bool *ret_zero) {
  PbReader r = {v->data, v->data + v->len};
  json_t *s = NULL;
  int k;

  while (r.p < r.end) {
    PbValue f;
    k = pb_read_field(d, &r, &f);
    if (k < 0)
      goto fail;
    if (f.number != 1)
      continue;
    k = pb_expect(d, &f, PB_WIRE_LEN, SCHEMA_STRING);
    if (k < 0)
      goto fail;
    json_decref(s);
    s = NULL;
    k = pb_string(d, &f, f.data, f.len, &s);
    if (k < 0)
      goto fail;
  }
  if (!s)
    s = json_string("0");
  *ret_zero = streq(json_string_value(s), "0");
  *ret = s;
  return 0;
fail:
  json_decref(s);
  return k;
}

/* intstr.IntOrString {1 type (0 int, 1 string), 2 intVal, 3 strVal}: a JSON number or string. */
static int pb_int_or_string(PbDecoder *d, const PbValue *v, json_t **ret, bool *ret_zero) {
  PbReader r = {v->data, v->data + v->len};
  uint64_t type = 0;
  int32_t ival = 0;
  PbValue sval = {0};
  int k;

  while (r.p < r.end) {
    PbValue f;
    k = pb_read_field(d, &r, &f);
    if (k < 0)
      return k;
    switch (f.number) {
    case 1:
    case 2:
      k = pb_expect(d, &f, PB_WIRE_VARINT, f.number == 1 ? SCHEMA_INT64 : SCHEMA_INT32);
      if (k < 0)
        return k;
      if (f.number == 1)
        type = f.scalar;
      else
        ival = (int32_t)(uint32_t)f.scalar;
      break;
    case 3:
      k = pb_expect(d, &f, PB_WIRE_LEN, SCHEMA_STRING);
      if (k < 0)
        return k;
      sval = f;
      break;
    }
  }
  if (type == 0) {
    *ret = json_integer(ival);
    *ret_zero = ival == 0;
    return 0;
  }
  if (type == 1) {
    *ret_zero = sval.len == 0;
    return pb_string(d, v, sval.data ? sval.data : (const uint8_t *)"", sval.len, ret);
  }
  return pb_fail(d, "field %" PRIu32 ": IntOrString type %" PRIu64 " is neither 0 (int) nor 1 (string)",
                 v->number, type);
}

/* runtime.RawExtension and meta/v1 FieldsV1 {1 raw}: JSON carried as bytes. Nothing carried means unset. */
static int pb_raw_extension(PbDecoder *d, const PbValue *v, json_t **ret) {
  PbReader r = {v->data, v->data + v->len};
  PbValue raw = {0};
  json_error_t jerr;
  int k;

  while (r.p < r.end) {
    PbValue f;
    k = pb_read_field(d, &r, &f);
    if (k < 0)
      return k;
    if (f.number != 1)
      continue;
    k = pb_expect(d, &f, PB_WIRE_LEN, SCHEMA_BYTES);
    if (k < 0)
      return k;
    raw = f;
  }
  if (raw.len == 0)
    return 0;
  json_t *j = json_loadb((const char *)raw.data, raw.len, JSON_DECODE_ANY, &jerr);
  if (!j)
    return pb_fail(d, "field %" PRIu32 ": embedded object is not JSON: %s", v->number, jerr.text);
  *ret = j;
  return 0;
}

static int pb_decode_message(PbDecoder *d, const SchemaMessage *m, const uint8_t *data, size_t len,
                             json_t *obj);

/* Decodes one value of the given type. *ret may stay NULL (an unset Time or RawExtension); *ret_zero says
 * whether the value is Go's zero value, which a non-pointer field drops. */
static int pb_decode_value(PbDecoder *d, const SchemaField *f, SchemaType type, const PbValue *v,
                           json_t **ret, bool *ret_zero) {
  int k;

  *ret = NULL;
  *ret_zero = false;
  switch (type) {
  case SCHEMA_STRING:
    k = pb_expect(d, v, PB_WIRE_LEN, type);
    if (k < 0)
      return k;
    *ret_zero = v->len == 0;
    return pb_string(d, v, v->data, v->len, ret);
  case SCHEMA_BYTES: {
    k = pb_expect(d, v, PB_WIRE_LEN, type);
    if (k < 0)
      return k;
    _cleanup_free_ char *b64 = base64_encode(v->data, v->len, false);
    *ret = json_string(b64);
    *ret_zero = v->len == 0;
    return 0;
  }
  case SCHEMA_BOOL:
    k = pb_expect(d, v, PB_WIRE_VARINT, type);
    if (k < 0)
      return k;
    *ret = json_boolean(v->scalar != 0);
    *ret_zero = v->scalar == 0;
    return 0;
  case SCHEMA_INT32:
  case SCHEMA_INT64: {
    k = pb_expect(d, v, PB_WIRE_VARINT, type);
    if (k < 0)
      return k;
    /* int32 values travel sign-extended to 64 bits; the low half is the value. */
    int64_t x = type == SCHEMA_INT32 ? (int64_t)(int32_t)(uint32_t)v->scalar : (int64_t)v->scalar;
    *ret = json_integer(x);
    *ret_zero = x == 0;
    return 0;
  }
  case SCHEMA_DOUBLE: {
    double x;
    k = pb_expect(d, v, PB_WIRE_FIXED64, type);
    if (k < 0)
      return k;
    memcpy(&x, &v->scalar, sizeof(x));
    if (!isfinite(x))
      return pb_fail(d, "field %" PRIu32 ": %g cannot be represented in JSON", v->number, x);
    *ret = json_real(x);
    *ret_zero = x == 0;
    return 0;
  }
  case SCHEMA_MESSAGE: {
    k = pb_expect(d, v, PB_WIRE_LEN, type);
    if (k < 0)
      return k;
    json_t *o = json_object();
    k = pb_decode_message(d, f->message, v->data, v->len, o);
    if (k < 0) {
      json_decref(o);
      return k;
    }
    *ret = o;
    return 0;
  }
  case SCHEMA_TIME:
  case SCHEMA_MICRO_TIME:
  case SCHEMA_DURATION:
  case SCHEMA_QUANTITY:
  case SCHEMA_INT_OR_STRING:
  case SCHEMA_RAW_EXTENSION:
    k = pb_expect(d, v, PB_WIRE_LEN, type);
    if (k < 0)
      return k;
    if (type == SCHEMA_TIME || type == SCHEMA_MICRO_TIME)
      return pb_time(d, v, type == SCHEMA_MICRO_TIME, ret);
    if (type == SCHEMA_DURATION)
      return pb_duration(d, v, ret, ret_zero);
    if (type == SCHEMA_QUANTITY)
      return pb_quantity(d, v, ret, ret_zero);
    if (type == SCHEMA_INT_OR_STRING)
      return pb_int_or_string(d, v, ret, ret_zero);
    return pb_raw_extension(d, v, ret);
  default:
    return pb_fail(d, "field %" PRIu32 ": table error: type %d", v->number, (int)type);
  }
}

/* What Go puts in a map for an entry that carries no value: the zero value of the value type. */
static json_t *pb_zero_value(SchemaType type) {
  switch (type) {
  case SCHEMA_STRING:
  case SCHEMA_BYTES:
    return json_string("");
  case SCHEMA_QUANTITY:
    return json_string("0");
  case SCHEMA_BOOL:
    return json_false();
  case SCHEMA_INT32:
  case SCHEMA_INT64:
  case SCHEMA_INT_OR_STRING:
    return json_integer(0);
  case SCHEMA_DOUBLE:
    return json_real(0);
  case SCHEMA_MESSAGE:
    return json_object();
  default:
    return json_null();
  }
}

/* One map entry {1 key, 2 value}; later entries with the same key win, as in Go. */
static int pb_decode_map_entry(PbDecoder *d, const SchemaField *f, const PbValue *v, json_t *obj) {
  PbReader r = {v->data, v->data + v->len};
  _cleanup_(json_decrefp) json_t *key = NULL;
  _cleanup_(json_decrefp) json_t *value = NULL;
  PbValue val = {0};
  bool have_val = false, zero;
  int k;

  k = pb_expect(d, v, PB_WIRE_LEN, SCHEMA_MAP);
  if (k < 0)
    return k;
  while (r.p < r.end) {
    PbValue e;
    k = pb_read_field(d, &r, &e);
    if (k < 0)
      return k;
    if (e.number == 1) {
      k = pb_expect(d, &e, PB_WIRE_LEN, SCHEMA_STRING);
      if (k < 0)
        return k;
      json_decref(key);
      key = NULL;
      k = pb_string(d, &e, e.data, e.len, &key);
      if (k < 0)
        return k;
    } else if (e.number == 2) {
      val = e;
      have_val = true;
    }
  }
  if (have_val) {
    k = pb_decode_value(d, f, (SchemaType)f->value, &val, &value, &zero);
    if (k < 0)
      return k;
  }
  if (!value)
    value = have_val ? json_null() : pb_zero_value((SchemaType)f->value);

  json_t *map = json_object_get(obj, f->json);
  if (!json_is_object(map)) {
    map = json_object();
    json_object_set_new(obj, f->json, map);
  }
  json_object_set_new(map, key ? json_string_value(key) : "", TAKE_PTR(value));
  return 0;
}

static bool pb_packable(SchemaType type) {
  return type == SCHEMA_BOOL || type == SCHEMA_INT32 || type == SCHEMA_INT64 || type == SCHEMA_DOUBLE;
}

static int pb_append(PbDecoder *d, const SchemaField *f, SchemaType type, const PbValue *v, json_t *obj) {
  json_t *value, *arr;
  bool zero;
  int k;

  arr = json_object_get(obj, f->json);
  pb_set_index(d, json_is_array(arr) ? json_array_size(arr) : 0);
  k = pb_decode_value(d, f, type, v, &value, &zero);
  if (k < 0)
    return k;
  if (!json_is_array(arr)) {
    arr = json_array();
    json_object_set_new(obj, f->json, arr);
  }
  /* Elements are kept even when zero: [""] is a real apiGroups list. */
  json_array_append_new(arr, value ? value : json_null());
  return 0;
}

/* A repeated field arrives one element per occurrence or, for numbers and booleans, packed into a single
 * length-delimited run; Go writes the former, proto3 writers the latter, and both are accepted. */
static int pb_decode_repeated(PbDecoder *d, const SchemaField *f, const PbValue *v, json_t *obj) {
  SchemaType type = (SchemaType)f->type;
  int k;

  if (v->wire != PB_WIRE_LEN || !pb_packable(type))
    return pb_append(d, f, type, v, obj);

  PbReader r = {v->data, v->data + v->len};
  while (r.p < r.end) {
    PbValue e = {.number = v->number};
    if (type == SCHEMA_DOUBLE) {
      if (r.end - r.p < 8)
        return pb_fail(d, "field %" PRIu32 ": truncated packed double", v->number);
      e.wire = PB_WIRE_FIXED64;
      e.scalar = pb_le(r.p, 8);
      r.p += 8;
    } else {
      e.wire = PB_WIRE_VARINT;
      k = pb_read_varint(d, &r, &e.scalar);
      if (k < 0)
        return k;
    }
    k = pb_append(d, f, type, &e, obj);
    if (k < 0)
      return k;
  }
  return 0;
}

static int pb_decode_singular(PbDecoder *d, const SchemaField *f, const PbValue *v, json_t *obj) {
  _cleanup_(json_decrefp) json_t *value = NULL;
  bool zero;
  int k;

  if (f->type == SCHEMA_MESSAGE) {
    /* A message seen twice is merged, as protobuf requires. Empty ones are kept: presence is the point. */
    k = pb_expect(d, v, PB_WIRE_LEN, SCHEMA_MESSAGE);
    if (k < 0)
      return k;
    json_t *o = json_object_get(obj, f->json);
    if (!json_is_object(o)) {
      o = json_object();
      json_object_set_new(obj, f->json, o);
    }
    return pb_decode_message(d, f->message, v->data, v->len, o);
  }

  k = pb_decode_value(d, f, (SchemaType)f->type, v, &value, &zero);
  if (k < 0)
    return k;
  /* The last occurrence wins, so an unset or dropped value also removes an earlier one. */
  if (!value || (zero && !(f->flags & SCHEMA_POINTER)))
    json_object_del(obj, f->json);
  else
    json_object_set_new(obj, f->json, TAKE_PTR(value));
  return 0;
}

static int pb_decode_field(PbDecoder *d, const SchemaField *f, const PbValue *v, json_t *obj) {
  int k;

  if (f->flags & SCHEMA_INLINE) {
    k = pb_expect(d, v, PB_WIRE_LEN, SCHEMA_MESSAGE);
    if (k < 0)
      return k;
    return pb_decode_message(d, f->message, v->data, v->len, obj);
  }

  pb_push(d, f->json);
  if (f->type == SCHEMA_MAP)
    k = pb_decode_map_entry(d, f, v, obj);
  else if (f->flags & SCHEMA_REPEATED)
    k = pb_decode_repeated(d, f, v, obj);
  else
    k = pb_decode_singular(d, f, v, obj);
  pb_pop(d);
  return k;
}

static int pb_decode_message(PbDecoder *d, const SchemaMessage *m, const uint8_t *data, size_t len,
                             json_t *obj) {
  PbReader r = {data, data + len};
  int k = 0;

  if (d->depth >= PB_MAX_DEPTH)
    return pb_fail(d, "%s: messages nested deeper than %d levels", m->name, PB_MAX_DEPTH);
  d->depth++;
  while (r.p < r.end) {
    PbValue v;
    k = pb_read_field(d, &r, &v);
    if (k < 0)
      break;
    const SchemaField *f = schema_field_by_number(m, v.number);
    if (!f) /* a field this server does not know (newer client): skipped, it has been read past already */
      continue;
    k = pb_decode_field(d, f, &v, obj);
    if (k < 0)
      break;
  }
  d->depth--;
  return k;
}

int k8s_protobuf_decode_message(const SchemaMessage *m, const void *data, size_t len, json_t *obj,
                                Error *err) {
  PbDecoder d = {.err = err};
  return pb_decode_message(&d, m, data, len, obj);
}

/* runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}. */
typedef struct PbEnvelope {
  json_t *api_version;
  json_t *kind;
  PbValue raw;
  size_t content_encoding_len;
  json_t *content_type;
} PbEnvelope;

static void pb_envelope_done(PbEnvelope *e) {
  json_decref(e->api_version);
  json_decref(e->kind);
  json_decref(e->content_type);
}

static int pb_envelope_string(PbDecoder *d, const PbValue *v, json_t **slot) {
  int k = pb_expect(d, v, PB_WIRE_LEN, SCHEMA_STRING);
  if (k < 0)
    return k;
  json_decref(*slot);
  *slot = NULL;
  return pb_string(d, v, v->data, v->len, slot);
}

static int pb_decode_envelope(PbDecoder *d, const uint8_t *data, size_t len, PbEnvelope *e) {
  PbReader r = {data, data + len};
  int k;

  while (r.p < r.end) {
    PbValue v;
    k = pb_read_field(d, &r, &v);
    if (k < 0)
      return k;
    switch (v.number) {
    case 1: {
      k = pb_expect(d, &v, PB_WIRE_LEN, SCHEMA_MESSAGE);
      if (k < 0)
        return k;
      PbReader t = {v.data, v.data + v.len};
      while (t.p < t.end) {
        PbValue f;
        k = pb_read_field(d, &t, &f);
        if (k < 0)
          return k;
        if (f.number == 1 || f.number == 2) {
          k = pb_envelope_string(d, &f, f.number == 1 ? &e->api_version : &e->kind);
          if (k < 0)
            return k;
        }
      }
      break;
    }
    case 2:
      k = pb_expect(d, &v, PB_WIRE_LEN, SCHEMA_BYTES);
      if (k < 0)
        return k;
      e->raw = v;
      break;
    case 3:
      k = pb_expect(d, &v, PB_WIRE_LEN, SCHEMA_STRING);
      if (k < 0)
        return k;
      e->content_encoding_len = v.len;
      break;
    case 4:
      k = pb_envelope_string(d, &v, &e->content_type);
      if (k < 0)
        return k;
      break;
    }
  }
  return 0;
}

/* The schema of an envelope's apiVersion ("apps/v1" or "v1") and kind. */
static const SchemaMessage *pb_schema_find(const char *api_version, const char *kind) {
  const char *slash = strchr(api_version, '/');
  if (!slash)
    return schema_for_kind("", api_version, kind);
  _cleanup_free_ char *group = xstrndup(api_version, (size_t)(slash - api_version));
  return schema_for_kind(group, slash + 1, kind);
}

int k8s_protobuf_decode(const void *data, size_t len, json_t **ret, Error *err) {
  _cleanup_(pb_envelope_done) PbEnvelope env = {0};
  _cleanup_(json_decrefp) json_t *obj = NULL;
  PbDecoder d = {.err = err};
  const uint8_t *p = data;
  int k;

  if (len < sizeof(pb_magic) || memcmp(p, pb_magic, sizeof(pb_magic)) != 0)
    return error_set(err, -EBADMSG, NULL,
                     "invalid protobuf body: it does not start with the \"k8s\\0\" prefix");
  k = pb_decode_envelope(&d, p + sizeof(pb_magic), len - sizeof(pb_magic), &env);
  if (k < 0)
    return k;

  const char *api_version = env.api_version ? json_string_value(env.api_version) : "";
  const char *kind = env.kind ? json_string_value(env.kind) : "";
  if (isempty(kind))
    return error_set(err, -EBADMSG, NULL, "invalid protobuf body: the envelope names no kind");
  /* Both are echoed in the error below; real ones are a few dozen bytes. */
  if (strlen(kind) > PB_MAX_TYPE_NAME || strlen(api_version) > PB_MAX_TYPE_NAME)
    return error_set(err, -EBADMSG, NULL, "invalid protobuf body: implausibly long apiVersion or kind");
  if (env.content_encoding_len > 0)
    return error_set(err, -EPROTONOSUPPORT, NULL,
                     "protobuf bodies with a content encoding are not supported");
  if (env.content_type && !isempty(json_string_value(env.content_type)) &&
      !streq(json_string_value(env.content_type), PB_CONTENT_TYPE))
    return error_set(err, -EPROTONOSUPPORT, NULL,
                     "protobuf envelopes that carry anything but " PB_CONTENT_TYPE " are not supported");

  const SchemaMessage *m = pb_schema_find(api_version, kind);
  if (!m)
    return error_set(err, -EPROTONOSUPPORT, NULL,
                     "the protobuf encoding of %s %s is not supported; send application/json", kind,
                     api_version);

  obj = json_object();
  if (!isempty(api_version))
    json_object_set_new(obj, "apiVersion", json_string(api_version));
  json_object_set_new(obj, "kind", json_string(kind));
  k = pb_decode_message(&d, m, env.raw.data ? env.raw.data : p, env.raw.len, obj);
  if (k < 0)
    return k;
  *ret = TAKE_PTR(obj);
  return 0;
}
