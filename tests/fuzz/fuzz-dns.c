/* libFuzzer target for the DNS query parser and the answer path: any bytes given to the server's UDP or TCP
 * socket go through dns_index_answer. Besides crashes and leaks it checks that an answer is never longer than
 * the buffer or the UDP limit, that it parses back (the header's counts match what follows), that it carries
 * the query's id, and that nothing is answered to a message that is not a query. The index holds a few
 * Services so that the answer logic runs on whatever name the input spells.
 *
 * Build from the repository root (BUILD: any configured build directory, for config.h):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc -IBUILD -o fuzz-dns
 *     tests/fuzz/fuzz-dns.c src/agent/dns/dns-wire.c src/agent/dns/dns-index.c src/base/util.c
 *     src/base/log.c src/base/buf.c src/base/error.c src/api/jsonutil.c -ljansson -lyaml -lpthread */
#include <stdint.h>

#include "agent/dns/dns-index.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static DnsIndex *index_once(void) {
  static DnsIndex *x;
  if (x)
    return x;
  x = dns_index_new("cluster.local", 5);
  const char *objs[] = {
      "{\"metadata\":{\"name\":\"default\"}}",
      "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":\"10.43.0.20\","
      "\"ports\":[{\"name\":\"http\",\"port\":80}]}}",
      "{\"metadata\":{\"name\":\"db\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":\"None\"}}",
      "{\"metadata\":{\"name\":\"db-1\",\"namespace\":\"default\",\"labels\":{\"kubernetes.io/service-name\":"
      "\"db\"}},\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.42.0.5\"],\"hostname\":\"db-0\"}"
      "],"
      "\"ports\":[{\"name\":\"sql\",\"port\":5432}]}",
  };
  for (size_t i = 0; i < ELEMENTSOF(objs); i++) {
    json_t *o = json_loads(objs[i], 0, NULL);
    if (i == 0)
      dns_index_update_namespace(x, o);
    else if (i == 3)
      dns_index_update_slice(x, o);
    else
      dns_index_update_service(x, o);
    json_decref(o);
  }
  dns_index_set_synced(x, true);
  return x;
}

/* Walks an answer: the question and every record must fit exactly. */
static void check_answer(const uint8_t *p, size_t n) {
  if (n < DNS_HEADER_SIZE)
    abort();
  size_t off = DNS_HEADER_SIZE;
  char name[DNS_NAME_TEXT_MAX];
  unsigned qd = (unsigned)(p[4] << 8 | p[5]);
  unsigned rr = (unsigned)(p[6] << 8 | p[7]) + (unsigned)(p[8] << 8 | p[9]) + (unsigned)(p[10] << 8 | p[11]);
  for (unsigned i = 0; i < qd; i++) {
    if (dns_name_decode(p, n, &off, name, sizeof name) < 0 || off + 4 > n)
      abort();
    off += 4;
  }
  for (unsigned i = 0; i < rr; i++) {
    if (dns_name_decode(p, n, &off, name, sizeof name) < 0 || off + 10 > n)
      abort();
    size_t rdlen = (size_t)(p[off + 8] << 8 | p[off + 9]);
    off += 10 + rdlen;
    if (off > n)
      abort();
  }
  if (off != n)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  DnsIndex *x = index_once();
  static uint8_t out[DNS_TCP_MAX];
  for (int tcp = 0; tcp < 2; tcp++) {
    size_t len = 0;
    DnsQuery q;
    DnsVerdict v = dns_index_answer(x, data, size, tcp, out, sizeof out, &len, &q);
    if (v != DNS_VERDICT_ANSWER)
      continue;
    if (size < DNS_HEADER_SIZE || (data[2] & 0x80))
      abort(); /* answered something that is no query */
    if (len > sizeof out || (!tcp && len > DNS_UDP_MAX))
      abort();
    if (out[0] != data[0] || out[1] != data[1] || !(out[2] & 0x80))
      abort();
    check_answer(out, len);
  }
  return 0;
}
