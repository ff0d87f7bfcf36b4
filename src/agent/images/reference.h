/* Image references as users write them in pod specs and on the command line, normalised the way Docker and
 * the kubelet do: "nginx" is docker.io/library/nginx:latest, "127.0.0.1:5000/team/app:1@sha256:…" keeps its
 * registry, tag and digest. The grammar is the distribution project's (lowercase path components joined by
 * '.', '_', '__' or dashes; tags of up to 128 word characters; sha256 digests); the parser is written here
 * by hand with hard length limits because references come straight from untrusted objects. */
#pragma once

#include "base/error.h"

#define IMAGE_REF_MAX_INPUT 4096 /* longer input is rejected before parsing */
#define IMAGE_REF_MAX_NAME 255   /* registry + path, as distribution limits it */
#define IMAGE_REF_MAX_TAG 128

typedef struct ImageRef {
  char *domain; /* registry host[:port], "docker.io" for Docker Hub */
  char *path;   /* repository path at the registry: "library/nginx" */
  char *tag;    /* NULL when the reference has only a digest */
  char *digest; /* "sha256:<64 hex>" or NULL */
} ImageRef;

/* Parses and normalises s. A reference without tag and digest gets the tag "latest". On failure returns
 * -EINVAL with a message that starts with `couldn't parse image name "s"`, the text the kubelet reports
 * as InvalidImageName. ret is written only on success; release it with image_ref_done. */
int image_ref_parse(const char *s, ImageRef *ret, Error *err);
void image_ref_done(ImageRef *r);
static inline void image_ref_donep(ImageRef *r) {
  image_ref_done(r);
}
#define _cleanup_image_ref_ _cleanup_(image_ref_donep)

/* "domain/path", the repository name. Caller frees. */
char *image_ref_repository(const ImageRef *r);
/* The canonical string: "domain/path[:tag][@digest]". Caller frees. */
char *image_ref_string(const ImageRef *r);
/* The name an image is recorded under: "domain/path@digest" when the reference pins a digest (the tag of
 * "name:tag@digest" is ignored, as Docker does: nothing proves the tag points there), else
 * "domain/path:tag". Caller frees. */
char *image_ref_record_name(const ImageRef *r);

/* Validates a tag ("1.36", "v1_rc-2") and a digest ("sha256:<64 lowercase hex>"). */
bool image_ref_tag_valid(const char *tag);
bool image_ref_digest_valid(const char *digest);
