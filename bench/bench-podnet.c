/* Pod network setup time: in a network namespace of its own (unshare), configures the node's pod network
 * (src/agent/net) and then, N times, connects a fresh pod namespace to the bridge — veth, hairpin, address,
 * default route — timing only that step (the namespace itself is the runtime's), as podnet_setup_pod does
 * for every pod. With --ip it times the same steps done by `ip`/`bridge` commands instead, for comparison.
 * Prints the median, p90 and min/max in milliseconds. Needs root; touches nothing outside its namespaces.
 *   ninja -C build bench/bench-podnet && build/bench/bench-podnet 50 [--ip] */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/net/podnet.h"
#include "base/util.h"

static int run(const char *cmd) {
  int rc = system(cmd);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 50;
  bool use_ip = argc > 2 && strcmp(argv[2], "--ip") == 0;
  if (n <= 0)
    n = 50;
  if (unshare(CLONE_NEWNET) < 0) {
    perror("unshare(CLONE_NEWNET) (run as root)");
    return 1;
  }
  run("ip link set lo up");
  char dir[] = "/tmp/coracle-bench-podnet-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  PodNet *net = NULL;
  Error err = ERROR_INIT;
  PodNetOptions o = {.data_dir = dir, .cluster_cidr = "10.42.0.0/16"};
  if (podnet_open(&o, &net, &err) < 0 || podnet_configure_node(net, "10.42.0.0/24", &err) < 0) {
    fprintf(stderr, "pod network: %s\n", err.message);
    return 1;
  }
  double *ms = xcalloc((size_t)n, sizeof *ms);
  int failures = 0;
  for (int i = 0; i < n; i++) {
    char ns[64], uid[64], cmd[1024], ip[IP4_STRLEN];
    snprintf(ns, sizeof ns, "coracle-bench-%d-%d", (int)getpid(), i);
    snprintf(uid, sizeof uid, "bench-uid-%d", i);
    snprintf(cmd, sizeof cmd, "ip netns add %s && ip -n %s link set lo up", ns, ns);
    if (run(cmd) != 0)
      return 1;
    _cleanup_free_ char *path = xasprintf("/run/netns/%s", ns);
    uint64_t t0 = now_monotonic_usec();
    int rc;
    if (use_ip) {
      char veth[16];
      podnet_veth_name(uid, veth);
      snprintf(cmd, sizeof cmd,
               "ip link add %s mtu 1500 type veth peer name eth0 netns %s && "
               "ip link set %s master coracle0 up && bridge link set dev %s hairpin on && "
               "ip -n %s addr add 10.42.0.%d/24 dev eth0 && ip -n %s link set eth0 up && "
               "ip -n %s route add default via 10.42.0.1",
               veth, ns, veth, veth, ns, i + 2, ns, ns);
      rc = run(cmd) == 0 ? 0 : -EIO;
    } else {
      rc = podnet_setup_pod(net, uid, path, ip, &err);
    }
    ms[i] = (double)(now_monotonic_usec() - t0) / 1000.0;
    if (rc < 0) {
      fprintf(stderr, "pod %d: %s\n", i, err.message ? err.message : "ip failed");
      error_reset(&err);
      failures++;
    } else if (i == 0) {
      /* The first pod must really reach its gateway. */
      snprintf(cmd, sizeof cmd, "ip netns exec %s busybox ping -c1 -W2 10.42.0.1 >/dev/null", ns);
      if (run(cmd) != 0) {
        fprintf(stderr, "pod 0 cannot reach the gateway\n");
        failures++;
      }
    }
    podnet_teardown_pod(net, uid);
    snprintf(cmd, sizeof cmd, "ip netns del %s", ns);
    run(cmd);
  }
  qsort(ms, (size_t)n, sizeof *ms, cmp);
  printf("pod network setup (%s), n=%d: median %.2f ms, p90 %.2f ms, min %.2f ms, max %.2f ms, failures %d\n",
         use_ip ? "ip commands" : "rtnetlink", n, ms[n / 2], ms[n * 9 / 10], ms[0], ms[n - 1], failures);
  podnet_uninstall(dir, NULL);
  podnet_free(net);
  char rm[128];
  snprintf(rm, sizeof rm, "rm -rf %s", dir);
  run(rm);
  free(ms);
  return failures ? 1 : 0;
}
