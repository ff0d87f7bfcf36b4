/* The pods/log subresource (podlog.c): `kubectl logs`, proxied to the log endpoint of the agent running
 * the pod, as kube-apiserver proxies to the kubelet. */
#pragma once

#include "apiserver/apiserver-internal.h"

/* Answers GET .../pods/NAME/log: checks the container as kube-apiserver does (400 `a container name must be
 * specified for pod P, choose one of: [...]`, `container C is not valid for pod P`) and the log options
 * (400 for values that do not parse, 422 for PodLogOptions that do not validate), answers an empty log for
 * a pod without a node, and otherwise streams GET https://NODE-IP:PORT/containerLogs/NS/POD/C?... from the
 * node's InternalIP and status.daemonEndpoints.kubeletEndpoint.Port with the API server's client
 * certificate. The agent's errors become Statuses as kube-apiserver's response checker makes them (400
 * BadRequest and 404 NotFound with the agent's text, 500 InternalError); an agent that cannot be reached
 * is a 500 naming the URL. Other methods get 405. */
void podlog_handle(ApiServer *s, HttpRequest *req, HttpResponse *resp, const ApiResource *r, const char *ns,
                   const char *name);

/* Frees the client podlog_handle made (NULL is fine); after the HTTP daemon stopped. */
void podlog_client_free(struct PodLogClient *c);
