/* The pods/binding subresource (binding.c): how the scheduler assigns a pod to a node. */
#pragma once

#include "apiserver/apiserver-internal.h"

/* Answers POST .../pods/NAME/binding: sets spec.nodeName and PodScheduled=True, 409 Conflict when the pod
 * already has a node or is being deleted; 201 with a Status Success. Other methods get 405. */
void binding_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r, const char *ns,
                    const char *name);
