/* Small helpers over jansson for reading Kubernetes objects: dotted-path lookup, typed getters that
 * tolerate wrong types (user input), setters that create intermediate objects, and body decoding (JSON or
 * YAML) with size and depth limits. */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "base/error.h"

/* Borrowed reference to the value at a dotted path ("metadata.name"), or NULL. */
json_t *jpath(json_t *o, const char *dotted);
/* The string at a dotted path, or NULL if missing / not a string. */
const char *jstr(json_t *o, const char *dotted);
/* The integer at a dotted path, or def. */
int64_t jint(json_t *o, const char *dotted, int64_t def);
/* Sets obj[dotted] = value (stealing the reference), creating intermediate objects; replaces non-object
 * intermediates. */
void jset(json_t *o, const char *dotted, json_t *value);
/* Returns the object at dotted, creating it (and intermediates) if missing or not an object. Borrowed. */
json_t *jobj(json_t *o, const char *dotted);
/* Deletes obj[dotted] if present. */
void jdel(json_t *o, const char *dotted);

#define BODY_MAX_BYTES (3 * 1024 * 1024)
#define BODY_MAX_DEPTH 100

/* Decodes a JSON document. -EBADMSG with a message naming line/column on syntax errors; -E2BIG if nested
 * deeper than BODY_MAX_DEPTH. */
int json_decode_body(const char *data, size_t len, json_t **ret, Error *err);
/* Decodes a YAML document (one) into JSON the way Kubernetes' yaml.YAMLToJSON does (plain scalars: null,
 * true/false, integers, floats as numbers; quoted scalars as strings). */
int yaml_decode_body(const char *data, size_t len, json_t **ret, Error *err);

/* json_dumps with compact separators; never NULL. Caller frees. */
char *json_compact(json_t *o);
/* jansson provides json_decrefp for scope cleanup. */
#define _cleanup_json_ _cleanup_(json_decrefp)
