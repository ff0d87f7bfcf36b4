/* The service proxy's rule generator (pure: no I/O, no kernel): from Services, EndpointSlices and this
 * node's pods it computes the desired content of the nftables table `ip coracle` as a *model*, and turns
 * two models into the nft commands that move the kernel from one to the other. kube-proxy's nftables mode
 * is the model: fixed base chains and verdict maps created once, then per-Service-port chains, per-endpoint
 * chains, affinity sets and map elements added, flushed and deleted one by one, so that a change touches
 * only what changed and never flushes the whole table.
 *
 * A model is a JSON object (new reference, never modified once returned):
 *   {"chains": {name: "rule\nrule..."}, "sets": {name: "set body"}, "maps": {map: {key: verdict}},
 *    "udp-flows": {"FRONTEND>EP_IP:EP_PORT": true}}   (not nft state: what conntrack cleanup needs)
 * Chain, set and map names are nft identifiers; keys and verdicts are nft element text. */
#pragma once

#include <jansson.h>

#define PROXY_TABLE "coracle"
#define PROXY_MASQ_MARK "0x4000"

typedef struct ProxyRulesInput {
  const char *node_name;    /* endpoints on this node are "local" for the Local traffic policies */
  const char *cluster_cidr; /* pod network ("10.42.0.0/16"); NULL = masquerade every Service connection */
  json_t *services;         /* array of v1 Services */
  json_t *slices;           /* array of discovery.k8s.io/v1 EndpointSlices, any namespace */
  json_t *pods;             /* array of this node's pods (hostPorts); may be NULL */
} ProxyRulesInput;

/* The desired model for in. New object. */
json_t *proxy_rules_model(const ProxyRulesInput *in);

/* The nft commands that make the kernel hold new given that it holds old (NULL = an empty skeleton):
 * sets and chains added, changed chains flushed and refilled, map elements deleted and added, dropped
 * chains flushed then deleted, in an order that one transaction accepts. "" when nothing changes. The
 * caller frees. */
char *proxy_rules_diff(json_t *old, json_t *new_model);

/* One transaction that replaces any existing table with the skeleton (base chains, maps, masquerading)
 * plus model: what the proxy runs at start and after a failed incremental update. The caller frees. */
char *proxy_rules_full(const char *cluster_cidr, json_t *model);

/* What the proxy must delete from conntrack after moving the kernel from old to new_model (UDP only): an
 * array of {"flow": "FRONTEND>EP_IP:EP_PORT"} for each frontend/endpoint pair that went away, and of
 * {"frontend": "IP:PORT"} for each frontend that had no endpoint in old (its datagrams were not DNATed).
 * FRONTEND is "IP:PORT" or "*:NODEPORT". New array. */
json_t *proxy_rules_udp_gone(json_t *old, json_t *new_model);

/* The number of endpoint chains in a model (for logs and tests). */
size_t proxy_rules_count_endpoints(json_t *model);
