/* Private declarations of the protobuf body decoder (protobuf.c), for unit tests of the wire rules with
 * message tables of their own (built with the row macros of schema-internal.h). The decoder reads the
 * schema tables: a row's field number says where a value is on the wire, its type how the payload turns
 * into JSON, and its pointer bit whether a zero value is kept. The pointer bit matters because Go's
 * protobuf marshaller writes non-pointer scalars even when they hold the zero value, while a pointer is
 * written only when set: a zero that arrives in a non-pointer field means "unset" and is dropped, one in a
 * pointer field is kept. */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "api/schema-internal.h"
#include "base/error.h"

/* Decodes one message laid out as m (no envelope) into obj, adding to what obj holds. */
int k8s_protobuf_decode_message(const SchemaMessage *m, const void *data, size_t len, json_t *obj,
                                Error *err);
