/* A faster decoder of JSON into jansson values, for the bulk of what clients read (list answers, watch
 * events): same result and same refusals as json_loadb(buf, len, 0, err), 2–3 times as fast
 * (bench/bench-json.c). err->text says what was wrong (its words are not jansson's); line and column are -1,
 * position is the byte offset. */
#pragma once

#include <jansson.h>
#include <stddef.h>

json_t *json_fast_loadb(const char *buf, size_t len, json_error_t *err);
/* The same, leaving out metadata.managedFields of the objects at object_depth (1: the value itself, 2: a
 * watch event's object, 3: the items of a list), which are still checked but never built: what an informer
 * that trims managedFields keeps, for a fraction of the work. Accepts and refuses what json_fast_loadb does.
 * object_depth 0 drops nothing. */
json_t *json_fast_loadb_drop(const char *buf, size_t len, int object_depth, json_error_t *err);

/* The text json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) would answer, byte for byte, ~4 times as fast; its
 * length in *ret_len if not NULL. NULL for NULL (or what jansson cannot write either). One difference: a
 * string that is not valid UTF-8 (only json_string_nocheck makes one) has its bytes written as they are,
 * where jansson refuses the value. Free with free(). */
char *json_fast_dumps(const json_t *v, size_t *ret_len);
