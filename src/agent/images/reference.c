/* Image reference parsing and normalisation (see reference.h). The input is split from the right: the digest
 * after the first '@', then a tag after the last ':' that follows the last '/', then the registry as the
 * first path component when it looks like a host (has a '.' or a ':', is "localhost", or has capitals),
 * the way Docker decides it. Every piece is checked against the distribution grammar by small scanners. */
#include "agent/images/reference.h"

#include <ctype.h>
#include <errno.h>

#include "base/buf.h"

static bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c) {
  return isalnum((unsigned char)c) != 0;
}

static bool is_word(char c) {
  return is_alnum(c) || c == '_';
}

static bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool image_ref_tag_valid(const char *tag) {
  size_t n = strlen(tag);
  if (n == 0 || n > IMAGE_REF_MAX_TAG || !is_word(tag[0]))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!is_word(tag[i]) && tag[i] != '.' && tag[i] != '-')
      return false;
  return true;
}

bool image_ref_digest_valid(const char *digest) {
  if (!startswith(digest, "sha256:") || strlen(digest) != 7 + 64)
    return false;
  for (size_t i = 7; i < 7 + 64; i++)
    if (!is_lower_hex(digest[i]))
      return false;
  return true;
}

/* One path component: [a-z0-9]+ joined by '.', '_', '__' or one or more '-'. Reports uppercase letters
 * separately because that is the mistake users make. */
static int check_path_component(const char *p, size_t n, bool *ret_upper) {
  if (n == 0)
    return -EINVAL;
  size_t i = 0;
  for (;;) {
    size_t start = i;
    while (i < n && (is_lower_alnum(p[i]) || isupper((unsigned char)p[i]))) {
      if (isupper((unsigned char)p[i]))
        *ret_upper = true;
      i++;
    }
    if (i == start)
      return -EINVAL; /* empty run: leading, trailing or doubled separator */
    if (i == n)
      return 0;
    if (p[i] == '.') {
      i++;
    } else if (p[i] == '_') {
      i++;
      if (i < n && p[i] == '_')
        i++;
    } else if (p[i] == '-') {
      while (i < n && p[i] == '-')
        i++;
    } else {
      return -EINVAL;
    }
  }
}

/* host[:port] where host is dot-separated labels of letters, digits and inner dashes, or "[ipv6]". */
static bool domain_valid(const char *d, size_t n) {
  size_t i = 0;
  if (n > 0 && d[0] == '[') {
    i = 1;
    while (i < n && (isxdigit((unsigned char)d[i]) || d[i] == ':'))
      i++;
    if (i == 1 || i >= n || d[i] != ']')
      return false;
    i++;
  } else {
    for (;;) {
      size_t start = i;
      while (i < n && (is_alnum(d[i]) || d[i] == '-'))
        i++;
      if (i == start || d[start] == '-' || d[i - 1] == '-')
        return false;
      if (i < n && d[i] == '.') {
        i++;
        continue;
      }
      break;
    }
  }
  if (i == n)
    return true;
  if (d[i] != ':' || i + 1 == n)
    return false;
  for (i++; i < n; i++)
    if (!isdigit((unsigned char)d[i]))
      return false;
  return true;
}

static bool looks_like_domain(const char *p, size_t n) {
  if (n == 9 && memcmp(p, "localhost", 9) == 0)
    return true;
  for (size_t i = 0; i < n; i++)
    if (p[i] == '.' || p[i] == ':' || isupper((unsigned char)p[i]))
      return true;
  return false;
}

static int fail(Error *err, const char *s, const char *detail) {
  return error_set(err, -EINVAL, NULL, "couldn't parse image name \"%s\": invalid reference format%s%s", s,
                   detail ? ": " : "", detail ? detail : "");
}

