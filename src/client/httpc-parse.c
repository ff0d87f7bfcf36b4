/* The pure parts of the HTTP client (see httpc.h): URLs, response heads, the chunked decoder and
 * percent-encoding. No I/O here, so that unit tests and fuzzers can drive every byte boundary. */
#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "client/httpc.h"

/* ---- URLs ---- */

static bool url_char_ok(unsigned char c) {
  return c > 0x20 && c < 0x7f;
}

int httpc_url_parse(const char *url, HttpcUrl *ret) {
  if (!url)
    return -EINVAL;
  bool https;
  const char *p;
  if (strncasecmp(url, "https://", 8) == 0) {
    https = true;
    p = url + 8;
  } else if (strncasecmp(url, "http://", 7) == 0) {
    https = false;
    p = url + 7;
  } else {
    return -EINVAL;
  }
  for (const char *q = p; *q; q++)
    if (!url_char_ok((unsigned char)*q))
      return -EINVAL;
  size_t alen = strcspn(p, "/?#");
  const char *auth_end = p + alen;
  if (memchr(p, '@', alen))
    return -EINVAL; /* user info: credentials belong in headers */
  const char *host, *host_end, *port = NULL;
  if (*p == '[') {
    host = p + 1;
    host_end = memchr(host, ']', (size_t)(auth_end - host));
    if (!host_end || host_end == host)
      return -EINVAL;
    for (const char *q = host; q < host_end; q++)
      if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.')
        return -EINVAL;
    const char *after = host_end + 1;
    if (after < auth_end) {
      if (*after != ':')
        return -EINVAL;
      port = after + 1;
    }
  } else {
    host = p;
    const char *colon = memchr(p, ':', alen);
    host_end = colon ? colon : auth_end;
    if (colon)
      port = colon + 1;
    for (const char *q = host; q < host_end; q++)
      if (!isalnum((unsigned char)*q) && *q != '-' && *q != '.' && *q != '_')
        return -EINVAL;
  }
  if (host_end == host)
    return -EINVAL;
  unsigned long portnum = https ? 443 : 80;
  if (port && port < auth_end) {
    portnum = 0;
    for (const char *q = port; q < auth_end; q++) {
      if (!isdigit((unsigned char)*q))
        return -EINVAL;
      portnum = portnum * 10 + (unsigned long)(*q - '0');
      if (portnum > 65535)
        return -EINVAL;
    }
    if (portnum == 0)
      return -EINVAL;
  } else if (port) {
    return -EINVAL; /* "host:" */
  }
  const char *t = auth_end;
  size_t tlen = strcspn(t, "#");
  HttpcUrl u = {.https = https, .port = (uint16_t)portnum};
  u.host = xstrndup(host, (size_t)(host_end - host));
  for (char *q = u.host; *q; q++)
    *q = (char)tolower((unsigned char)*q);
  if (tlen == 0 || *t != '/')
    u.target = xasprintf("/%.*s", (int)tlen, t);
  else
    u.target = xstrndup(t, tlen);
  *ret = u;
  return 0;
}

void httpc_url_done(HttpcUrl *u) {
  if (!u)
    return;
  free(u->host);
  free(u->target);
  *u = (HttpcUrl){0};
}

void httpc_url_put_authority(Buf *b, const HttpcUrl *u) {
  bool v6 = strchr(u->host, ':') != NULL;
  buf_printf(b, v6 ? "[%s]" : "%s", u->host);
  if (u->port != (u->https ? 443 : 80))
    buf_printf(b, ":%u", (unsigned)u->port);
}

char *httpc_url_resolve(const HttpcUrl *base, const char *location) {
  if (isempty(location))
    return NULL;
  for (const char *q = location; *q; q++)
    if (!url_char_ok((unsigned char)*q))
      return NULL;
  /* Another scheme ("ftp:", "javascript:") is refused; a relative path never starts with "x:". */
  size_t sl = strspn(location, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
  if (sl > 0 && location[sl] == ':' && strncasecmp(location, "http:", 5) != 0 &&
      strncasecmp(location, "https:", 6) != 0)
    return NULL;
  Buf b = BUF_INIT;
  if (strncasecmp(location, "http://", 7) == 0 || strncasecmp(location, "https://", 8) == 0) {
    buf_puts(&b, location);
  } else if (location[0] == '/' && location[1] == '/') {
    buf_printf(&b, "%s:%s", base->https ? "https" : "http", location);
  } else {
    buf_printf(&b, "%s://", base->https ? "https" : "http");
    httpc_url_put_authority(&b, base);
    if (location[0] == '/') {
      buf_puts(&b, location);
    } else if (location[0] == '?') {
      buf_append(&b, base->target, strcspn(base->target, "?"));
      buf_puts(&b, location);
    } else {
      /* Relative to the base's directory; dot segments are left to the server. */
      size_t plen = strcspn(base->target, "?");
      const char *slash = base->target;
      for (const char *q = base->target; q < base->target + plen; q++)
        if (*q == '/')
          slash = q;
      buf_append(&b, base->target, (size_t)(slash - base->target) + 1);
      buf_puts(&b, location);
    }
  }
  HttpcUrl check;
  if (httpc_url_parse(b.data, &check) < 0) {
    buf_free(&b);
    return NULL;
  }
  httpc_url_done(&check);
  return buf_steal(&b, NULL);
}

void httpc_put_escaped(Buf *b, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
      buf_putc(b, (char)*p);
    } else {
      buf_putc(b, '%');
      buf_putc(b, hex[*p >> 4]);
      buf_putc(b, hex[*p & 15]);
    }
  }
}

