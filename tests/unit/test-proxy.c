/* Unit tests for the service proxy's rule generator (src/agent/proxy/rules.c): which endpoints a Service
 * port uses (ready ones, the terminating fallback, Local policies), the chains, sets and map elements it
 * gets (ClusterIP, NodePort, externalIPs, LoadBalancer ingress, session affinity, no endpoints, hostPorts),
 * and the incremental diffs (nothing for no change, one flushed chain and deleted endpoint chains for a
 * scale-down, never a table flush). When the test runs as root it also applies full tables and diffs to the
 * kernel in a network namespace of its own and checks that incremental updates end where a full rewrite
 * does. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <nftables/libnftables.h>

#include "agent/proxy/conntrack.h"
#include "agent/proxy/proxy.h"
#include "agent/proxy/rules.h"
#include "api/jsonutil.h"
#include "base/util.h"
#include "controllers/controllers-internal.h"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *v = json_loads(text, 0, &e);
  if (!v)
    fail_msg("bad JSON in test: %s: %s", e.text, text);
  return v;
}

static json_t *svc(const char *name, const char *cip, const char *extra_spec) {
  char *t =
      xasprintf("{\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\"},\"spec\":{\"clusterIP\":\"%s\","
                "\"ports\":[{\"name\":\"http\",\"port\":80,\"protocol\":\"TCP\",\"targetPort\":8080}]%s%s}}",
                name, cip, extra_spec ? "," : "", extra_spec ? extra_spec : "");
  json_t *s = J(t);
  free(t);
  return s;
}

/* One endpoint: ip, node, ready/serving/terminating as 0/1, or -1 to leave a condition out. */
static json_t *ep(const char *ip, const char *node, int ready, int serving, int terminating) {
  json_t *c = json_object();
  if (ready >= 0)
    json_object_set_new(c, "ready", json_boolean(ready));
  if (serving >= 0)
    json_object_set_new(c, "serving", json_boolean(serving));
  if (terminating >= 0)
    json_object_set_new(c, "terminating", json_boolean(terminating));
  return json_pack("{s:[s],s:s,s:o}", "addresses", ip, "nodeName", node, "conditions", c);
}

static json_t *slice(const char *svc_name, json_t *endpoints) {
  return json_pack("{s:{s:s,s:s,s:{s:s}},s:s,s:[{s:s,s:i,s:s}],s:o}", "metadata", "name", "s1", "namespace",
                   "default", "labels", "kubernetes.io/service-name", svc_name, "addressType", "IPv4",
                   "ports", "name", "http", "port", 8080, "protocol", "TCP", "endpoints", endpoints);
}

static json_t *model_of(json_t *services, json_t *slices, json_t *pods) {
  ProxyRulesInput in = {.node_name = "n1",
                        .cluster_cidr = "10.42.0.0/16",
                        .services = services,
                        .slices = slices,
                        .pods = pods};
  return proxy_rules_model(&in);
}

static const char *chain_with_prefix(json_t *model, const char *prefix, const char **ret_name) {
  const char *name;
  json_t *v;
  json_object_foreach(json_object_get(model, "chains"), name, v) {
    if (startswith(name, prefix)) {
      if (ret_name)
        *ret_name = name;
      return json_string_value(v);
    }
  }
  return NULL;
}

static json_t *map(json_t *model, const char *name) {
  return json_object_get(json_object_get(model, "maps"), name);
}

