/* The kubelet's container log endpoint on the agent's HTTPS port (statsserver.c routes to it):
 *   GET /containerLogs/{namespace}/{pod}/{container}?follow=&previous=&timestamps=&tailLines=&sinceSeconds=
 *       &sinceTime=&limitBytes=
 * What the API server's pods/log proxies to (src/apiserver/podlog.c). */
#pragma once

#include <microhttpd.h>

#include "agent/runtime/crilog.h"

typedef struct Kubelet Kubelet;

/* Answers one request whose URL starts with /containerLogs/ (the client is already authenticated). Errors
 * in the kubelet's words and codes: 404 `pod "p" does not exist` / `container "c" not found in pod "p"`,
 * 400 `previous terminated container "c" in pod "p" not found` / `container "c" in pod "p" is waiting to
 * start: REASON`, 400 `{"message": "Unable to decode query."}`, 422 `{"message": "Invalid request."}`.
 * A follow stream blocks the connection's thread (the daemon runs a thread per connection) until the
 * container's instance ends, the pod goes, the client leaves or the agent stops. */
enum MHD_Result kubelet_logserver_handle(Kubelet *k, struct MHD_Connection *conn, const char *url);

/* The message a log request gets while the container's current log does not exist yet, from its status
 * (an entry of status.containerStatuses or initContainerStatuses; NULL when there is none yet), as the
 * kubelet's validateContainerLogStatus words it. A new string. Pure; unit-tested. */
char *kubelet_log_waiting_message(json_t *ctr_status, const char *container, const char *pod);
