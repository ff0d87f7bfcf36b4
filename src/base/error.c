/* Implementation of the Error object (see error.h). */
#include "base/error.h"

#include <errno.h>
#include <stdarg.h>

void error_reset(Error *e) {
  if (!e)
    return;
  free(e->reason);
  free(e->message);
  for (size_t i = 0; i < e->n_causes; i++) {
    free(e->causes[i].reason);
    free(e->causes[i].field);
    free(e->causes[i].message);
  }
  memset(e, 0, sizeof *e);
}

static char *vformat(const char *fmt, va_list ap) {
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    oom();
  return s;
}

int error_set(Error *e, int code, const char *field, const char *fmt, ...) {
  if (!e)
    return code;
  error_reset(e);
  va_list ap;
  va_start(ap, fmt);
  char *msg = vformat(fmt, ap);
  va_end(ap);
  e->code = code;
  if (field) {
    e->message = xasprintf("%s: %s", field, msg);
    e->causes[0].field = xstrdup(field);
    e->causes[0].message = msg;
    e->causes[0].reason = xstrdup(code == -EINVAL ? "FieldValueInvalid" : "");
    e->n_causes = 1;
  } else {
    e->message = msg;
  }
  return code;
}

int error_setk(Error *e, int code, int http, const char *reason, const char *fmt, ...) {
  if (!e)
    return code;
  error_reset(e);
  va_list ap;
  va_start(ap, fmt);
  e->message = vformat(fmt, ap);
  va_end(ap);
  e->code = code;
  e->http = http;
  e->reason = reason ? xstrdup(reason) : NULL;
  return code;
}

void error_add_cause(Error *e, const char *reason, const char *field, const char *fmt, ...) {
  if (!e || e->n_causes >= ERROR_MAX_CAUSES)
    return;
  va_list ap;
  va_start(ap, fmt);
  ErrorCause *c = &e->causes[e->n_causes++];
  c->message = vformat(fmt, ap);
  va_end(ap);
  c->reason = xstrdup(reason ? reason : "");
  c->field = field ? xstrdup(field) : NULL;
}

int error_wrap(Error *e, const char *fmt, ...) {
  if (!e)
    return -EIO;
  va_list ap;
  va_start(ap, fmt);
  char *prefix = vformat(fmt, ap);
  va_end(ap);
  char *m = xasprintf("%s%s", prefix, e->message ? e->message : "");
  free(prefix);
  free(e->message);
  e->message = m;
  return e->code;
}

int error_http_status(const Error *e) {
  if (e->http)
    return e->http;
  switch (-e->code) {
  case ENOENT:
    return 404;
  case EEXIST:
  case ECANCELED:
    return 409;
  case EINVAL:
    return 422;
  case EBADMSG:
    return 400;
  case EACCES:
    return 403;
  case EPERM:
    return 401;
  case E2BIG:
    return 413;
  case EPROTONOSUPPORT:
    return 415;
  case EOPNOTSUPP:
    return 405;
  case ENOSYS:
    return 501;
  case ETIME:
    return 504;
  case EAGAIN:
    return 429;
  case ENODATA:
  case EIDRM:
    return 410;
  default:
    return 500;
  }
}

const char *error_reason(const Error *e) {
  if (e->reason)
    return e->reason;
  switch (error_http_status(e)) {
  case 400:
    return "BadRequest";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "NotFound";
  case 405:
    return "MethodNotAllowed";
  case 406:
    return "NotAcceptable";
  case 409:
    return e->code == -EEXIST ? "AlreadyExists" : "Conflict";
  case 410:
    return "Expired";
  case 413:
    return "RequestEntityTooLarge";
  case 415:
    return "UnsupportedMediaType";
  case 422:
    return "Invalid";
  case 429:
    return "TooManyRequests";
  case 501:
    return "NotImplemented";
  case 504:
    return "Timeout";
  default:
    return "InternalError";
  }
}
