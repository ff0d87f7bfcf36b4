/* The pods/log subresource (podlog.c): `kubectl logs` for pods of this machine's node agent. */
#pragma once

#include "apiserver/apiserver-internal.h"

/* Answers GET .../pods/NAME/log (container, previous, tailLines, timestamps, sinceSeconds, follow) from the
 * CRI log files the agent sharing this DATA_DIR writes: 400 while the container has not started, 404 for an
 * unknown pod. Other methods get 405. */
void podlog_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r, const char *ns,
                   const char *name);
