/* Decoding of Kubernetes protobuf request bodies (Content-Type application/vnd.kubernetes.protobuf), which
 * kubectl >= 1.32 sends for `kubectl create namespace|deployment|configmap|secret|service|serviceaccount|job`
 * and `kubectl autoscale`. The body is the 4-byte magic "k8s\0" followed by a runtime.Unknown message
 * {1 typeMeta {1 apiVersion, 2 kind}, 2 raw, 3 contentEncoding, 4 contentType}; raw is the object encoded
 * with the field numbers of Kubernetes' generated.proto files. The result is the object as the JSON
 * Kubernetes would produce (apiVersion/kind from typeMeta, empty strings dropped, empty messages kept as {}).
 * Field numbers are facts of the wire format, written here per message type. */
#pragma once

#include <jansson.h>

#include "base/error.h"

/* Decodes a whole body. -EBADMSG (400) on malformed data; -EPROTONOSUPPORT (415) for a kind whose message
 * layout is not known. ret is a new reference. */
int k8s_protobuf_decode(const void *data, size_t len, json_t **ret, Error *err);