int image_ref_parse(const char *s, ImageRef *ret, Error *err) {
  size_t len = strnlen(s, IMAGE_REF_MAX_INPUT + 1);
  if (len > IMAGE_REF_MAX_INPUT)
    return error_set(err, -EINVAL, NULL, "couldn't parse image name: longer than %d bytes",
                     IMAGE_REF_MAX_INPUT);
  if (len == 0)
    return fail(err, s, "the name is empty");

  /* A bare 64-hex string is an image ID, never a repository name (Docker refuses it too). */
  if (len == 64) {
    bool hex = true;
    for (size_t i = 0; i < 64 && hex; i++)
      hex = is_lower_hex(s[i]);
    if (hex)
      return error_set(err, -EINVAL, NULL,
                       "couldn't parse image name \"%s\": a 64-character hexadecimal string is an image ID, "
                       "not a repository name",
                       s);
  }

  const char *at = strchr(s, '@');
  size_t rest_len = at ? (size_t)(at - s) : len;
  _cleanup_free_ char *digest = NULL;
  if (at) {
    digest = xstrdup(at + 1);
    if (!strchr(digest, ':'))
      return fail(err, s, "the digest has no algorithm");
    if (!startswith(digest, "sha256:"))
      return error_set(err, -EINVAL, NULL, "couldn't parse image name \"%s\": unsupported digest algorithm",
                       s);
    if (!image_ref_digest_valid(digest))
      return error_set(
          err, -EINVAL, NULL,
          "couldn't parse image name \"%s\": invalid checksum digest format (want sha256: and 64 "
          "lowercase hex digits)",
          s);
  }

  /* The tag is after the last ':' that follows the last '/' (a ':' before it is a registry port). */
  size_t name_len = rest_len;
  _cleanup_free_ char *tag = NULL;
  for (size_t i = rest_len; i > 0; i--) {
    char c = s[i - 1];
    if (c == '/')
      break;
    if (c == ':') {
      name_len = i - 1;
      tag = xstrndup(s + i, rest_len - i);
      if (!image_ref_tag_valid(tag))
        return fail(
            err, s,
            "the tag must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'");
      break;
    }
  }
  if (name_len == 0)
    return fail(err, s, "the repository name is empty");

  const char *name = s;
  const char *slash = memchr(name, '/', name_len);
  _cleanup_free_ char *domain = NULL;
  const char *remote = name;
  size_t remote_len = name_len;
  if (slash && looks_like_domain(name, (size_t)(slash - name))) {
    size_t dlen = (size_t)(slash - name);
    if (!domain_valid(name, dlen))
      return fail(err, s, "the registry must be a host name or address with an optional port");
    domain = xstrndup(name, dlen);
    remote = slash + 1;
    remote_len = name_len - dlen - 1;
  } else {
    domain = xstrdup("docker.io");
  }
  if (streq(domain, "index.docker.io")) {
    free(domain);
    domain = xstrdup("docker.io");
  }

  bool upper = false;
  size_t start = 0;
  for (size_t i = 0; i <= remote_len; i++) {
    if (i < remote_len && remote[i] != '/')
      continue;
    if (check_path_component(remote + start, i - start, &upper) < 0)
      return fail(
          err, s,
          "each path component must be lowercase letters and digits, joined by '.', '_', '__' or '-'");
    start = i + 1;
  }
  if (upper)
    return fail(err, s, "repository name must be lowercase");

  _cleanup_free_ char *path = NULL;
  if (streq(domain, "docker.io") && !memchr(remote, '/', remote_len))
    path = xasprintf("library/%.*s", (int)remote_len, remote);
  else
    path = xstrndup(remote, remote_len);
  if (strlen(domain) + 1 + strlen(path) > IMAGE_REF_MAX_NAME)
    return fail(err, s, "repository name must not be more than 255 characters");

  if (!tag && !digest)
    tag = xstrdup("latest");
  *ret = (ImageRef){
      .domain = TAKE_PTR(domain),
      .path = TAKE_PTR(path),
      .tag = TAKE_PTR(tag),
      .digest = TAKE_PTR(digest),
  };
  return 0;
}

void image_ref_done(ImageRef *r) {
  if (!r)
    return;
  free(r->domain);
  free(r->path);
  free(r->tag);
  free(r->digest);
  *r = (ImageRef){0};
}

char *image_ref_repository(const ImageRef *r) {
  return xasprintf("%s/%s", r->domain, r->path);
}

char *image_ref_string(const ImageRef *r) {
  Buf b = BUF_INIT;
  buf_printf(&b, "%s/%s", r->domain, r->path);
  if (r->tag)
    buf_printf(&b, ":%s", r->tag);
  if (r->digest)
    buf_printf(&b, "@%s", r->digest);
  return buf_steal(&b, NULL);
}

char *image_ref_record_name(const ImageRef *r) {
  if (r->digest)
    return xasprintf("%s/%s@%s", r->domain, r->path, r->digest);
  return xasprintf("%s/%s:%s", r->domain, r->path, r->tag);
}
