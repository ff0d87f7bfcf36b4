/* The node's cluster DNS server: UDP and TCP on one address (the node IP, port 53 by default — never the
 * wildcard address, hosts often run a resolver of their own), answering names of the cluster domain from a
 * DnsIndex kept by informers on Services, EndpointSlices, Namespaces and Pods, and forwarding every other
 * name to the nameservers of the host's resolv.conf with a short deadline (SERVFAIL when none answers, so a
 * client never waits on an unreachable upstream).
 *
 * Threads: one UDP thread (recvmmsg/sendmmsg batches), one TCP listener and one thread per TCP connection
 * (at most DNS_TCP_MAX_CONNS, closed after DNS_TCP_IDLE_SEC idle), one forwarder thread that owns every
 * upstream query (a table of pending queries, resent to the next nameserver after a second), one thread that
 * waits for the informers' first lists, and the informers' own threads. */
#pragma once

#include <stdint.h>

#include "agent/dns/dns-index.h"
#include "base/error.h"
#include "client/client.h"

#define DNS_TCP_MAX_CONNS 64
#define DNS_TCP_IDLE_SEC 10

typedef struct DnsServer DnsServer;

typedef struct DnsServerOptions {
  const char *bind_address;     /* an IP address; required */
  int port;                     /* 0 = 53 */
  const char *domain;           /* NULL = cluster.local */
  const char *resolv_conf;      /* upstream nameservers; NULL = /etc/resolv.conf */
  unsigned upstream_timeout_ms; /* whole forwarding deadline; 0 = 2000 */
  uint32_t ttl;                 /* 0 = 5 s, CoreDNS's default */
  int upstream_port;            /* the nameservers' port; 0 = 53 (others for tests) */
} DnsServerOptions;

/* Binds the sockets and starts the threads. With c the index is kept by informers on c (which must outlive
 * the server); with c NULL the caller feeds dns_server_index() and marks it synced (tests, the benchmark).
 * -EADDRINUSE and friends with a message when the address cannot be bound. */
int dns_server_start(Client *c, const DnsServerOptions *opts, DnsServer **ret, Error *err);
/* Stops every thread (pending forwards are answered SERVFAIL) and frees. NULL is fine. */
void dns_server_stop(DnsServer *s);
DnsIndex *dns_server_index(DnsServer *s);
