/* The cluster DNS records: an in-memory index of Services, EndpointSlices, namespaces and pod IPs, fed by
 * informer events, and the answer logic of the Kubernetes DNS specification as CoreDNS's kubernetes plugin
 * implements it (with `pods insecure` and fallthrough for reverse zones):
 *
 *   <svc>.<ns>.svc.<domain>            A/AAAA: the cluster IPs; headless: the ready endpoints' addresses;
 *                                      ExternalName: CNAME; SRV: one per port (per endpoint when headless)
 *   <ep>.<svc>.<ns>.svc.<domain>       A/AAAA of one endpoint (<ep> = its hostname or dashed address)
 *   _<port>._<proto>.<svc>.<ns>.svc.<domain>   SRV of one named port
 *   <a-b-c-d>.<ns>.pod.<domain>        A a.b.c.d (any address, in an existing namespace)
 *   <d.c.b.a>.in-addr.arpa             PTR: a Service's cluster IP, an endpoint, a pod
 *
 * A name in the cluster domain that matches nothing is NXDOMAIN; one that exists without records of the asked
 * type is NODATA (NOERROR, no answer); both carry the zone's SOA. Other names, and reverse names of unknown
 * addresses, are for the upstream resolvers (DNS_VERDICT_FORWARD). Names compare case-insensitively.
 *
 * Locking: one read-write lock; updates (informer threads) take it for writing, answers for reading. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent/dns/dns-wire.h"

typedef struct DnsIndex DnsIndex;

/* domain: the cluster domain ("cluster.local"); ttl: of every answer (CoreDNS's default is 5). */
DnsIndex *dns_index_new(const char *domain, uint32_t ttl);
void dns_index_free(DnsIndex *x);

/* Informer events. Objects are borrowed; what is needed is copied. */
void dns_index_update_service(DnsIndex *x, json_t *svc);
void dns_index_delete_service(DnsIndex *x, json_t *svc);
void dns_index_update_slice(DnsIndex *x, json_t *slice);
void dns_index_delete_slice(DnsIndex *x, json_t *slice);
void dns_index_update_namespace(DnsIndex *x, json_t *ns);
void dns_index_delete_namespace(DnsIndex *x, json_t *ns);
void dns_index_update_pod(DnsIndex *x, json_t *pod);
void dns_index_delete_pod(DnsIndex *x, json_t *pod);
/* Until set, names of the cluster domain are answered SERVFAIL (the caches are not complete yet). */
void dns_index_set_synced(DnsIndex *x, bool synced);

typedef enum DnsVerdict {
  DNS_VERDICT_ANSWER,  /* *ret_len bytes of out are the answer */
  DNS_VERDICT_FORWARD, /* not ours: ask the upstream resolvers (*ret_query is the parsed query) */
  DNS_VERDICT_DROP,    /* not even a DNS header: ignore */
  _DNS_VERDICT_MAX,
  DNS_VERDICT_INVALID = -1,
} DnsVerdict;

/* Answers the query of n bytes at p into out (cap bytes). tcp: no size limit but cap; over UDP the answer is
 * limited to what the client accepts (512, or its EDNS0 size), and one that does not fit is sent truncated
 * (TC, no records) so that the client retries over TCP. ret_query may be NULL. */
DnsVerdict dns_index_answer(DnsIndex *x, const uint8_t *p, size_t n, bool tcp, uint8_t *out, size_t cap,
                            size_t *ret_len, DnsQuery *ret_query);