/* ---- heads ---- */

size_t httpc_head_length(const char *data, size_t len) {
  /* The end is an empty line: "\n\r\n" or "\n\n" (a bare LF is tolerated, as most clients do). */
  for (size_t i = 0; i < len; i++) {
    if (data[i] != '\n')
      continue;
    if (i + 1 < len && data[i + 1] == '\n')
      return i + 2;
    if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n')
      return i + 3;
  }
  return 0;
}

static bool is_token_char(unsigned char c) {
  return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void trim(const char **p, const char **end) {
  while (*p < *end && (**p == ' ' || **p == '\t'))
    (*p)++;
  while (*end > *p && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
    (*end)--;
}

int httpc_head_parse(const char *data, size_t len, HttpcHead *ret) {
  const char *p = data, *end = data + len;
  const char *nl = memchr(p, '\n', len);
  if (!nl)
    return -EBADMSG;
  /* "HTTP/1.x SSS[ reason]" */
  const char *le = nl;
  if (le > p && le[-1] == '\r')
    le--;
  size_t sl = (size_t)(le - p);
  if (sl < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)p[7]) || p[8] != ' ' ||
      !isdigit((unsigned char)p[9]) || !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]) ||
      (sl > 12 && p[12] != ' ') || p[9] == '0')
    return -EBADMSG;
  HttpcHead h = {.minor = p[7] - '0', .status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0')};
  size_t cap = 0;
  p = nl + 1;
  while (p < end) {
    nl = memchr(p, '\n', (size_t)(end - p));
    const char *line_end = nl ? nl : end;
    const char *e = line_end;
    if (e > p && e[-1] == '\r')
      e--;
    if (e == p)
      break; /* the empty line */
    if (*p == ' ' || *p == '\t') {
      /* obs-fold: continues the previous value */
      if (h.n_headers == 0)
        goto bad;
      const char *v = p, *ve = e;
      trim(&v, &ve);
      HttpcHeader *last = &h.headers[h.n_headers - 1];
      char *joined = xasprintf("%s %.*s", last->value, (int)(ve - v), v);
      free(last->value);
      last->value = joined;
    } else {
      const char *colon = memchr(p, ':', (size_t)(e - p));
      if (!colon || colon == p)
        goto bad;
      for (const char *q = p; q < colon; q++)
        if (!is_token_char((unsigned char)*q))
          goto bad;
      if (h.n_headers == HTTPC_HEADERS_MAX) {
        httpc_head_done(&h);
        return -E2BIG;
      }
      if (h.n_headers == cap) {
        cap = cap ? cap * 2 : 16;
        h.headers = xrealloc(h.headers, cap * sizeof *h.headers);
      }
      const char *v = colon + 1, *ve = e;
      trim(&v, &ve);
      h.headers[h.n_headers++] =
          (HttpcHeader){xstrndup(p, (size_t)(colon - p)), xstrndup(v, (size_t)(ve - v))};
    }
    if (!nl)
      break;
    p = nl + 1;
  }
  *ret = h;
  return 0;
bad:
  httpc_head_done(&h);
  return -EBADMSG;
}

void httpc_head_done(HttpcHead *h) {
  if (!h)
    return;
  for (size_t i = 0; i < h->n_headers; i++) {
    free(h->headers[i].name);
    free(h->headers[i].value);
  }
  free(h->headers);
  *h = (HttpcHead){0};
}

const char *httpc_head_get_nth(const HttpcHead *h, const char *name, size_t nth) {
  for (size_t i = 0; i < h->n_headers; i++)
    if (strcasecmp(h->headers[i].name, name) == 0 && nth-- == 0)
      return h->headers[i].value;
  return NULL;
}

