/* Unit tests for the pod network's pure and file-backed parts: IPv4 CIDR parsing and arithmetic, the node
 * podCIDR allocator of the server (nodeipam: round robin, occupancy rebuilt from existing Nodes, release,
 * exhaustion, bad cluster CIDRs) and the agent's file-backed IPAM (lowest free address, the same address for
 * the same pod, reuse after release, exhaustion, survival across a reopen, reconciliation against live pods,
 * concurrent allocations), plus the veth naming; and, as root, the node side of the pod network in a network
 * namespace of the test's own: bridge, sysctls recorded and restored, routes to other nodes' podCIDRs, the
 * configuration file the service proxy reads, and the uninstall sweep. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <sys/stat.h>

#include "agent/net/ipam.h"
#include "agent/net/podnet.h"
#include "base/cidr.h"
#include "controllers/nodeipam.h"

static void test_cidr(void **state) {
  Cidr4 c;
  assert_int_equal(cidr4_parse("10.42.0.0/16", &c), 0);
  assert_int_equal(c.prefix, 16);
  assert_int_equal(c.addr, 0x0a2a0000u);
  assert_int_equal(cidr4_parse("10.42.7.9/24", &c), 0); /* host bits cleared */
  char buf[CIDR4_STRLEN];
  cidr4_format(&c, buf);
  assert_string_equal(buf, "10.42.7.0/24");
  assert_true(cidr4_contains(&c, 0x0a2a07feu));
  assert_false(cidr4_contains(&c, 0x0a2a0801u));
  assert_int_equal(cidr4_size(&c), 256);
  assert_int_equal(cidr4_parse("10.42.0.0", &c), -EINVAL);
  assert_int_equal(cidr4_parse("10.42.0.0/33", &c), -EINVAL);
  assert_int_equal(cidr4_parse("10.42.0.0/", &c), -EINVAL);
  assert_int_equal(cidr4_parse("10.42.0/16", &c), -EINVAL);
  assert_int_equal(cidr4_parse("fd00::/64", &c), -EAFNOSUPPORT);
  uint32_t ip;
  assert_int_equal(ip4_parse("192.168.77.1", &ip), 0);
  char s[IP4_STRLEN];
  ip4_format(ip, s);
  assert_string_equal(s, "192.168.77.1");
  assert_int_equal(ip4_parse("300.1.1.1", &ip), -EINVAL);
}

static void test_nodeipam_allocates_in_order(void **state) {
  NodeIpam a;
  Error err = ERROR_INIT;
  assert_int_equal(nodeipam_init(&a, "10.42.0.0/16", 24, &err), 0);
  assert_int_equal(a.n, 256);
  char c[CIDR4_STRLEN];
  assert_int_equal(nodeipam_allocate(&a, c), 0);
  assert_string_equal(c, "10.42.0.0/24");
  assert_int_equal(nodeipam_allocate(&a, c), 0);
  assert_string_equal(c, "10.42.1.0/24");
  /* A released block is not handed out again before the others (round robin, as Kubernetes' cidrset). */
  nodeipam_release(&a, "10.42.0.0/24");
  assert_int_equal(nodeipam_allocate(&a, c), 0);
  assert_string_equal(c, "10.42.2.0/24");
  nodeipam_done(&a);
}

static void test_nodeipam_rebuilt_from_nodes(void **state) {
  /* A restarted server: the Nodes' existing podCIDRs are occupied before anything is allocated. */
  NodeIpam a;
  assert_int_equal(nodeipam_init(&a, "10.42.0.0/16", 24, NULL), 0);
  assert_int_equal(nodeipam_occupy(&a, "10.42.0.0/24"), 0);
  assert_int_equal(nodeipam_occupy(&a, "10.42.1.0/24"), 0);
  assert_int_equal(nodeipam_occupy(&a, "10.42.1.0/24"), 0); /* seen twice (add, then update): same */
  assert_int_equal(nodeipam_occupy(&a, "10.99.0.0/24"), -ERANGE);
  assert_int_equal(nodeipam_occupy(&a, "10.42.0.0/25"), -ERANGE);
  char c[CIDR4_STRLEN];
  assert_int_equal(nodeipam_allocate(&a, c), 0);
  assert_string_equal(c, "10.42.2.0/24");
  nodeipam_done(&a);
}

