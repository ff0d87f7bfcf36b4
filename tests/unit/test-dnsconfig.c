/* Unit tests for the pods' resolv.conf (dnsPolicy ClusterFirst / ClusterFirstWithHostNet / Default / None,
 * dnsConfig merged, the kubelet's limits) and for the addresses the clusterdns controller publishes for the
 * kube-dns Service (Ready nodes' first IPv4 InternalIP). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "agent/kubelet/dnsconfig.h"
#include "base/buf.h"
#include "controllers/clusterdns.h"

static const char *HOST = "# generated\n"
                          "nameserver 192.168.1.1\n"
                          "nameserver 192.168.1.2 ; trailing comment\n"
                          "search corp.example lab.example.\n"
                          "options edns0 timeout:2\n";

static char *conf(const char *pod_json, const char *cluster_dns, char **warning) {
  json_error_t je;
  json_t *pod = json_loads(pod_json, 0, &je);
  if (!pod)
    fail_msg("bad JSON: %s", je.text);
  char *out = kubelet_dns_resolv_conf(pod, cluster_dns, "cluster.local", HOST, warning);
  json_decref(pod);
  return out;
}

static void test_cluster_first(void **state) {
  char *w = NULL;
  char *r = conf("{\"metadata\":{\"namespace\":\"team\"},\"spec\":{}}", "10.43.0.10", &w);
  assert_string_equal(
      r, "search team.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\n"
         "nameserver 10.43.0.10\n"
         "options ndots:5\n");
  assert_null(w);
  free(r);
  /* Explicit ClusterFirst, same thing. */
  r = conf("{\"metadata\":{\"namespace\":\"default\"},\"spec\":{\"dnsPolicy\":\"ClusterFirst\"}}",
           "10.43.0.10", NULL);
  assert_non_null(strstr(r, "search default.svc.cluster.local svc.cluster.local cluster.local"));
  free(r);
  /* ClusterFirst on the host network: the host's settings. */
  r = conf("{\"metadata\":{\"namespace\":\"default\"},\"spec\":{\"hostNetwork\":true,\"dnsPolicy\":"
           "\"ClusterFirst\"}}",
           "10.43.0.10", NULL);
  assert_string_equal(r, "search corp.example lab.example\n"
                         "nameserver 192.168.1.1\n"
                         "nameserver 192.168.1.2\n"
                         "options edns0 timeout:2\n");
  free(r);
  /* ...unless ClusterFirstWithHostNet. */
  r = conf("{\"metadata\":{\"namespace\":\"default\"},\"spec\":{\"hostNetwork\":true,"
           "\"dnsPolicy\":\"ClusterFirstWithHostNet\"}}",
           "10.43.0.10", NULL);
  assert_non_null(strstr(r, "nameserver 10.43.0.10\n"));
  assert_null(strstr(r, "192.168.1.1"));
  free(r);
  /* No cluster DNS known: the host's, with a warning for an event. */
  r = conf("{\"metadata\":{\"namespace\":\"default\"},\"spec\":{}}", "", &w);
  assert_non_null(strstr(r, "nameserver 192.168.1.1\n"));
  assert_non_null(w);
  assert_non_null(strstr(w, "ClusterFirst"));
  free(w);
  free(r);
}

static void test_default_and_none(void **state) {
  char *r = conf("{\"metadata\":{\"namespace\":\"default\"},\"spec\":{\"dnsPolicy\":\"Default\"}}",
                 "10.43.0.10", NULL);
  assert_string_equal(r, "search corp.example lab.example\n"
                         "nameserver 192.168.1.1\n"
                         "nameserver 192.168.1.2\n"
                         "options edns0 timeout:2\n");
  free(r);
  r = conf("{\"metadata\":{\"namespace\":\"default\"},\"spec\":{\"dnsPolicy\":\"None\",\"dnsConfig\":{"
           "\"nameservers\":[\"1.1.1.1\"],\"searches\":[\"a.example\"],\"options\":[{\"name\":\"ndots\","
           "\"value\":\"2\"},{\"name\":\"rotate\"}]}}}",
           "10.43.0.10", NULL);
  assert_string_equal(r, "search a.example\nnameserver 1.1.1.1\noptions ndots:2 rotate\n");
  free(r);
  /* None without dnsConfig: an empty file (validation normally refuses such a pod). */
  r = conf("{\"metadata\":{\"namespace\":\"default\"},\"spec\":{\"dnsPolicy\":\"None\"}}", "10.43.0.10",
           NULL);
  assert_string_equal(r, "");
  free(r);
}