bool httpc_head_has_token(const HttpcHead *h, const char *name, const char *token) {
  size_t tl = strlen(token);
  const char *v;
  for (size_t n = 0; (v = httpc_head_get_nth(h, name, n)); n++) {
    while (*v) {
      while (*v == ' ' || *v == '\t' || *v == ',')
        v++;
      size_t l = strcspn(v, ",");
      const char *e = v + l;
      while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
      if ((size_t)(e - v) == tl && strncasecmp(v, token, tl) == 0)
        return true;
      v += l;
    }
  }
  return false;
}

/* ---- chunked ---- */

enum {
  CH_SIZE,      /* hex digits of the chunk size */
  CH_SIZE_REST, /* spaces or a ";ext" up to the line end */
  CH_SIZE_LF,   /* after the CR of the size line */
  CH_DATA,      /* remaining bytes of data */
  CH_DATA_CR,   /* the CRLF after the data */
  CH_DATA_LF,
  CH_TRAILER,    /* start of a trailer line (or of the final empty line) */
  CH_TRAILER_IN, /* inside a trailer line */
  CH_TRAILER_LF, /* after the CR of a trailer line */
  CH_END_LF,     /* after the CR of the final empty line */
  CH_DONE,
};

#define CHUNK_LINE_MAX 4096
#define CHUNK_TRAILER_MAX (64u * 1024)

int httpc_chunked_feed(HttpcChunked *d, const char *in, size_t len, size_t *ret_used, HttpcDataFn fn,
                       void *userdata) {
  size_t i = 0;
  int rc = 0;
  while (i < len && d->state != CH_DONE) {
    char c = in[i];
    switch (d->state) {
    case CH_SIZE: {
      int v = isdigit((unsigned char)c) ? c - '0'
              : (c >= 'a' && c <= 'f')  ? c - 'a' + 10
              : (c >= 'A' && c <= 'F')  ? c - 'A' + 10
                                        : -1;
      if (v >= 0) {
        if (d->remaining >> 59)
          goto bad; /* over 2^63: nobody sends that */
        d->remaining = d->remaining * 16 + (uint64_t)v;
        d->line++;
        i++;
      } else {
        if (d->line == 0)
          goto bad;
        d->state = CH_SIZE_REST;
      }
      break;
    }
    case CH_SIZE_REST:
      i++;
      if (++d->line > CHUNK_LINE_MAX)
        goto bad;
      if (c == '\r')
        d->state = CH_SIZE_LF;
      else if (c == '\n')
        goto size_done;
      break;
    case CH_SIZE_LF:
      if (c != '\n')
        goto bad;
      i++;
    size_done:
      d->line = 0;
      d->state = d->remaining ? CH_DATA : CH_TRAILER;
      break;
    case CH_DATA: {
      size_t n = (size_t)MIN((uint64_t)(len - i), d->remaining);
      if (fn && (rc = fn(in + i, n, userdata)) < 0) {
        *ret_used = i + n;
        return rc;
      }
      i += n;
      d->remaining -= n;
      if (!d->remaining)
        d->state = CH_DATA_CR;
      break;
    }
    case CH_DATA_CR:
      i++;
      if (c == '\r')
        d->state = CH_DATA_LF;
      else if (c == '\n')
        d->state = CH_SIZE;
      else
        goto bad;
      break;
    case CH_DATA_LF:
      if (c != '\n')
        goto bad;
      i++;
      d->state = CH_SIZE;
      break;
    case CH_TRAILER:
      i++;
      if (c == '\r') {
        d->state = CH_END_LF;
      } else if (c == '\n') {
        d->state = CH_DONE;
      } else {
        d->state = CH_TRAILER_IN;
        d->trailer++;
      }
      break;
    case CH_TRAILER_IN:
      i++;
      if (++d->trailer > CHUNK_TRAILER_MAX)
        goto bad;
      if (c == '\r')
        d->state = CH_TRAILER_LF;
      else if (c == '\n')
        d->state = CH_TRAILER;
      break;
    case CH_TRAILER_LF:
      if (c != '\n')
        goto bad;
      i++;
      d->state = CH_TRAILER;
      break;
    case CH_END_LF:
      if (c != '\n')
        goto bad;
      i++;
      d->state = CH_DONE;
      break;
    default:
      goto bad;
    }
  }
  *ret_used = i;
  return d->state == CH_DONE ? 1 : 0;
bad:
  *ret_used = i;
  return -EBADMSG;
}