static void test_nodeipam_full_and_invalid(void **state) {
  NodeIpam a;
  assert_int_equal(nodeipam_init(&a, "10.42.0.0/22", 24, NULL), 0);
  char c[CIDR4_STRLEN];
  for (int i = 0; i < 4; i++)
    assert_int_equal(nodeipam_allocate(&a, c), 0);
  assert_string_equal(c, "10.42.3.0/24");
  assert_int_equal(nodeipam_allocate(&a, c), -ENOSPC);
  nodeipam_release(&a, "10.42.2.0/24");
  assert_int_equal(nodeipam_allocate(&a, c), 0);
  assert_string_equal(c, "10.42.2.0/24");
  nodeipam_done(&a);
  Error err = ERROR_INIT;
  assert_int_equal(nodeipam_init(&a, "10.42.0.0/25", 24, &err), -EINVAL);
  assert_non_null(strstr(err.message, "smaller than one node's pod range"));
  error_reset(&err);
  nodeipam_done(&a);
  assert_int_equal(nodeipam_init(&a, "nonsense", 24, &err), -EINVAL);
  assert_non_null(strstr(err.message, "invalid CIDR"));
  error_reset(&err);
  nodeipam_done(&a);
  assert_int_equal(nodeipam_init(&a, "fd00::/48", 24, &err), -EINVAL);
  assert_non_null(strstr(err.message, "IPv6"));
  error_reset(&err);
  nodeipam_done(&a);
}

/* ---- the agent's IPAM ---- */

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f) {
  return remove(p);
}

static char *tmpdir(void) {
  char t[] = "/tmp/coracle-ipam-XXXXXX";
  assert_non_null(mkdtemp(t));
  return xstrdup(t);
}

