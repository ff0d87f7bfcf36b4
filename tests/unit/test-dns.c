/* Unit tests for the cluster DNS: the wire codec (names, compression, EDNS0, malformed input) and the answers
 * of the record index (Service A records, headless endpoints, SRV, pod names, PTR, NXDOMAIN against NODATA,
 * case-insensitivity, search-path names, truncation over UDP), driven with queries built as a client would,
 * a loopback round trip through the server's UDP and TCP sockets, and forwarding to a fake upstream. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "agent/dns/dns-server.h"
#include "base/util.h"

/* ---- a small response reader for the assertions ---- */

typedef struct Rec {
  int section; /* 1 answer, 2 authority, 3 additional */
  uint16_t type;
  uint32_t ttl;
  char owner[DNS_NAME_TEXT_MAX];
  char data[DNS_NAME_TEXT_MAX + 16]; /* A/AAAA text, target name, "port target" for SRV */
} Rec;

typedef struct Resp {
  uint16_t id, flags;
  int rcode;
  uint16_t counts[4];
  Rec recs[256];
  size_t n;
  bool opt;
  uint16_t opt_size;
} Resp;

static uint16_t g16(const uint8_t *p) {
  return (uint16_t)((p[0] << 8) | p[1]);
}

static void parse_resp(const uint8_t *p, size_t n, Resp *r) {
  memset(r, 0, sizeof *r);
  assert_true(n >= 12);
  r->id = g16(p);
  r->flags = g16(p + 2);
  r->rcode = r->flags & 0xf;
  for (int i = 0; i < 4; i++)
    r->counts[i] = g16(p + 4 + 2 * i);
  size_t off = 12;
  char name[DNS_NAME_TEXT_MAX];
  for (int i = 0; i < r->counts[0]; i++) {
    assert_int_equal(dns_name_decode(p, n, &off, name, sizeof name), 0);
    off += 4;
  }
  for (int s = 1; s <= 3; s++)
    for (int i = 0; i < r->counts[s]; i++) {
      Rec *rec = &r->recs[r->n];
      assert_int_equal(dns_name_decode(p, n, &off, rec->owner, sizeof rec->owner), 0);
      assert_true(off + 10 <= n);
      rec->type = g16(p + off);
      uint16_t cls = g16(p + off + 2);
      rec->ttl = (uint32_t)g16(p + off + 4) << 16 | g16(p + off + 6);
      size_t rdlen = g16(p + off + 8), rd = off + 10;
      assert_true(rd + rdlen <= n);
      rec->section = s;
      size_t o = rd;
      switch (rec->type) {
      case DNS_TYPE_A:
        inet_ntop(AF_INET, p + rd, rec->data, sizeof rec->data);
        break;
      case DNS_TYPE_AAAA:
        inet_ntop(AF_INET6, p + rd, rec->data, sizeof rec->data);
        break;
      case DNS_TYPE_CNAME:
      case DNS_TYPE_PTR:
      case DNS_TYPE_NS:
      case DNS_TYPE_SOA:
        assert_int_equal(dns_name_decode(p, n, &o, rec->data, sizeof rec->data), 0);
        break;
      case DNS_TYPE_SRV:
        o += 6;
        assert_int_equal(dns_name_decode(p, n, &o, name, sizeof name), 0);
        snprintf(rec->data, sizeof rec->data, "%u %s", g16(p + rd + 4), name);
        break;
      case DNS_TYPE_OPT:
        r->opt = true;
        r->opt_size = cls;
        break;
      default:
        break;
      }
      off = rd + rdlen;
      r->n++;
    }
  assert_int_equal(off, n); /* nothing left over */
}

static bool has(const Resp *r, int section, uint16_t type, const char *data) {
  for (size_t i = 0; i < r->n; i++)
    if (r->recs[i].section == section && r->recs[i].type == type && (!data || streq(r->recs[i].data, data)))
      return true;
  return false;
}

static size_t count(const Resp *r, int section, uint16_t type) {
  size_t c = 0;
  for (size_t i = 0; i < r->n; i++)
    c += r->recs[i].section == section && r->recs[i].type == type;
  return c;
}

/* ---- the index under test ---- */