static void test_merge_and_limits(void **state) {
  /* dnsConfig on ClusterFirst: nameservers and searches appended without duplicates, options by name. */
  char *w = NULL;
  char *r =
      conf("{\"metadata\":{\"namespace\":\"ns1\"},\"spec\":{\"dnsConfig\":{\"nameservers\":[\"10.43.0.10\","
           "\"8.8.8.8\"],\"searches\":[\"svc.cluster.local\",\"x.example\"],\"options\":[{\"name\":\"ndots\","
           "\"value\":\"1\"},{\"name\":\"edns0\"}]}}}",
           "10.43.0.10", &w);
  assert_string_equal(r,
                      "search ns1.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example "
                      "x.example\n"
                      "nameserver 10.43.0.10\n"
                      "nameserver 8.8.8.8\n"
                      "options ndots:1 edns0\n");
  assert_null(w);
  free(r);
  /* More than three nameservers: the first three, and a warning. */
  r = conf("{\"metadata\":{\"namespace\":\"ns1\"},\"spec\":{\"dnsConfig\":{\"nameservers\":[\"1.1.1.1\","
           "\"2.2.2.2\",\"3.3.3.3\"]}}}",
           "10.43.0.10", &w);
  assert_non_null(strstr(r, "nameserver 10.43.0.10\nnameserver 1.1.1.1\nnameserver 2.2.2.2\noptions"));
  assert_null(strstr(r, "3.3.3.3"));
  assert_non_null(w);
  assert_non_null(strstr(w, "Nameserver limits"));
  free(w);
  free(r);
  /* 40 search domains: 32 kept. */
  Buf b = BUF_INIT;
  buf_puts(
      &b,
      "{\"metadata\":{\"namespace\":\"n\"},\"spec\":{\"dnsPolicy\":\"None\",\"dnsConfig\":{\"nameservers\":["
      "\"1.1.1.1\"],\"searches\":[");
  for (int i = 0; i < 40; i++)
    buf_printf(&b, "%s\"d%d.example\"", i ? "," : "", i);
  buf_puts(&b, "]}}}");
  r = conf(b.data, "10.43.0.10", &w);
  assert_non_null(strstr(r, " d31.example\n"));
  assert_null(strstr(r, "d32.example"));
  assert_non_null(w);
  free(w);
  free(r);
  /* 2048 characters at most on the search line. */
  buf_reset(&b);
  buf_puts(
      &b,
      "{\"metadata\":{\"namespace\":\"n\"},\"spec\":{\"dnsPolicy\":\"None\",\"dnsConfig\":{\"nameservers\":["
      "\"1.1.1.1\"],\"searches\":[");
  for (int i = 0; i < 20; i++) {
    buf_printf(&b, "%s\"%03d", i ? "," : "", i);
    for (int k = 0; k < 196; k++)
      buf_putc(&b, 'a');
    buf_puts(&b, ".example\"");
  }
  buf_puts(&b, "]}}}");
  r = conf(b.data, "10.43.0.10", &w);
  char *line_end = strchr(r, '\n');
  assert_true(line_end - r - (long)strlen("search ") <= 2048);
  assert_non_null(w);
  free(w);
  free(r);
  buf_free(&b);
}

static void test_clusterdns_addresses(void **state) {
  json_t *nodes = json_loads(
      "[{\"metadata\":{\"name\":\"b\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
      "\"addresses\":[{\"type\":\"Hostname\",\"address\":\"b\"},{\"type\":\"InternalIP\",\"address\":\"fd00::"
      "2\"},"
      "{\"type\":\"InternalIP\",\"address\":\"10.0.0.20\"},{\"type\":\"InternalIP\",\"address\":\"10.0.0."
      "21\"}]}},"
      "{\"metadata\":{\"name\":\"a\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}],"
      "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.9\"}]}},"
      "{\"metadata\":{\"name\":\"down\"},\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
      "\"Unknown\"}],"
      "\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10.0.0.5\"}]}},"
      "{\"metadata\":{\"name\":\"new\"},\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"10."
      "0.0.6\"}]}}]",
      0, NULL);
  json_t *got = clusterdns_node_addresses(nodes);
  char *text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
  assert_string_equal(text,
                      "[{\"ip\":\"10.0.0.9\",\"nodeName\":\"a\"},{\"ip\":\"10.0.0.20\",\"nodeName\":\"b\"}]");
  free(text);
  json_decref(got);
  json_decref(nodes);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cluster_first),
      cmocka_unit_test(test_default_and_none),
      cmocka_unit_test(test_merge_and_limits),
      cmocka_unit_test(test_clusterdns_addresses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
