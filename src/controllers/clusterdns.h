/* The cluster DNS endpoints controller: the kube-system/kube-dns Service (created by the API server's
 * bootstrap, without a selector) is served by the node agents themselves (src/agent/dns listens on each node
 * IP, port 53), so its Endpoints and EndpointSlice list the Ready nodes' InternalIPs. One key, resynced on
 * every Node change and whenever someone edits what it maintains. */
#pragma once

#include <jansson.h>

#include "controllers/controllers-internal.h"

#define CLUSTERDNS_NAMESPACE "kube-system"
#define CLUSTERDNS_SERVICE "kube-dns"
#define CLUSTERDNS_MANAGED_BY "clusterdns-controller.coracle.io"

/* The addresses serving cluster DNS: for every Ready node, its first IPv4 InternalIP, as
 * [{"ip": ..., "nodeName": ...}] sorted by address. New array. */
json_t *clusterdns_node_addresses(json_t *nodes);

int clusterdns_controller_setup(CtrlManager *m, Error *err);