static void load(DnsIndex *x, const char *kind, const char *json) {
  json_error_t je;
  json_t *o = json_loads(json, 0, &je);
  if (!o)
    fail_msg("bad test JSON: %s", je.text);
  if (streq(kind, "svc"))
    dns_index_update_service(x, o);
  else if (streq(kind, "slice"))
    dns_index_update_slice(x, o);
  else if (streq(kind, "ns"))
    dns_index_update_namespace(x, o);
  else if (streq(kind, "pod"))
    dns_index_update_pod(x, o);
  json_decref(o);
}

static DnsIndex *fixture(void) {
  DnsIndex *x = dns_index_new("cluster.local", 5);
  load(x, "ns", "{\"metadata\":{\"name\":\"default\"}}");
  load(x, "ns", "{\"metadata\":{\"name\":\"db\"}}");
  load(x, "svc",
       "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"type\":\"ClusterIP\","
       "\"clusterIP\":\"10.43.0.20\",\"clusterIPs\":[\"10.43.0.20\"],\"ports\":[{\"name\":\"http\","
       "\"port\":80,\"protocol\":\"TCP\"},{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"}]}}");
  load(x, "slice",
       "{\"metadata\":{\"name\":\"web-abc\",\"namespace\":\"default\",\"labels\":{"
       "\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":[{"
       "\"addresses\":[\"10.42.0.7\"],\"conditions\":{\"ready\":true}}],\"ports\":[{\"name\":"
       "\"http\",\"port\":8080,\"protocol\":\"TCP\"}]}");
  load(x, "svc",
       "{\"metadata\":{\"name\":\"pg\",\"namespace\":\"db\"},\"spec\":{\"clusterIP\":\"None\","
       "\"ports\":[{\"name\":\"sql\",\"port\":5432}]}}");
  load(x, "slice",
       "{\"metadata\":{\"name\":\"pg-1\",\"namespace\":\"db\",\"labels\":{"
       "\"kubernetes.io/service-name\":\"pg\"}},\"addressType\":\"IPv4\",\"endpoints\":["
       "{\"addresses\":[\"10.42.1.1\"],\"hostname\":\"pg-0\",\"conditions\":{\"ready\":true}},"
       "{\"addresses\":[\"10.42.1.2\"],\"hostname\":\"pg-1\"},"
       "{\"addresses\":[\"10.42.1.3\"],\"hostname\":\"pg-2\",\"conditions\":{\"ready\":false}}],"
       "\"ports\":[{\"name\":\"sql\",\"port\":5432,\"protocol\":\"TCP\"}]}");
  load(x, "svc",
       "{\"metadata\":{\"name\":\"empty\",\"namespace\":\"db\"},\"spec\":{\"clusterIP\":\"None\"}}");
  load(x, "svc",
       "{\"metadata\":{\"name\":\"ext\",\"namespace\":\"default\"},\"spec\":{\"type\":\"ExternalName\","
       "\"externalName\":\"example.com\"}}");
  load(x, "pod",
       "{\"metadata\":{\"name\":\"lonely\",\"namespace\":\"db\"},\"status\":{\"podIP\":\"10.42.5.5\","
       "\"phase\":\"Running\"}}");
  dns_index_set_synced(x, true);
  return x;
}

static DnsVerdict ask(DnsIndex *x, const char *name, uint16_t type, uint16_t edns, bool tcp, Resp *r) {
  uint8_t q[600], out[DNS_TCP_MAX];
  size_t qn = dns_build_query(0x1234, name, type, edns, q, sizeof q), n = 0;
  assert_true(qn > 0);
  DnsVerdict v = dns_index_answer(x, q, qn, tcp, out, sizeof out, &n, NULL);
  if (v == DNS_VERDICT_ANSWER) {
    parse_resp(out, n, r);
    assert_int_equal(r->id, 0x1234);
    assert_true(r->flags & DNS_FLAG_QR);
    assert_true(r->flags & DNS_FLAG_RD); /* copied from the query */
  }
  return v;
}

static void test_service_a(void **state) {
  DnsIndex *x = fixture();
  Resp r;
  assert_int_equal(ask(x, "web.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r), DNS_VERDICT_ANSWER);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_true(r.flags & DNS_FLAG_AA);
  assert_int_equal(r.counts[1], 1);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.43.0.20"));
  assert_int_equal(r.recs[0].ttl, 5);
  assert_string_equal(r.recs[0].owner, "web.default.svc.cluster.local");
  /* Case-insensitive, and the client's spelling of the name comes back in the answer. */
  uint8_t q[512], out[512];
  size_t qn = dns_build_query(7, "WeB.Default.SVC.cluster.LOCAL.", DNS_TYPE_A, 0, q, sizeof q), n;
  assert_int_equal(dns_index_answer(x, q, qn, false, out, sizeof out, &n, NULL), DNS_VERDICT_ANSWER);
  parse_resp(out, n, &r);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.43.0.20"));
  assert_memory_equal(out + 12, q + 12, qn - 12); /* the question, verbatim */
  assert_memory_equal(out + qn, "\xc0\x0c", 2);   /* the answer's owner points at it */
  /* AAAA of an IPv4-only Service: NODATA with the zone's SOA. */
  ask(x, "web.default.svc.cluster.local", DNS_TYPE_AAAA, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_int_equal(r.counts[1], 0);
  assert_true(has(&r, 2, DNS_TYPE_SOA, "ns.dns.cluster.local"));
  /* TXT and MX: NODATA too. */
  ask(x, "web.default.svc.cluster.local", DNS_TYPE_TXT, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_int_equal(r.counts[1], 0);
  dns_index_free(x);
}

static void test_nxdomain_nodata(void **state) {
  DnsIndex *x = fixture();
  Resp r;
  ask(x, "nope.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  assert_true(has(&r, 2, DNS_TYPE_SOA, NULL));
  ask(x, "web.nosuchns.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  /* Wildcards are not served (CoreDNS removed them): NXDOMAIN. */
  ask(x, "*.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  ask(x, "web.*.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  /* Existing namespaces, the svc and pod subdomains and the apex exist without records. */
  const char *nodata[] = {"default.svc.cluster.local", "svc.cluster.local", "pod.cluster.local",
                          "cluster.local", "db.pod.cluster.local"};
  for (size_t i = 0; i < ELEMENTSOF(nodata); i++) {
    ask(x, nodata[i], DNS_TYPE_A, 0, false, &r);
    assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
    assert_int_equal(r.counts[1], 0);
  }
  ask(x, "cluster.local", DNS_TYPE_SOA, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_SOA, "ns.dns.cluster.local"));
  ask(x, "other.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  /* What a resolver tries along the search path with ndots:5 before the absolute name. */
  const char *search[] = {"web.default.svc.cluster.local.default.svc.cluster.local",
                          "web.default.svc.cluster.local.svc.cluster.local",
                          "web.default.svc.cluster.local.cluster.local",
                          "example.com.default.svc.cluster.local", "web.default.default.svc.cluster.local"};
  for (size_t i = 0; i < ELEMENTSOF(search); i++) {
    ask(x, search[i], DNS_TYPE_A, 0, false, &r);
    assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  }
  /* "web.default" with the search domain svc.cluster.local: the Service. */
  ask(x, "web.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.43.0.20"));
  /* Not synced yet: SERVFAIL rather than a wrong NXDOMAIN. */
  dns_index_set_synced(x, false);
  ask(x, "web.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_SERVFAIL);
  dns_index_free(x);
}

static void test_headless(void **state) {
  DnsIndex *x = fixture();
  Resp r;
  /* Ready (and unknown-readiness) endpoints; the not-ready one is left out. */
  ask(x, "pg.db.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_int_equal(count(&r, 1, DNS_TYPE_A), 2);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.42.1.1"));
  assert_true(has(&r, 1, DNS_TYPE_A, "10.42.1.2"));
  assert_false(has(&r, 1, DNS_TYPE_A, "10.42.1.3"));
  /* StatefulSet-style names. */
  ask(x, "pg-0.pg.db.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(count(&r, 1, DNS_TYPE_A), 1);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.42.1.1"));
  ask(x, "pg-2.pg.db.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  /* Dashed-address endpoint names, for any Service with endpoints. */
  ask(x, "10-42-0-7.web.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.42.0.7"));
  /* SRV of a headless Service: one per endpoint and port, with the addresses as additional records. */
  ask(x, "_sql._tcp.pg.db.svc.cluster.local", DNS_TYPE_SRV, 0, false, &r);
  assert_int_equal(count(&r, 1, DNS_TYPE_SRV), 2);
  assert_true(has(&r, 1, DNS_TYPE_SRV, "5432 pg-0.pg.db.svc.cluster.local"));
  assert_true(has(&r, 1, DNS_TYPE_SRV, "5432 pg-1.pg.db.svc.cluster.local"));
  assert_true(has(&r, 3, DNS_TYPE_A, "10.42.1.1"));
  /* A headless Service without endpoints: NXDOMAIN, as CoreDNS answers. */
  ask(x, "empty.db.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  /* An endpoint update replaces what the slice said. */
  load(x, "slice",
       "{\"metadata\":{\"name\":\"pg-1\",\"namespace\":\"db\",\"labels\":{"
       "\"kubernetes.io/service-name\":\"pg\"}},\"addressType\":\"IPv4\",\"endpoints\":["
       "{\"addresses\":[\"10.42.1.9\"],\"hostname\":\"pg-0\"}]}");
  ask(x, "pg.db.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(count(&r, 1, DNS_TYPE_A), 1);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.42.1.9"));
  json_t *del = json_pack("{s:{s:s,s:s}}", "metadata", "name", "pg-1", "namespace", "db");
  dns_index_delete_slice(x, del);
  json_decref(del);
  ask(x, "pg.db.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  dns_index_free(x);
}

static void test_srv(void **state) {
  DnsIndex *x = fixture();
  Resp r;
  ask(x, "_http._tcp.web.default.svc.cluster.local", DNS_TYPE_SRV, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_int_equal(count(&r, 1, DNS_TYPE_SRV), 1);
  assert_true(has(&r, 1, DNS_TYPE_SRV, "80 web.default.svc.cluster.local"));
  assert_true(has(&r, 3, DNS_TYPE_A, "10.43.0.20"));
  ask(x, "_dns._udp.web.default.svc.cluster.local", DNS_TYPE_SRV, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_SRV, "53 web.default.svc.cluster.local"));
  /* Wrong protocol or port name: no such name. */
  ask(x, "_dns._tcp.web.default.svc.cluster.local", DNS_TYPE_SRV, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  ask(x, "_nope._tcp.web.default.svc.cluster.local", DNS_TYPE_SRV, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  /* The SRV name asked for an A record: the name exists, no data. */
  ask(x, "_http._tcp.web.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_int_equal(r.counts[1], 0);
  /* SRV on the Service name: every port. */
  ask(x, "web.default.svc.cluster.local", DNS_TYPE_SRV, 0, false, &r);
  assert_int_equal(count(&r, 1, DNS_TYPE_SRV), 2);
  dns_index_free(x);
}

static void test_external_name_and_pods(void **state) {
  DnsIndex *x = fixture();
  Resp r;
  ask(x, "ext.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_true(has(&r, 1, DNS_TYPE_CNAME, "example.com"));
  /* An ExternalName into the cluster domain: the target's records follow the CNAME. */
  load(x, "svc",
       "{\"metadata\":{\"name\":\"alias\",\"namespace\":\"default\"},\"spec\":{\"type\":"
       "\"ExternalName\",\"externalName\":\"web.default.svc.cluster.local\"}}");
  ask(x, "alias.default.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_CNAME, "web.default.svc.cluster.local"));
  assert_true(has(&r, 1, DNS_TYPE_A, "10.43.0.20"));
  assert_string_equal(r.recs[1].owner, "web.default.svc.cluster.local");
  ask(x, "alias.default.svc.cluster.local", DNS_TYPE_CNAME, 0, false, &r);
  assert_int_equal(r.counts[1], 1);
  ask(x, "10-42-0-9.default.pod.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.42.0.9"));
  ask(x, "10-42-0-9.default.pod.cluster.local", DNS_TYPE_AAAA, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_int_equal(r.counts[1], 0);
  ask(x, "10-42-0-999.default.pod.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  ask(x, "10-42-0-9.nosuchns.pod.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
  dns_index_free(x);
}

static void test_ptr(void **state) {
  DnsIndex *x = fixture();
  Resp r;
  ask(x, "20.0.43.10.in-addr.arpa", DNS_TYPE_PTR, 0, false, &r);
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_true(has(&r, 1, DNS_TYPE_PTR, "web.default.svc.cluster.local"));
  ask(x, "1.1.42.10.in-addr.arpa", DNS_TYPE_PTR, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_PTR, "pg-0.pg.db.svc.cluster.local"));
  ask(x, "7.0.42.10.in-addr.arpa", DNS_TYPE_PTR, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_PTR, "10-42-0-7.web.default.svc.cluster.local"));
  ask(x, "5.5.42.10.in-addr.arpa", DNS_TYPE_PTR, 0, false, &r);
  assert_true(has(&r, 1, DNS_TYPE_PTR, "10-42-5-5.db.pod.cluster.local"));
  /* Unknown addresses fall through to the upstream resolvers, like CoreDNS's fallthrough in-addr.arpa. */
  assert_int_equal(ask(x, "9.9.9.9.in-addr.arpa", DNS_TYPE_PTR, 0, false, &r), DNS_VERDICT_FORWARD);
  assert_int_equal(ask(x, "example.com", DNS_TYPE_A, 0, false, &r), DNS_VERDICT_FORWARD);
  assert_int_equal(ask(x, "local", DNS_TYPE_A, 0, false, &r), DNS_VERDICT_FORWARD);
  assert_int_equal(ask(x, "xcluster.local", DNS_TYPE_A, 0, false, &r), DNS_VERDICT_FORWARD);
  /* A deleted pod is forgotten. */
  json_t *pod = json_pack("{s:{s:s,s:s}}", "metadata", "name", "lonely", "namespace", "db");
  dns_index_delete_pod(x, pod);
  json_decref(pod);
  assert_int_equal(ask(x, "5.5.42.10.in-addr.arpa", DNS_TYPE_PTR, 0, false, &r), DNS_VERDICT_FORWARD);
  dns_index_free(x);
}

static void test_truncation_and_edns(void **state) {
  DnsIndex *x = dns_index_new("cluster.local", 5);
  load(x, "ns", "{\"metadata\":{\"name\":\"big\"}}");
  load(x, "svc",
       "{\"metadata\":{\"name\":\"many\",\"namespace\":\"big\"},\"spec\":{\"clusterIP\":\"None\"}}");
  json_t *eps = json_array();
  for (int i = 0; i < 200; i++) {
    char ip[32];
    snprintf(ip, sizeof ip, "10.42.%d.%d", i / 100, i % 100 + 1);
    json_array_append_new(eps, json_pack("{s:[s]}", "addresses", ip));
  }
  json_t *sl =
      json_pack("{s:{s:s,s:s,s:{s:s}},s:s,s:o}", "metadata", "name", "many-1", "namespace", "big", "labels",
                "kubernetes.io/service-name", "many", "addressType", "IPv4", "endpoints", eps);
  dns_index_update_slice(x, sl);
  json_decref(sl);
  dns_index_set_synced(x, true);
  Resp r;
  /* 200 A records need 3,2xx bytes: too many for 512 bytes of plain UDP. */
  ask(x, "many.big.svc.cluster.local", DNS_TYPE_A, 0, false, &r);
  assert_true(r.flags & DNS_FLAG_TC);
  assert_int_equal(r.counts[1], 0);
  /* EDNS0 with 4096 bytes: everything fits, and the OPT record comes back. */
  ask(x, "many.big.svc.cluster.local", DNS_TYPE_A, 4096, false, &r);
  assert_false(r.flags & DNS_FLAG_TC);
  assert_int_equal(count(&r, 1, DNS_TYPE_A), 200);
  assert_true(r.opt);
  assert_int_equal(r.opt_size, DNS_UDP_MAX);
  /* EDNS0 with 1232: truncated again. */
  ask(x, "many.big.svc.cluster.local", DNS_TYPE_A, 1232, false, &r);
  assert_true(r.flags & DNS_FLAG_TC);
  assert_true(r.opt);
  /* Over TCP there is no such limit. */
  ask(x, "many.big.svc.cluster.local", DNS_TYPE_A, 0, true, &r);
  assert_false(r.flags & DNS_FLAG_TC);
  assert_int_equal(count(&r, 1, DNS_TYPE_A), 200);
  dns_index_free(x);
}

static void test_codec(void **state) {
  DnsIndex *x = fixture();
  uint8_t out[512];
  size_t n = 0;
  /* Shorter than a header: dropped. */
  assert_int_equal(dns_index_answer(x, (const uint8_t *)"\x12\x34", 2, false, out, sizeof out, &n, NULL),
                   DNS_VERDICT_DROP);
  /* A header claiming a question that is not there: FORMERR with the same id. */
  uint8_t bad[12] = {0xab, 0xcd, 0x01, 0x00, 0x00, 0x01};
  assert_int_equal(dns_index_answer(x, bad, sizeof bad, false, out, sizeof out, &n, NULL),
                   DNS_VERDICT_ANSWER);
  Resp r;
  parse_resp(out, n, &r);
  assert_int_equal(r.id, 0xabcd);
  assert_int_equal(r.rcode, DNS_RCODE_FORMERR);
  /* A response sent to us is never answered (no reflection loops). */
  bad[2] = 0x81;
  assert_int_equal(dns_index_answer(x, bad, sizeof bad, false, out, sizeof out, &n, NULL), DNS_VERDICT_DROP);
  /* A compression pointer loop in the question: FORMERR, not a hang. */
  uint8_t loop[] = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1};
  assert_int_equal(dns_index_answer(x, loop, sizeof loop, false, out, sizeof out, &n, NULL),
                   DNS_VERDICT_ANSWER);
  parse_resp(out, n, &r);
  assert_int_equal(r.rcode, DNS_RCODE_FORMERR);
  /* Labels with dots and odd bytes are escaped and match nothing. */
  uint8_t q[64] = {0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1};
  size_t off = 12;
  char name[DNS_NAME_TEXT_MAX];
  assert_int_equal(dns_name_decode(q, 21, &off, name, sizeof name), 0);
  assert_string_equal(name, "a\\046b");
  assert_int_equal(off, 17);
  /* A name of 256 octets is refused. */
  uint8_t longname[12 + 300] = {0, 3, 1, 0, 0, 1};
  size_t o = 12;
  for (int i = 0; i < 4; i++) {
    longname[o++] = 63;
    memset(longname + o, 'a', 63);
    o += 63;
  }
  longname[o++] = 0;
  off = 12;
  assert_int_equal(dns_name_decode(longname, o, &off, name, sizeof name), -EPROTO);
  /* EDNS version 1: BADVERS (extended rcode 16 = 1 in the OPT record, 0 in the header). */
  uint8_t v1[600];
  size_t vn = dns_build_query(9, "web.default.svc.cluster.local", DNS_TYPE_A, 1232, v1, sizeof v1);
  v1[vn - 5] = 1; /* the OPT's version byte */
  assert_int_equal(dns_index_answer(x, v1, vn, false, out, sizeof out, &n, NULL), DNS_VERDICT_ANSWER);
  parse_resp(out, n, &r);
  assert_int_equal(r.rcode, 0);
  assert_true(r.opt);
  /* Name compression: the SRV answer's additional owner points into the SRV target? No — RFC 2782 says
   * targets are not compressed; owners are. The whole answer must still parse and be small. */
  ask(x, "_sql._tcp.pg.db.svc.cluster.local", DNS_TYPE_SRV, 0, false, &r);
  assert_true(has(&r, 3, DNS_TYPE_A, "10.42.1.2"));
  dns_index_free(x);
}

/* ---- the server on loopback ---- */

static int port_for_test(void) {
  return 20000 + (int)(getpid() % 20000);
}

static void test_server_loopback(void **state) {
  char resolv[] = "/tmp/test-dns-resolv-XXXXXX";
  int fd = mkstemp(resolv);
  assert_true(fd >= 0);
  /* An upstream that never answers (a discard port on loopback): the forward must end in SERVFAIL fast. */
  const char *text = "nameserver 127.0.0.254\n";
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  int port = port_for_test();
  DnsServerOptions o = {
      .bind_address = "127.0.0.1", .port = port, .resolv_conf = resolv, .upstream_timeout_ms = 300};
  DnsServer *s = NULL;
  Error err = ERROR_INIT;
  assert_int_equal(dns_server_start(NULL, &o, &s, &err), 0);
  DnsIndex *x = dns_server_index(s);
  load(x, "ns", "{\"metadata\":{\"name\":\"default\"}}");
  load(x, "svc",
       "{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":"
       "\"10.43.0.20\",\"ports\":[{\"port\":80}]}}");
  dns_index_set_synced(x, true);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);

  /* UDP */
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  uint8_t q[512], out[DNS_TCP_MAX];
  size_t qn = dns_build_query(42, "web.default.svc.cluster.local", DNS_TYPE_A, 0, q, sizeof q);
  assert_int_equal(sendto(u, q, qn, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)qn);
  struct pollfd p = {u, POLLIN, 0};
  assert_int_equal(poll(&p, 1, 2000), 1);
  ssize_t n = recv(u, out, sizeof out, 0);
  Resp r;
  parse_resp(out, (size_t)n, &r);
  assert_true(has(&r, 1, DNS_TYPE_A, "10.43.0.20"));
  /* Forwarded: the upstream is silent, SERVFAIL arrives by the deadline. */
  qn = dns_build_query(43, "example.com", DNS_TYPE_A, 0, q, sizeof q);
  uint64_t t0 = now_monotonic_usec();
  assert_int_equal(sendto(u, q, qn, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)qn);
  assert_int_equal(poll(&p, 1, 3000), 1);
  n = recv(u, out, sizeof out, 0);
  parse_resp(out, (size_t)n, &r);
  assert_int_equal(r.id, 43);
  assert_int_equal(r.rcode, DNS_RCODE_SERVFAIL);
  assert_true(now_monotonic_usec() - t0 < 2000000);
  close(u);

  /* TCP: two queries on one connection, length-prefixed. */
  int t = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(t, (struct sockaddr *)&to, sizeof to), 0);
  for (int i = 0; i < 2; i++) {
    qn = dns_build_query((uint16_t)(50 + i), i ? "example.org" : "web.default.svc.cluster.local", DNS_TYPE_A,
                         0, q + 2, sizeof q - 2);
    q[0] = (uint8_t)(qn >> 8);
    q[1] = (uint8_t)qn;
    assert_int_equal(write(t, q, qn + 2), (ssize_t)qn + 2);
    size_t got = 0, want = 2;
    while (got < want) {
      ssize_t k = read(t, out + got, want - got);
      assert_true(k > 0);
      got += (size_t)k;
      if (got == 2 && want == 2)
        want = 2 + (size_t)((out[0] << 8) | out[1]);
    }
    parse_resp(out + 2, want - 2, &r);
    assert_int_equal(r.id, 50 + i);
    if (i == 0)
      assert_true(has(&r, 1, DNS_TYPE_A, "10.43.0.20"));
    else
      assert_int_equal(r.rcode, DNS_RCODE_SERVFAIL);
  }
  close(t);
  dns_server_stop(s);
  unlink(resolv);
}

/* A fake upstream nameserver on loopback: answers "good.example" with one A record (after a reply with a
 * wrong id that must be ignored), "big.example" with 60 A records (too big for 512 bytes), and nothing else.
 */
typedef struct Upstream {
  int fd;
  int seen;
} Upstream;

static void *upstream_main(void *arg) {
  Upstream *u = arg;
  for (;;) {
    uint8_t q[1500], out[2048];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(u->fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
    if (n <= 12)
      return NULL; /* the test closes the socket with a short datagram */
    u->seen++;
    DnsQuery dq;
    if (dns_query_parse(q, (size_t)n, &dq) < 0)
      continue;
    int records = streq(dq.name, "good.example") ? 1 : streq(dq.name, "big.example") ? 60 : 0;
    if (!records)
      continue;
    DnsWriter w;
    dns_writer_init(&w, out, sizeof out);
    dns_response_begin(&w, &dq, q, 0, 0);
    for (int i = 0; i < records; i++) {
      DnsRR rr = {.type = DNS_TYPE_A, .ttl = 60, .a = {192, 0, 2, (uint8_t)(7 + i)}};
      dns_put_rr(&w, DNS_SECTION_ANSWER, &rr);
    }
    DnsQuery plain = dq;
    plain.edns = false;
    size_t len = dns_response_finish(&w, &plain, 0);
    if (records == 1) {
      out[1] ^= 1; /* a reply with the wrong id first: must be ignored */
      sendto(u->fd, out, len, 0, (struct sockaddr *)&from, fl);
      out[1] ^= 1;
    }
    sendto(u->fd, out, len, 0, (struct sockaddr *)&from, fl);
  }
}

static ssize_t udp_ask(int fd, const struct sockaddr_in *to, uint16_t id, const char *name, uint8_t *out,
                       size_t cap) {
  uint8_t q[512];
  size_t qn = dns_build_query(id, name, DNS_TYPE_A, 0, q, sizeof q);
  /* Mixed case, as resolvers randomise it: the upstream's answer must still match. */
  for (size_t i = 13; i < qn && i < 16; i++)
    if (q[i] >= 'a' && q[i] <= 'z')
      q[i] = (uint8_t)(q[i] - 32);
  if (sendto(fd, q, qn, 0, (const struct sockaddr *)to, sizeof *to) != (ssize_t)qn)
    return -1;
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 3000) != 1)
    return -1;
  return recv(fd, out, cap, 0);
}

static void test_forward_to_upstream(void **state) {
  int port = port_for_test() + 1, up_port = port_for_test() + 2;
  Upstream up = {.fd = socket(AF_INET, SOCK_DGRAM, 0)};
  struct sockaddr_in ua = {.sin_family = AF_INET, .sin_port = htons((uint16_t)up_port)};
  inet_pton(AF_INET, "127.0.0.1", &ua.sin_addr);
  assert_int_equal(bind(up.fd, (struct sockaddr *)&ua, sizeof ua), 0);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, upstream_main, &up), 0);
  char resolv[] = "/tmp/test-dns-resolv-XXXXXX";
  int fd = mkstemp(resolv);
  const char *text = "search example\nnameserver 127.0.0.1\noptions ndots:1\n";
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  DnsServerOptions o = {.bind_address = "127.0.0.1",
                        .port = port,
                        .resolv_conf = resolv,
                        .upstream_port = up_port,
                        .upstream_timeout_ms = 1500};
  DnsServer *s = NULL;
  Error err = ERROR_INIT;
  assert_int_equal(dns_server_start(NULL, &o, &s, &err), 0);
  dns_index_set_synced(dns_server_index(s), true);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  uint8_t out[DNS_TCP_MAX];
  Resp r;
  ssize_t n = udp_ask(u, &to, 4321, "good.example", out, sizeof out);
  assert_true(n > 0);
  parse_resp(out, (size_t)n, &r);
  assert_int_equal(r.id, 4321); /* the client's id, not the upstream one */
  assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
  assert_true(has(&r, 1, DNS_TYPE_A, "192.0.2.7"));
  /* Too big for the client's 512 bytes: truncated, and the client would retry over TCP. */
  n = udp_ask(u, &to, 4322, "big.example", out, sizeof out);
  assert_true(n > 0 && n <= 512);
  parse_resp(out, (size_t)n, &r);
  assert_int_equal(r.id, 4322);
  assert_true(r.flags & DNS_FLAG_TC);
  assert_int_equal(r.counts[1], 0);
  /* Silence: SERVFAIL by the deadline. */
  uint64_t t0 = now_monotonic_usec();
  n = udp_ask(u, &to, 4323, "silent.example", out, sizeof out);
  assert_true(n > 0);
  parse_resp(out, (size_t)n, &r);
  assert_int_equal(r.rcode, DNS_RCODE_SERVFAIL);
  assert_true(now_monotonic_usec() - t0 >= 1000000);
  close(u);
  dns_server_stop(s);
  sendto(up.fd, "x", 1, 0, (struct sockaddr *)&ua, sizeof ua);
  pthread_join(t, NULL);
  close(up.fd);
  unlink(resolv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_service_a),
      cmocka_unit_test(test_nxdomain_nodata),
      cmocka_unit_test(test_headless),
      cmocka_unit_test(test_srv),
      cmocka_unit_test(test_external_name_and_pods),
      cmocka_unit_test(test_ptr),
      cmocka_unit_test(test_truncation_and_edns),
      cmocka_unit_test(test_codec),
      cmocka_unit_test(test_server_loopback),
      cmocka_unit_test(test_forward_to_upstream),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
