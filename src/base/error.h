/* The one error convention of coracle (crun/systemd style): fallible functions return int, >= 0 on success
 * and a negative errno-style value on failure. When a message must reach a user, the last parameter is an
 * Error that carries what Kubernetes puts in a Status: HTTP code, reason, message and per-field causes.
 * error_set() fills it and returns the negative value so raising is one line:
 *     return error_set(err, -EINVAL, "spec.replicas", "must be greater than or equal to 0");
 * The Error may be NULL when the caller does not want details. */
#pragma once

#include "base/util.h"

#define ERROR_MAX_CAUSES 32

typedef struct ErrorCause {
  char *reason; /* Kubernetes CauseType: FieldValueInvalid, FieldValueRequired, FieldValueNotSupported... */
  char *field;  /* field path such as "spec.replicas"; may be NULL */
  char *message;
} ErrorCause;

typedef struct Error {
  int code;      /* negative errno, 0 when unset */
  int http;      /* HTTP status for the API (404, 409, 422...), 0 = derive from code */
  char *reason;  /* Kubernetes StatusReason ("NotFound", "AlreadyExists", "Invalid"...) */
  char *message; /* the whole human message */
  ErrorCause causes[ERROR_MAX_CAUSES];
  size_t n_causes;
  int retry_after; /* seconds, for 429/500 with details.retryAfterSeconds; 0 = none */
} Error;

#define ERROR_INIT                                                                                           \
  { 0 }

/* Frees what an Error holds and resets it; safe on a zeroed or NULL Error. */
void error_reset(Error *e);
static inline void error_resetp(Error *e) {
  error_reset(e);
}
#define _cleanup_error_ _cleanup_(error_resetp)

/* Sets code and message (printf format); field may be NULL. The HTTP status and reason are derived from
 * the errno value (see error_http_status). Returns code. */
int error_set(Error *e, int code, const char *field, const char *fmt, ...) _printf_(4, 5);

/* Sets everything explicitly: an HTTP status and a Kubernetes reason. Returns code. */
int error_setk(Error *e, int code, int http, const char *reason, const char *fmt, ...) _printf_(5, 6);

/* Appends a field cause (for 422 Invalid) without touching the message; the caller finishes with
 * error_finish_invalid(). */
void error_add_cause(Error *e, const char *reason, const char *field, const char *fmt, ...) _printf_(4, 5);

/* Prefixes the message with context while unwinding ("decoding body: " + message). Returns e->code. */
int error_wrap(Error *e, const char *fmt, ...) _printf_(2, 3);

/* HTTP status for an Error: explicit e->http, else from the errno (ENOENT 404, EEXIST 409, ECANCELED 409,
 * EINVAL 422, EBADMSG 400, EACCES 403, EPERM 401, E2BIG 413, EPROTONOSUPPORT 415, EOPNOTSUPP 405, ENOSYS 501,
 * ETIME 504, EAGAIN 429, ENODATA/EIDRM 410, others 500). */
int error_http_status(const Error *e);
/* Kubernetes reason for an Error: explicit or derived like error_http_status. */
const char *error_reason(const Error *e);
