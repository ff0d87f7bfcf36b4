/* Kubernetes resource quantities (resource.Quantity of k8s.io/apimachinery): the string forms users write
 * ("500m", "1.5Gi", "12e6", "0.1"), exact comparison, Value()/MilliValue(), and the exact string the API
 * server writes back — the form `kubectl get -o yaml` shows after a round trip. That form is
 * Kubernetes' canonical form ("1.5Gi" -> "1536Mi", "0.5" -> "500m", "1024Mi" -> "1Gi") except where
 * Kubernetes keeps the input verbatim: a fast-path parse of at most 18 digits whose scale is a multiple
 * of 3 (or a binary numeral not divisible by 8) is re-emitted as written, so "1.441", "+1", "01" and
 * "1E3" come back unchanged (kubernetes/kubernetes#138165, pinned by quantity_golden_test.go).
 *
 * Values are exact: a sign, up to QUANTITY_MAX_DIGITS significant decimal digits and a base-10 exponent.
 * Parsing rounds away from zero to nano units as Kubernetes does, caps BinarySI magnitudes at 2^63-1,
 * keeps int32(exponent) of an "e" suffix as Kubernetes does ("1e4294967297" is 10), and accepts what
 * Kubernetes accepts, oddities included ("Mi", "." and "-" parse as zero, "Pi" alone does not). Limits:
 * values needing more than QUANTITY_MAX_DIGITS significant digits, or whose lowest digit lies beyond
 * 10^INT32_MAX, fail with -EBADMSG (Kubernetes accepts the first, wraps or hangs on the second); tiny
 * values with exponents near INT32_MIN round to 1n, where Kubernetes wraps its int32 scale or hangs.
 * A Quantity is a plain value: copy it freely, nothing to free. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

/* Significant digits a value may carry; int64 values with nine decimals need 28. */
#define QUANTITY_MAX_DIGITS 64
/* Size of the verbatim buffer: inputs up to QUANTITY_TEXT_MAX - 1 bytes are re-emitted as written when
 * Kubernetes would; longer ones (dozens of leading zeros) are emitted in canonical form instead. */
#define QUANTITY_TEXT_MAX 64

/* The suffix family a quantity remembers from its input and uses again when serialized. */
typedef enum QuantityFormat {
  QUANTITY_DECIMAL_SI,       /* "12M", "500m": powers of 1000 */
  QUANTITY_BINARY_SI,        /* "12Mi": powers of 1024 */
  QUANTITY_DECIMAL_EXPONENT, /* "12e6" */
  _QUANTITY_FORMAT_MAX,
  _QUANTITY_FORMAT_INVALID = -1,
} QuantityFormat;

/* Read the fields through the functions below; the layout is public only so a Quantity can live on the
 * stack. A zeroed Quantity is 0 in DecimalSI. */
typedef struct Quantity {
  QuantityFormat format;
  bool negative;
  uint8_t n_digits;                 /* 0 for zero */
  int32_t exponent;                 /* value = (-1)^negative * digits * 10^exponent */
  char digits[QUANTITY_MAX_DIGITS]; /* ASCII, no leading or trailing '0', not NUL-terminated */
  char text[QUANTITY_TEXT_MAX];     /* the input when Kubernetes re-emits it verbatim, else "" */
} Quantity;

/* "DecimalSI", "BinarySI", "DecimalExponent" (Go's Format strings); NULL for an invalid value. */
const char *quantity_format_to_string(QuantityFormat f);
QuantityFormat quantity_format_from_string(const char *s);

/* Parses a quantity exactly as resource.ParseQuantity does (no surrounding whitespace). On failure returns
 * -EBADMSG with Kubernetes' message, one of
 *   "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
 *   "unable to parse numeric part of quantity", "unable to parse quantity's suffix",
 * or, past this implementation's limits, "quantity has more than 64 significant digits" /
 * "quantity exponent is out of range". *ret is written only on success. */
int quantity_parse(const char *s, Quantity *ret, Error *err);

/* The quantity as Kubernetes serializes it (String(), MarshalJSON). Never NULL; caller frees. */
char *quantity_canonical(const Quantity *q);

/* -1, 0 or 1 as a < b, a == b, a > b by value (formats do not matter: "1Ki" == "1024"). */
int quantity_cmp(const Quantity *a, const Quantity *b);
/* -1, 0 or 1. */
int quantity_sign(const Quantity *q);
bool quantity_is_zero(const Quantity *q);

/* ceil(q / 10^scale), rounding fractions away from zero as Kubernetes' ScaledValue does for int64-backed
 * quantities ("-1.5" -> -2). Kubernetes lets results outside int64 overflow; these saturate at
 * INT64_MAX / INT64_MIN instead. */
int64_t quantity_scaled_value(const Quantity *q, int32_t scale);
/* Value(): whole units, rounded up ("1.5" -> 2, "1m" -> 1). */
int64_t quantity_value(const Quantity *q);
/* MilliValue(): thousandths, rounded up ("1n" -> 1, "1.5" -> 1500). */
int64_t quantity_milli_value(const Quantity *q);

/* value * 10^scale in the given format, like NewQuantity (scale 0), NewMilliQuantity (scale -3) and
 * NewScaledQuantity; for the agent and controllers that report capacities ("16318504Ki"). */
void quantity_from_scaled(int64_t value, int32_t scale, QuantityFormat format, Quantity *ret);

/* Reads a quantity from a JSON value the way Quantity.UnmarshalJSON does: a string (surrounding Unicode
 * whitespace trimmed) or a number (Kubernetes accepts both); null gives 0. Any other type fails with the
 * regular-expression message. Numbers arrive as jansson integers or doubles, so a real is read back in
 * its shortest round-trip spelling as Go's and JavaScript's JSON encoders write it ("0.5", "1e+21"). */
int quantity_from_json(json_t *v, Quantity *ret, Error *err);

/* Replaces obj[key] (a string or number quantity) with its serialized string, as a decode/encode round
 * trip through the API server does. A missing key or null member is left alone (pointer fields such as
 * emptyDir.sizeLimit decode null as absent). -EBADMSG as quantity_parse on bad input; obj is then
 * unchanged. */
int quantity_canonicalize_json(json_t *obj, const char *key, Error *err);

/* Canonicalizes every member of a ResourceList object (resources.requests/limits, status.capacity, quota
 * hard/used...). A null member becomes "0", as Go decodes it into a map of Quantity. NULL or JSON null
 * list: nothing to do; any other non-object fails with -EBADMSG. Members before a bad one stay rewritten.
 * The message is Kubernetes' own, without the key, so callers can wrap it as the API server does
 * ("Pod in version \"v1\" cannot be handled as a Pod: quantities must match ..."). */
int quantity_canonicalize_resource_list(json_t *list, Error *err);