static size_t count(const char *hay, const char *needle) {
  size_t n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

static void test_cluster_ip_ready_endpoints(void **state) {
  json_t *svcs = json_pack("[o]", svc("web", "10.43.0.20", NULL));
  json_t *slices = json_pack(
      "[o]",
      slice("web", json_pack("[o,o,o,o]", ep("10.42.0.11", "n1", 1, 1, 0), ep("10.42.0.12", "n1", -1, -1, -1),
                             ep("10.42.0.13", "n2", 1, 1, 0), ep("10.42.0.14", "n1", 0, 0, 0))));
  json_t *m = model_of(svcs, slices, NULL);
  assert_int_equal(proxy_rules_count_endpoints(m), 3); /* the not-ready one is left out */
  const char *name = NULL;
  const char *rules = chain_with_prefix(m, "svc-", &name);
  assert_non_null(rules);
  assert_non_null(strstr(name, "default/web/tcp/http"));
  assert_non_null(strstr(rules, "ip saddr != 10.42.0.0/16 jump mark-for-masquerade"));
  assert_non_null(strstr(rules, "numgen random mod 3 vmap { 0 : goto ep-"));
  assert_null(strstr(rules, "10.42.0.14"));
  char *verdict = xasprintf("goto %s", name);
  assert_string_equal(json_string_value(json_object_get(map(m, "service-ips"), "10.43.0.20 . tcp . 80")),
                      verdict);
  free(verdict);
  const char *eprules = chain_with_prefix(m, "ep-", &name);
  assert_non_null(strstr(name, "__10.42.0.11/8080"));
  assert_string_equal(
      eprules, "ip saddr 10.42.0.11 jump mark-for-masquerade\nmeta l4proto tcp dnat to 10.42.0.11:8080");
  assert_int_equal(json_object_size(map(m, "no-endpoint-services")), 0);
  json_decref(m);
  json_decref(svcs);
  json_decref(slices);
}

static void test_no_endpoints_rejects(void **state) {
  json_t *svcs =
      json_pack("[o]", svc("web", "10.43.0.20", "\"type\":\"NodePort\",\"externalIPs\":[\"192.168.5.5\"]"));
  json_object_set_new(json_array_get(jpath(json_array_get(svcs, 0), "spec.ports"), 0), "nodePort",
                      json_integer(30080));
  json_t *slices = json_pack("[o]", slice("web", json_pack("[o]", ep("10.42.0.14", "n1", 0, 0, 0))));
  json_t *m = model_of(svcs, slices, NULL);
  assert_int_equal(json_object_size(json_object_get(m, "chains")), 0);
  json_t *ne = map(m, "no-endpoint-services");
  assert_string_equal(json_string_value(json_object_get(ne, "10.43.0.20 . tcp . 80")), "goto reject-chain");
  assert_string_equal(json_string_value(json_object_get(ne, "192.168.5.5 . tcp . 80")), "goto reject-chain");
  assert_string_equal(json_string_value(json_object_get(map(m, "no-endpoint-nodeports"), "tcp . 30080")),
                      "goto reject-chain");
  assert_int_equal(json_object_size(map(m, "service-ips")), 0);
  json_decref(m);
  json_decref(svcs);
  json_decref(slices);
}

static void test_terminating_fallback(void **state) {
  json_t *svcs = json_pack("[o]", svc("web", "10.43.0.20", NULL));
  /* No ready endpoint: the serving terminating one is used, the non-serving one is not. */
  json_t *slices = json_pack("[o]", slice("web", json_pack("[o,o]", ep("10.42.0.11", "n1", 0, 1, 1),
                                                           ep("10.42.0.12", "n1", 0, 0, 1))));
  json_t *m = model_of(svcs, slices, NULL);
  assert_int_equal(proxy_rules_count_endpoints(m), 1);
  assert_non_null(strstr(chain_with_prefix(m, "svc-", NULL), "numgen random mod 1"));
  json_decref(m);
  json_decref(svcs);
  json_decref(slices);
}

static void test_nodeport_external_lb(void **state) {
  json_t *s = svc("web", "10.43.0.20", "\"type\":\"LoadBalancer\",\"externalIPs\":[\"192.168.5.5\"]");
  json_object_set_new(json_array_get(jpath(s, "spec.ports"), 0), "nodePort", json_integer(30080));
  jset(s, "status", J("{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.168.77.1\"}]}}"));
  json_t *svcs = json_pack("[o]", s);
  json_t *slices = json_pack("[o]", slice("web", json_pack("[o]", ep("10.42.0.11", "n2", 1, 1, 0))));
  json_t *m = model_of(svcs, slices, NULL);
  const char *ext = NULL;
  const char *rules = chain_with_prefix(m, "ext-", &ext);
  assert_non_null(rules);
  assert_true(startswith(rules, "jump mark-for-masquerade\n"));
  char *verdict = xasprintf("goto %s", ext);
  assert_string_equal(json_string_value(json_object_get(map(m, "service-ips"), "192.168.5.5 . tcp . 80")),
                      verdict);
  assert_string_equal(json_string_value(json_object_get(map(m, "service-ips"), "192.168.77.1 . tcp . 80")),
                      verdict);
  assert_string_equal(json_string_value(json_object_get(map(m, "service-nodeports"), "tcp . 30080")),
                      verdict);
  free(verdict);
  json_decref(m);

  /* externalTrafficPolicy Local: the only endpoint is on another node, so outside clients are dropped,
   * while pods and the node itself still reach it through the cluster chain. */
  jset(s, "spec.externalTrafficPolicy", json_string("Local"));
  m = model_of(svcs, slices, NULL);
  rules = chain_with_prefix(m, "ext-", NULL);
  assert_non_null(strstr(rules, "ip saddr 10.42.0.0/16 goto svc-"));
  assert_non_null(strstr(rules, "fib saddr type local goto svc-"));
  assert_true(endswith(rules, "\ndrop"));
  json_decref(m);

  /* internalTrafficPolicy Local: the cluster IP drops too (no local endpoint), the node port does not. */
  jset(s, "spec.externalTrafficPolicy", json_string("Cluster"));
  jset(s, "spec.internalTrafficPolicy", json_string("Local"));
  m = model_of(svcs, slices, NULL);
  assert_true(endswith(chain_with_prefix(m, "svc-", NULL), "\ndrop"));
  assert_non_null(strstr(chain_with_prefix(m, "ext-", NULL), "numgen random mod 1"));
  json_decref(m);
  json_decref(svcs);
  json_decref(slices);
}

static void test_session_affinity(void **state) {
  json_t *svcs = json_pack("[o]", svc("web", "10.43.0.20",
                                      "\"sessionAffinity\":\"ClientIP\",\"sessionAffinityConfig\":{"
                                      "\"clientIP\":{\"timeoutSeconds\":60}}"));
  json_t *slices = json_pack("[o]", slice("web", json_pack("[o,o]", ep("10.42.0.11", "n1", 1, 1, 0),
                                                           ep("10.42.0.12", "n1", 1, 1, 0))));
  json_t *m = model_of(svcs, slices, NULL);
  json_t *sets = json_object_get(m, "sets");
  assert_int_equal(json_object_size(sets), 2);
  const char *name;
  json_t *v;
  json_object_foreach(sets, name, v) {
    assert_true(startswith(name, "aff-"));
    assert_string_equal(json_string_value(v), "type ipv4_addr; flags dynamic,timeout; timeout 60s;");
  }
  const char *rules = chain_with_prefix(m, "svc-", NULL);
  assert_int_equal(count(rules, "ip saddr @aff-"), 2);
  assert_true(strstr(rules, "ip saddr @aff-") < strstr(rules, "numgen"));
  assert_non_null(strstr(chain_with_prefix(m, "ep-", NULL), "update @aff-"));
  json_decref(m);
  json_decref(svcs);
  json_decref(slices);
}

static void test_udp_and_host_ports(void **state) {
  json_t *s = svc("dns", "10.43.0.10", NULL);
  json_t *p = json_array_get(jpath(s, "spec.ports"), 0);
  json_object_set_new(p, "protocol", json_string("UDP"));
  json_object_set_new(p, "name", json_string("dns"));
  json_object_set_new(p, "port", json_integer(53));
  json_t *svcs = json_pack("[o]", s);
  json_t *sl = slice("dns", json_pack("[o]", ep("192.168.77.1", "n1", 1, 1, 0)));
  json_t *sp = json_array_get(json_object_get(sl, "ports"), 0);
  json_object_set_new(sp, "protocol", json_string("UDP"));
  json_object_set_new(sp, "name", json_string("dns"));
  json_object_set_new(sp, "port", json_integer(53));
  json_t *slices = json_pack("[o]", sl);
  json_t *pods = json_pack(
      "[o]",
      J("{\"metadata\":{\"name\":\"hp\",\"namespace\":\"default\"},\"spec\":{\"containers\":[{\"name\":\"c\","
        "\"ports\":[{\"containerPort\":8000,\"hostPort\":8081},{\"containerPort\":9000,\"hostPort\":9001,"
        "\"hostIP\":\"192.168.77.1\",\"protocol\":\"UDP\"},{\"containerPort\":7}]}]},"
        "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.42.0.30\"}}"));
  json_t *m = model_of(svcs, slices, pods);
  assert_non_null(json_object_get(map(m, "service-ips"), "10.43.0.10 . udp . 53"));
  assert_non_null(strstr(chain_with_prefix(m, "ep-", NULL), "meta l4proto udp dnat to 192.168.77.1:53"));
  assert_non_null(json_object_get(map(m, "hostports"), "tcp . 8081"));
  assert_non_null(json_object_get(map(m, "hostports-ip"), "192.168.77.1 . udp . 9001"));
  assert_int_equal(json_object_size(map(m, "hostports")), 1);
  const char *name = NULL;
  const char *hp = chain_with_prefix(m, "hp-", &name);
  assert_non_null(strstr(hp, "dnat to 10.42.0.30:"));
  json_decref(m);
  json_decref(svcs);
  json_decref(slices);
  json_decref(pods);
}

/* A LoadBalancer with allocateLoadBalancerNodePorts: false has no nodePort: only its addresses answer. */
static void test_load_balancer_without_node_ports(void **state) {
  json_t *s = svc("lb", "10.43.0.21", "\"type\":\"LoadBalancer\",\"allocateLoadBalancerNodePorts\":false");
  jset(s, "status", J("{\"loadBalancer\":{\"ingress\":[{\"ip\":\"192.168.77.1\"}]}}"));
  json_t *svcs = json_pack("[o]", s);
  json_t *slices = json_pack("[o]", slice("lb", json_pack("[o]", ep("10.42.0.11", "n1", 1, 1, 0))));
  json_t *m = model_of(svcs, slices, NULL);
  assert_int_equal(json_object_size(map(m, "service-nodeports")), 0);
  assert_non_null(json_object_get(map(m, "service-ips"), "192.168.77.1 . tcp . 80"));
  assert_non_null(json_object_get(map(m, "service-ips"), "10.43.0.21 . tcp . 80"));
  json_decref(m);
  json_decref(svcs);
  json_decref(slices);
}

static json_t *udp_model(const char *const *ips, size_t n, int node_port) {
  json_t *s = svc("dns", "10.43.0.10", node_port ? "\"type\":\"NodePort\"" : NULL);
  json_t *p = json_array_get(jpath(s, "spec.ports"), 0);
  jset(p, "protocol", json_string("UDP"));
  jset(p, "name", json_string("dns"));
  jset(p, "port", json_integer(53));
  if (node_port)
    jset(p, "nodePort", json_integer(node_port));
  json_t *eps = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(eps, ep(ips[i], "n1", 1, 1, 0));
  json_t *sl = slice("dns", eps);
  json_t *sp = json_array_get(json_object_get(sl, "ports"), 0);
  jset(sp, "protocol", json_string("UDP"));
  jset(sp, "name", json_string("dns"));
  jset(sp, "port", json_integer(5353));
  json_t *svcs = json_pack("[o]", s), *slices = json_pack("[o]", sl);
  json_t *m = model_of(svcs, slices, NULL);
  json_decref(svcs);
  json_decref(slices);
  return m;
}

static bool has_entry(json_t *gone, const char *kind, const char *value) {
  size_t i;
  json_t *g;
  json_array_foreach(gone, i, g) {
    if (streq_ptr(jstr(g, kind), value))
      return true;
  }
  return false;
}

/* Which conntrack entries the proxy deletes: a removed UDP endpoint's flows (cluster IP and node port), the
 * untranslated ones of a frontend that gets its first endpoint; nothing for TCP or an unchanged model. */
static void test_udp_conntrack_cleanup(void **state) {
  const char *ab[] = {"10.42.0.11", "10.42.0.12"}, *b[] = {"10.42.0.12"};
  json_t *none = udp_model(NULL, 0, 0), *two = udp_model(ab, 2, 30053), *one = udp_model(b, 1, 30053);
  assert_int_equal(json_object_size(json_object_get(none, "udp-flows")), 0);
  assert_non_null(json_object_get(json_object_get(two, "udp-flows"), "10.43.0.10:53>10.42.0.11:5353"));
  assert_non_null(json_object_get(json_object_get(two, "udp-flows"), "*:30053>10.42.0.11:5353"));

  json_t *gone = proxy_rules_udp_gone(two, one);
  assert_int_equal(json_array_size(gone), 2);
  assert_true(has_entry(gone, "flow", "10.43.0.10:53>10.42.0.11:5353"));
  assert_true(has_entry(gone, "flow", "*:30053>10.42.0.11:5353"));
  json_decref(gone);

  gone = proxy_rules_udp_gone(none, one);
  assert_int_equal(json_array_size(gone), 1);
  assert_true(has_entry(gone, "frontend", "10.43.0.10:53"));
  json_decref(gone);

  gone = proxy_rules_udp_gone(one, one);
  assert_int_equal(json_array_size(gone), 0);
  json_decref(gone);

  /* TCP Services have no flows to clean up. */
  json_t *svcs = json_pack("[o]", svc("web", "10.43.0.20", NULL));
  json_t *slices = json_pack("[o]", slice("web", json_pack("[o]", ep("10.42.0.11", "n1", 1, 1, 0))));
  json_t *tcp = model_of(svcs, slices, NULL);
  gone = proxy_rules_udp_gone(tcp, none);
  assert_int_equal(json_array_size(gone), 0);
  json_decref(gone);
  json_decref(tcp);
  json_decref(svcs);
  json_decref(slices);
  json_decref(none);
  json_decref(two);
  json_decref(one);
}

static void test_conntrack_filters(void **state) {
  uint32_t ip;
  uint16_t port;
  assert_int_equal(conntrack_parse_addr("10.43.0.10:53", &ip, &port), 0);
  assert_int_equal(ip, 0x0a2b000a);
  assert_int_equal(port, 53);
  assert_int_equal(conntrack_parse_addr("*:30053", &ip, &port), 0);
  assert_int_equal(ip, 0);
  assert_int_equal(port, 30053);
  assert_int_equal(conntrack_parse_addr("10.43.0.10", &ip, &port), -EINVAL);
  assert_int_equal(conntrack_parse_addr("10.43.0.10:0", &ip, &port), -EINVAL);
  assert_int_equal(conntrack_parse_addr("x:1", &ip, &port), -EINVAL);

  const uint32_t cip = 0x0a2b000a, pod = 0x0a2a000b, node = 0xc0a84d01;
  ConntrackFilter f = {
      .l4proto = 17, .orig_dst = cip, .orig_dport = 53, .reply_src = pod, .reply_sport = 5353};
  assert_true(conntrack_filter_match(&f, 17, cip, 53, pod, 5353));
  assert_false(conntrack_filter_match(&f, 6, cip, 53, pod, 5353));      /* TCP */
  assert_false(conntrack_filter_match(&f, 17, cip, 53, pod + 1, 5353)); /* another endpoint */
  assert_false(conntrack_filter_match(&f, 17, cip, 54, pod, 5353));     /* another Service port */
  ConntrackFilter np = {.l4proto = 17, .orig_dport = 30053, .reply_src = pod, .reply_sport = 5353};
  assert_true(conntrack_filter_match(&np, 17, node, 30053, pod, 5353)); /* any node address */
  assert_false(conntrack_filter_match(&np, 17, pod, 30053, pod, 5353)); /* straight to the pod: not ours */
  ConntrackFilter un = {.l4proto = 17, .orig_dst = cip, .orig_dport = 53, .untranslated = true};
  assert_true(conntrack_filter_match(&un, 17, cip, 53, cip, 53));
  assert_false(conntrack_filter_match(&un, 17, cip, 53, pod, 5353)); /* DNATed: working, kept */
}

static json_t *three_then(int n_ready) {
  json_t *eps = json_array();
  const char *ips[] = {"10.42.0.11", "10.42.0.12", "10.42.0.13"};
  for (int i = 0; i < 3; i++)
    json_array_append_new(eps, ep(ips[i], "n1", i < n_ready, i < n_ready, 0));
  return json_pack("[o]", slice("web", eps));
}

static void test_diff_is_incremental(void **state) {
  json_t *svcs = json_pack("[o,o]", svc("web", "10.43.0.20", NULL), svc("other", "10.43.0.21", NULL));
  json_t *s3 = three_then(3), *s2 = three_then(2), *s0 = three_then(0);
  json_t *other = slice("other", json_pack("[o]", ep("10.42.0.40", "n1", 1, 1, 0)));
  json_array_append(s3, other);
  json_array_append(s2, other);
  json_array_append(s0, other);
  json_decref(other);
  json_t *m3 = model_of(svcs, s3, NULL), *m2 = model_of(svcs, s2, NULL), *m0 = model_of(svcs, s0, NULL);

  char *d = proxy_rules_diff(m3, m3);
  assert_string_equal(d, "");
  free(d);

  d = proxy_rules_diff(m3, m2);
  assert_null(strstr(d, "table"));                              /* never the whole table */
  assert_int_equal(count(d, "flush chain ip coracle svc-"), 1); /* the Service's chain, refilled */
  assert_int_equal(count(d, "delete chain ip coracle ep-"), 1); /* the endpoint that left */
  assert_null(strstr(d, "default/other"));                      /* the other Service is untouched */
  assert_non_null(strstr(d, "numgen random mod 2"));
  /* The dropped chain is flushed and deleted after the chain that jumped to it was refilled. */
  assert_true(strstr(d, "delete chain") > strstr(d, "add rule"));
  free(d);

  d = proxy_rules_diff(m3, m0);
  assert_non_null(strstr(d, "delete element ip coracle service-ips { 10.43.0.20 . tcp . 80 }"));
  assert_non_null(
      strstr(d, "add element ip coracle no-endpoint-services { 10.43.0.20 . tcp . 80 : goto reject-chain }"));
  assert_int_equal(count(d, "delete chain ip coracle ep-"), 3);
  assert_int_equal(count(d, "delete chain ip coracle svc-"), 1);
  free(d);

  char *full = proxy_rules_full("10.42.0.0/16", m3);
  assert_true(startswith(full, "add table ip coracle\ndelete table ip coracle\ntable ip coracle {"));
  assert_non_null(strstr(full, "ip saddr 10.42.0.0/16 ip daddr != { 10.42.0.0/16, 224.0.0.0/4 } masquerade"));
  assert_non_null(strstr(full, "ip saddr 127.0.0.0/8 ct status dnat masquerade"));
  assert_non_null(strstr(full, "type nat hook output priority -100"));
  free(full);
  json_decref(m3);
  json_decref(m2);
  json_decref(m0);
  json_decref(s3);
  json_decref(s2);
  json_decref(s0);
  json_decref(svcs);
}

static void test_servicelb_ingress(void **state) {
  json_t *nodes =
      J("[{\"metadata\":{\"name\":\"b\"},\"status\":{\"conditions\":[{\"type\":\"Ready\","
        "\"status\":\"True\"}],\"addresses\":[{\"type\":\"Hostname\",\"address\":\"b\"},"
        "{\"type\":\"InternalIP\",\"address\":\"192.168.77.9\"}]}},"
        "{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"type\":\"Ready\","
        "\"status\":\"True\"}],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.168.77.1\"}]}},"
        "{\"metadata\":{\"name\":\"down\"},\"status\":{\"conditions\":[{\"type\":\"Ready\","
        "\"status\":\"Unknown\"}],\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"192.168.77.5\"}]}}]");
  json_t *ing = servicelb_ingress(nodes);
  json_t *want =
      J("[{\"ip\":\"192.168.77.1\",\"ipMode\":\"VIP\"},{\"ip\":\"192.168.77.9\",\"ipMode\":\"VIP\"}]");
  assert_true(json_equal(ing, want));
  json_decref(ing);
  json_decref(want);
  json_decref(nodes);
}

/* ---- against the kernel, in a network namespace of the test's own ---- */

static char *list_table(void) {
  struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  assert_int_equal(nft_run_cmd_from_buffer(ctx, "list table ip coracle"), 0);
  char *out = xstrdup(nft_ctx_get_output_buffer(ctx));
  nft_ctx_free(ctx);
  return out;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The listing's lines, trimmed and sorted: chains come out in creation order, which differs between a full
 * write and a series of diffs, while their content must not. */
static char *normalised(const char *listing) {
  char *copy = xstrdup(listing), *save = NULL;
  char **lines = NULL;
  size_t n = 0;
  for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    while (*l == ' ' || *l == '\t')
      l++;
    lines = xrealloc(lines, (n + 1) * sizeof *lines);
    lines[n++] = l;
  }
  qsort(lines, n, sizeof *lines, cmp_str);
  size_t len = 1;
  for (size_t i = 0; i < n; i++)
    len += strlen(lines[i]) + 1;
  char *out = xzalloc(len);
  for (size_t i = 0; i < n; i++) {
    strcat(out, lines[i]);
    strcat(out, "\n");
  }
  free(lines);
  free(copy);
  return out;
}

static void apply(const char *script) {
  Error e = ERROR_INIT;
  int rc = proxy_nft_run(script, &e);
  if (rc < 0)
    fail_msg("%s\nscript:\n%s", e.message, script);
  error_reset(&e);
}

static void test_kernel_incremental_equals_full(void **state) {
  if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0)
    skip();
  json_t *svcs =
      json_pack("[o,o]", svc("web", "10.43.0.20", "\"sessionAffinity\":\"ClientIP\""),
                svc("np", "10.43.0.21", "\"type\":\"NodePort\",\"externalTrafficPolicy\":\"Local\""));
  json_object_set_new(json_array_get(jpath(json_array_get(svcs, 1), "spec.ports"), 0), "nodePort",
                      json_integer(30080));
  json_t *np = slice("np", json_pack("[o]", ep("10.42.0.50", "n1", 1, 1, 0)));
  json_t *steps[] = {three_then(3), three_then(1), three_then(0), three_then(2), three_then(3)};
  json_t *prev = NULL;
  for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
    json_array_append(steps[i], np);
    json_t *m = model_of(svcs, steps[i], NULL);
    char *script = prev ? proxy_rules_diff(prev, m) : proxy_rules_full("10.42.0.0/16", m);
    apply(script);
    free(script);
    char *inc = list_table();
    char *full = proxy_rules_full("10.42.0.0/16", m);
    apply(full);
    free(full);
    char *ref = list_table();
    char *a = normalised(inc), *b = normalised(ref);
    assert_string_equal(a, b);
    free(a);
    free(b);
    free(inc);
    free(ref);
    json_decref(prev);
    prev = m;
  }
  /* A restart replaces the table in one transaction even when it exists. */
  char *full = proxy_rules_full("10.42.0.0/16", prev);
  apply(full);
  free(full);
  json_decref(prev);
  json_decref(np);
  for (size_t i = 0; i < ELEMENTSOF(steps); i++)
    json_decref(steps[i]);
  json_decref(svcs);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cluster_ip_ready_endpoints),
      cmocka_unit_test(test_no_endpoints_rejects),
      cmocka_unit_test(test_terminating_fallback),
      cmocka_unit_test(test_nodeport_external_lb),
      cmocka_unit_test(test_session_affinity),
      cmocka_unit_test(test_udp_and_host_ports),
      cmocka_unit_test(test_load_balancer_without_node_ports),
      cmocka_unit_test(test_udp_conntrack_cleanup),
      cmocka_unit_test(test_conntrack_filters),
      cmocka_unit_test(test_diff_is_incremental),
      cmocka_unit_test(test_kernel_incremental_equals_full),
      cmocka_unit_test(test_servicelb_ingress),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