static void rmrf(const char *d) {
  nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *ipstr(uint32_t ip, char buf[static IP4_STRLEN]) {
  ip4_format(ip, buf);
  return buf;
}

static void test_ipam_allocate_release_reuse(void **state) {
  _cleanup_free_ char *d = tmpdir();
  Ipam a;
  char s[IP4_STRLEN];
  assert_int_equal(ipam_open(&a, d, NULL, NULL), 0);
  uint32_t ip;
  assert_int_equal(ipam_allocate(&a, "uid-a", &ip), -ENODATA); /* no podCIDR yet */
  assert_int_equal(ipam_set_range(&a, "10.42.3.0/24", NULL), 0);
  assert_string_equal(ipstr(ipam_gateway(&a), s), "10.42.3.1");
  assert_int_equal(ipam_allocate(&a, "uid-a", &ip), 0);
  assert_string_equal(ipstr(ip, s), "10.42.3.2");
  assert_int_equal(ipam_allocate(&a, "uid-b", &ip), 0);
  assert_string_equal(ipstr(ip, s), "10.42.3.3");
  /* The same pod asks again (a restarted agent): the same address. */
  assert_int_equal(ipam_allocate(&a, "uid-a", &ip), 0);
  assert_string_equal(ipstr(ip, s), "10.42.3.2");
  /* The record names the pod. */
  _cleanup_free_ char *rec = xasprintf("%s/10.42.3.2", d), *owner = NULL;
  assert_int_equal(read_file(rec, &owner, NULL), 0);
  assert_string_equal(owner, "uid-a");
  /* Freed, then reused by the next pod. */
  assert_int_equal(ipam_release(&a, "uid-a"), 1);
  assert_int_equal(access(rec, F_OK), -1);
  assert_int_equal(ipam_lookup(&a, "uid-a", &ip), -ENOENT);
  assert_int_equal(ipam_release(&a, "uid-a"), 0);
  assert_int_equal(ipam_allocate(&a, "uid-c", &ip), 0);
  assert_string_equal(ipstr(ip, s), "10.42.3.2");
  ipam_close(&a);
  /* Survives a reopen (agent restart): state is the directory. */
  assert_int_equal(ipam_open(&a, d, "10.42.3.0/24", NULL), 0);
  assert_int_equal(ipam_lookup(&a, "uid-b", &ip), 0);
  assert_string_equal(ipstr(ip, s), "10.42.3.3");
  assert_int_equal(ipam_allocate(&a, "uid-d", &ip), 0);
  assert_string_equal(ipstr(ip, s), "10.42.3.4");
  ipam_close(&a);
  rmrf(d);
}

static void test_ipam_full(void **state) {
  _cleanup_free_ char *d = tmpdir();
  Ipam a;
  char s[IP4_STRLEN];
  assert_int_equal(ipam_open(&a, d, "10.42.3.0/29", NULL), 0); /* .2 to .6: five pods */
  uint32_t ip;
  for (int i = 0; i < 5; i++) {
    char uid[16];
    snprintf(uid, sizeof uid, "u%d", i);
    assert_int_equal(ipam_allocate(&a, uid, &ip), 0);
  }
  assert_string_equal(ipstr(ip, s), "10.42.3.6");
  assert_int_equal(ipam_allocate(&a, "u5", &ip), -ENOSPC);
  /* No temporary is left behind by the failed attempt. */
  _cleanup_free_ char *tmp = xasprintf("%s/.tmp-u5", d);
  assert_int_equal(access(tmp, F_OK), -1);
  assert_int_equal(ipam_release(&a, "u2"), 1);
  assert_int_equal(ipam_allocate(&a, "u5", &ip), 0);
  assert_string_equal(ipstr(ip, s), "10.42.3.4");
  Error err = ERROR_INIT;
  assert_int_equal(ipam_set_range(&a, "10.42.3.0/31", &err), -EINVAL);
  error_reset(&err);
  ipam_close(&a);
  rmrf(d);
}

static bool alive_if_listed(const char *uid, void *ud) {
  for (const char **p = ud; *p; p++)
    if (streq(*p, uid))
      return true;
  return false;
}

static void test_ipam_reconcile(void **state) {
  _cleanup_free_ char *d = tmpdir();
  Ipam a;
  assert_int_equal(ipam_open(&a, d, "10.42.3.0/24", NULL), 0);
  uint32_t ip;
  assert_int_equal(ipam_allocate(&a, "live", &ip), 0);
  assert_int_equal(ipam_allocate(&a, "gone", &ip), 0);
  /* Leftovers of a crash: a temporary and an empty record. */
  _cleanup_free_ char *tmp = xasprintf("%s/.tmp-x", d), *empty = xasprintf("%s/10.42.3.9", d);
  assert_int_equal(write_file_atomic(tmp, "x", 1, 0600), 0);
  assert_int_equal(write_file_atomic(empty, "", 0, 0600), 0);
  const char *live[] = {"live", NULL};
  assert_int_equal(ipam_reconcile(&a, alive_if_listed, live), 2);
  assert_int_equal(ipam_lookup(&a, "live", &ip), 0);
  assert_int_equal(ipam_lookup(&a, "gone", &ip), -ENOENT);
  assert_int_equal(access(tmp, F_OK), -1);
  assert_int_equal(access(empty, F_OK), -1);
  ipam_close(&a);
  rmrf(d);
}

typedef struct Worker {
  Ipam *a;
  int base;
  uint32_t ips[40];
} Worker;

static void *alloc_many(void *p) {
  Worker *w = p;
  for (int i = 0; i < 40; i++) {
    char uid[32];
    snprintf(uid, sizeof uid, "w%d-%d", w->base, i);
    if (ipam_allocate(w->a, uid, &w->ips[i]) < 0)
      w->ips[i] = 0;
  }
  return NULL;
}

static void test_ipam_concurrent(void **state) {
  /* Two pod workers allocating at once never get the same address. */
  _cleanup_free_ char *d = tmpdir();
  Ipam a;
  assert_int_equal(ipam_open(&a, d, "10.42.3.0/24", NULL), 0);
  Worker w[2] = {{.a = &a, .base = 0}, {.a = &a, .base = 1}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++)
    pthread_create(&t[i], NULL, alloc_many, &w[i]);
  for (int i = 0; i < 2; i++)
    pthread_join(t[i], NULL);
  uint8_t seen[256] = {0};
  for (int i = 0; i < 2; i++)
    for (int k = 0; k < 40; k++) {
      assert_int_not_equal(w[i].ips[k], 0);
      uint8_t last = (uint8_t)(w[i].ips[k] & 0xff);
      assert_int_equal(seen[last], 0);
      seen[last] = 1;
    }
  ipam_close(&a);
  rmrf(d);
}

static void test_veth_name(void **state) {
  char a[16], b[16];
  podnet_veth_name("0b5c2f0e-1111-2222-3333-444455556666", a);
  podnet_veth_name("0b5c2f0e-1111-2222-3333-444455556667", b);
  assert_int_equal(strlen(a), 12); /* within IFNAMSIZ */
  assert_true(startswith(a, "veth"));
  assert_string_not_equal(a, b);
  podnet_veth_name("0b5c2f0e-1111-2222-3333-444455556666", b);
  assert_string_equal(a, b); /* stable: a restarted agent finds its veths */
}

static char *cmd_out(const char *cmd) {
  FILE *f = popen(cmd, "r");
  assert_non_null(f);
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = 0;
  pclose(f);
  return xstrdup(buf);
}

static char *sysctl_value(const char *path) {
  char *v = NULL;
  assert_int_equal(read_file(path, &v, NULL), 0);
  v[strcspn(v, "\n")] = 0;
  return v;
}

/* Last: it moves the whole test process into a new network namespace. */
static void test_podnet_node_side_live(void **state) {
  if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
    skip();
  _cleanup_free_ char *d = tmpdir();
  PodNet *n = NULL;
  Error err = ERROR_INIT;
  PodNetOptions o = {.data_dir = d, .cluster_cidr = "10.42.0.0/16"};
  assert_int_equal(podnet_open(&o, &n, &err), 0);
  _cleanup_free_ char *lnet = sysctl_value("/proc/sys/net/ipv4/conf/all/route_localnet"),
                      *fwd = sysctl_value("/proc/sys/net/ipv4/ip_forward");
  assert_string_equal(lnet, "1");
  assert_string_equal(fwd, "1");
  assert_false(podnet_ready(n));
  PodNetConfig cfg;
  assert_int_equal(podnet_read_config(d, &cfg), -ENOENT);
  assert_int_equal(podnet_configure_node(n, "10.42.5.0/24", &err), 0);
  assert_true(podnet_ready(n));
  assert_int_equal(podnet_configure_node(n, "10.42.5.0/24", &err), 0); /* idempotent */
  assert_int_equal(podnet_configure_node(n, "10.42.6.0/24", &err), -EEXIST);
  error_reset(&err);
  assert_int_equal(podnet_read_config(d, &cfg), 0);
  assert_string_equal(cfg.bridge, "coracle0");
  assert_string_equal(cfg.pod_cidr, "10.42.5.0/24");
  assert_string_equal(cfg.cluster_cidr, "10.42.0.0/16");
  assert_string_equal(cfg.gateway, "10.42.5.1");
  assert_int_equal(cfg.mtu, 1500);
  _cleanup_free_ char *addr = cmd_out("ip -4 -o addr show dev coracle0");
  assert_non_null(strstr(addr, "10.42.5.1/24"));
  /* Another node's pods through its address (here an address on the bridge's subnet). */
  assert_int_equal(podnet_route_set(n, "10.42.7.0/24", "10.42.5.200", &err), 0);
  _cleanup_free_ char *routes = cmd_out("ip -4 route show 10.42.7.0/24");
  assert_non_null(strstr(routes, "10.42.7.0/24 via 10.42.5.200 dev coracle0"));
  assert_int_equal(podnet_route_del(n, "10.42.7.0/24"), 0);
  _cleanup_free_ char *routes2 = cmd_out("ip -4 route show 10.42.7.0/24");
  assert_string_equal(routes2, "");
  assert_int_equal(podnet_route_set(n, "10.42.8.0/24", "10.42.5.201", &err), 0);
  /* A pod: connected, connected again (a restarted agent) with the same address, disconnected. */
  char ns[64], cmd[512], ip[IP4_STRLEN], ip2[IP4_STRLEN], veth[16];
  snprintf(ns, sizeof ns, "coracle-ut-%d", (int)getpid());
  snprintf(cmd, sizeof cmd, "ip netns add %s && ip -n %s link set lo up", ns, ns);
  assert_int_equal(system(cmd), 0);
  _cleanup_free_ char *nspath = xasprintf("/run/netns/%s", ns);
  int rc = podnet_setup_pod(n, "pod-uid-1", nspath, ip, &err);
  if (rc < 0)
    fail_msg("setup: %s", err.message);
  assert_string_equal(ip, "10.42.5.2");
  assert_int_equal(podnet_setup_pod(n, "pod-uid-1", nspath, ip2, &err), 0);
  assert_string_equal(ip2, ip);
  snprintf(cmd, sizeof cmd,
           "ip -n %s -4 -o addr show eth0; ip -n %s route show default; ip -n %s link show eth0", ns, ns, ns);
  _cleanup_free_ char *inside = cmd_out(cmd);
  assert_non_null(strstr(inside, "10.42.5.2/24"));
  assert_non_null(strstr(inside, "default via 10.42.5.1 dev eth0"));
  assert_non_null(strstr(inside, "link/ether 0a:58:0a:2a:05:02"));
  assert_non_null(strstr(inside, "state UP"));
  podnet_veth_name("pod-uid-1", veth);
  snprintf(cmd, sizeof cmd, "bridge -d link show dev %s", veth);
  _cleanup_free_ char *port = cmd_out(cmd);
  assert_non_null(strstr(port, "master coracle0"));
  assert_non_null(strstr(port, "hairpin on"));
  podnet_teardown_pod(n, "pod-uid-1");
  snprintf(cmd, sizeof cmd, "ip -o link show %s 2>&1", veth);
  _cleanup_free_ char *gone = cmd_out(cmd);
  assert_non_null(strstr(gone, "does not exist"));
  _cleanup_free_ char *rec = xasprintf("%s/agent/net/ipam/10.42.5.2", d);
  assert_int_equal(access(rec, F_OK), -1);
  snprintf(cmd, sizeof cmd, "ip netns del %s", ns);
  assert_int_equal(system(cmd), 0);
  podnet_free(n);
  /* Another tool's bridge must survive the sweep. */
  assert_int_equal(system("ip link add other0 type bridge"), 0);
  int removed = podnet_uninstall(d, NULL);
  assert_int_equal(removed, 4); /* bridge, route, two sysctls */
  _cleanup_free_ char *links = cmd_out("ip -o link show");
  assert_null(strstr(links, "coracle0"));
  assert_non_null(strstr(links, "other0"));
  _cleanup_free_ char *routes3 = cmd_out("ip -4 route show");
  assert_null(strstr(routes3, "10.42."));
  _cleanup_free_ char *lnet2 = sysctl_value("/proc/sys/net/ipv4/conf/all/route_localnet"),
                      *fwd2 = sysctl_value("/proc/sys/net/ipv4/ip_forward");
  assert_string_equal(lnet2, "0");
  assert_string_equal(fwd2, "0");
  _cleanup_free_ char *srec = xasprintf("%s/agent/net/sysctl/net.ipv4.conf.all.route_localnet", d);
  assert_int_equal(access(srec, F_OK), -1); /* restored records go: a later start records afresh */
  /* The service proxy sets route_localnet through podnet_sysctl_set: recorded, so restored by uninstall. */
  assert_int_equal(podnet_sysctl_set(d, "net.ipv4.conf.all.route_localnet", &err), 0);
  _cleanup_free_ char *lnet3 = sysctl_value("/proc/sys/net/ipv4/conf/all/route_localnet"),
                      *recorded = sysctl_value(srec);
  assert_string_equal(lnet3, "1");
  assert_string_equal(recorded, "0");
  assert_int_equal(podnet_sysctl_set(d, "net.ipv4.tcp_syncookies", &err), -ENOENT);
  error_reset(&err);
  assert_int_equal(podnet_uninstall(d, NULL), 1);
  _cleanup_free_ char *lnet4 = sysctl_value("/proc/sys/net/ipv4/conf/all/route_localnet");
  assert_string_equal(lnet4, "0");
  rmrf(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_cidr),
      cmocka_unit_test(test_nodeipam_allocates_in_order),
      cmocka_unit_test(test_nodeipam_rebuilt_from_nodes),
      cmocka_unit_test(test_nodeipam_full_and_invalid),
      cmocka_unit_test(test_ipam_allocate_release_reuse),
      cmocka_unit_test(test_ipam_full),
      cmocka_unit_test(test_ipam_reconcile),
      cmocka_unit_test(test_ipam_concurrent),
      cmocka_unit_test(test_veth_name),
      cmocka_unit_test(test_podnet_node_side_live),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
