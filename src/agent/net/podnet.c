/* The node's pod network (see podnet.h): the bridge, the pods' veths and addresses, the sysctls and routes
 * we change (recorded so that `coracle uninstall` can undo them), and the uninstall sweep. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sys/stat.h>

#include "agent/net/ipam.h"
#include "agent/net/nl.h"
#include "agent/net/podnet.h"
#include "base/log.h"
#include "base/util.h"

#define COMPONENT "podnet"

#define _cleanup_json_ __attribute__((cleanup(json_decrefp))) /* jansson's own json_decrefp */

struct PodNet {
  char *dir; /* DATA_DIR/agent/net */
  char *cluster_cidr;
  pthread_mutex_t lock; /* guards configured, pod_cidr, mtu and ipam.range */
  bool configured;
  char pod_cidr[CIDR4_STRLEN];
  int mtu;
  Ipam ipam;
};

static const struct {
  const char *name, *path, *value;
} sysctls[] = {
    {"net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward", "1"},
    /* NodePorts on 127.0.0.1 (DNAT of loopback-sourced traffic; see host-facts) */
    {"net.ipv4.conf.all.route_localnet", "/proc/sys/net/ipv4/conf/all/route_localnet", "1"},
};

void podnet_veth_name(const char *uid, char buf[static 16]) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)uid; *p; p++)
    h = (h ^ *p) * 16777619u;
  snprintf(buf, 16, PODNET_VETH_PREFIX "%08x", h);
}

static int set_sysctl(PodNet *n, size_t i, Error *err);

int podnet_open(const PodNetOptions *opts, PodNet **ret, Error *err) {
  PodNet *n = xzalloc(sizeof *n);
  n->dir = xasprintf("%s/agent/net", opts->data_dir);
  n->cluster_cidr = xstrdup(opts->cluster_cidr ? opts->cluster_cidr : "10.42.0.0/16");
  pthread_mutex_init(&n->lock, NULL);
  _cleanup_free_ char *ipam_dir = xasprintf("%s/ipam", n->dir);
  int rc = ipam_open(&n->ipam, ipam_dir, NULL, err);
  if (rc < 0) {
    podnet_free(n);
    return rc;
  }
  /* Node-wide, not tied to the podCIDR: set at once, before the service proxy starts and relies on them. */
  for (size_t i = 0; i < ELEMENTSOF(sysctls); i++) {
    Error serr = ERROR_INIT;
    if (set_sysctl(n, i, &serr) < 0)
      log_warn(COMPONENT, "msg=\"%s\"", serr.message ? serr.message : "cannot set a sysctl");
    error_reset(&serr);
  }
  *ret = n;
  return 0;
}

void podnet_free(PodNet *n) {
  if (!n)
    return;
  ipam_close(&n->ipam);
  pthread_mutex_destroy(&n->lock);
  free(n->dir);
  free(n->cluster_cidr);
  free(n);
}

bool podnet_ready(PodNet *n) {
  pthread_mutex_lock(&n->lock);
  bool r = n->configured;
  pthread_mutex_unlock(&n->lock);
  return r;
}

static char *read_trimmed(const char *path) {
  char *s = NULL;
  if (read_file(path, &s, NULL) < 0)
    return NULL;
  s[strcspn(s, "\n")] = 0;
  return s;
}

/* Sets sysctl i of the caller's namespace, recording its value under dir/sysctl before our first change. */
static int sysctl_set_recorded(const char *dir, size_t i, Error *err) {
  _cleanup_free_ char *cur = read_trimmed(sysctls[i].path);
  if (!cur)
    return error_set(err, -errno, NULL, "cannot read %s: %s", sysctls[i].path, strerror(errno));
  if (streq(cur, sysctls[i].value))
    return 0;
  _cleanup_free_ char *sdir = xasprintf("%s/sysctl", dir), *rec = xasprintf("%s/%s", sdir, sysctls[i].name);
  mkdir_p(sdir, 0700);
  if (access(rec, F_OK) != 0 && write_file_atomic(rec, cur, strlen(cur), 0600) < 0)
    return error_set(err, -EIO, NULL, "cannot record %s", rec);
  _cleanup_close_ int fd = open(sysctls[i].path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, sysctls[i].value, 1) != 1)
    return error_set(err, -errno, NULL, "cannot set %s=%s: %s", sysctls[i].name, sysctls[i].value,
                     strerror(errno));
  log_info(COMPONENT, "sysctl=%s value=%s was=%s", sysctls[i].name, sysctls[i].value, cur);
  return 0;
}

static int set_sysctl(PodNet *n, size_t i, Error *err) {
  return sysctl_set_recorded(n->dir, i, err);
}

int podnet_sysctl_set(const char *data_dir, const char *name, Error *err) {
  for (size_t i = 0; i < ELEMENTSOF(sysctls); i++) {
    if (streq(sysctls[i].name, name)) {
      _cleanup_free_ char *dir = xasprintf("%s/agent/net", data_dir);
      return sysctl_set_recorded(dir, i, err);
    }
  }
  return error_set(err, -ENOENT, NULL, "%s is not a sysctl the pod network knows how to restore", name);
}

/* The bridge with the gateway address, up; its link returned. */
static int ensure_bridge(Nl *nl, uint32_t gw, int prefix, NlLink *ret, Error *err) {
  NlLink br;
  int rc = nl_link_get(nl, PODNET_BRIDGE, &br);
  if (rc == -ENODEV) {
    rc = nl_bridge_add(nl, PODNET_BRIDGE);
    if (rc < 0 && rc != -EEXIST)
      return error_set(err, rc, NULL, "creating bridge %s: %s", PODNET_BRIDGE, strerror(-rc));
    rc = nl_link_get(nl, PODNET_BRIDGE, &br);
  }
  if (rc < 0)
    return error_set(err, rc, NULL, "bridge %s: %s", PODNET_BRIDGE, strerror(-rc));
  if (!streq(br.kind, "bridge"))
    return error_set(err, -EEXIST, NULL, "%s exists and is not a bridge (%s)", PODNET_BRIDGE, br.kind);
  rc = nl_addr_add(nl, br.index, gw, prefix);
  if (rc < 0 && rc != -EEXIST)
    return error_set(err, rc, NULL, "adding the gateway address to %s: %s", PODNET_BRIDGE, strerror(-rc));
  if (!br.up && (rc = nl_link_set_up(nl, br.index)) < 0)
    return error_set(err, rc, NULL, "bringing %s up: %s", PODNET_BRIDGE, strerror(-rc));
  *ret = br;
  return 0;
}

int podnet_configure_node(PodNet *n, const char *pod_cidr, Error *err) {
  pthread_mutex_lock(&n->lock);
  int rc = 0;
  if (n->configured) {
    if (!streq(n->pod_cidr, pod_cidr))
      rc = error_set(err, -EEXIST, "spec.podCIDR", "the node's pod network is %s, not %s", n->pod_cidr,
                     pod_cidr);
    pthread_mutex_unlock(&n->lock);
    return rc;
  }
  rc = ipam_set_range(&n->ipam, pod_cidr, err);
  Nl nl = NL_INIT;
  NlLink br = {0};
  if (rc >= 0 && (rc = nl_open(&nl)) < 0)
    error_set(err, rc, NULL, "netlink: %s", strerror(-rc));
  if (rc >= 0)
    rc = ensure_bridge(&nl, ipam_gateway(&n->ipam), n->ipam.range.prefix, &br, err);
  nl_close(&nl);
  if (rc >= 0) {
    char gw[IP4_STRLEN];
    ip4_format(ipam_gateway(&n->ipam), gw);
    cidr4_format(&n->ipam.range, n->pod_cidr);
    n->mtu = br.mtu > 0 ? br.mtu : 1500;
    _cleanup_json_ json_t *j =
        json_pack("{s:s,s:s,s:s,s:s,s:i}", "bridge", PODNET_BRIDGE, "podCIDR", n->pod_cidr, "clusterCIDR",
                  n->cluster_cidr, "gateway", gw, "mtu", n->mtu);
    _cleanup_free_ char *text = json_dumps(j, JSON_COMPACT), *path = xasprintf("%s/config.json", n->dir);
    if (write_file_atomic(path, text, strlen(text), 0644) < 0)
      rc = error_set(err, -EIO, NULL, "writing %s", path);
  }
  if (rc >= 0) {
    n->configured = true;
    log_info(COMPONENT, "bridge=%s podCIDR=%s mtu=%d msg=\"pod network configured\"", PODNET_BRIDGE,
             n->pod_cidr, n->mtu);
  }
  pthread_mutex_unlock(&n->lock);
  return rc;
}

/* eth0 of the pod: address, up, default route via the gateway. */
static int configure_pod_side(Nl *pnl, uint32_t ip, int prefix, uint32_t gw, Error *err) {
  NlLink eth;
  int rc = nl_link_get(pnl, PODNET_POD_IFNAME, &eth);
  if (rc < 0)
    return rc; /* -ENODEV: the caller recreates the pair */
  rc = nl_addr_add(pnl, eth.index, ip, prefix);
  if (rc < 0 && rc != -EEXIST)
    return error_set(err, rc, NULL, "adding the pod's address: %s", strerror(-rc));
  if (!eth.up && (rc = nl_link_set_up(pnl, eth.index)) < 0)
    return error_set(err, rc, NULL, "bringing the pod's eth0 up: %s", strerror(-rc));
  rc = nl_route_replace(pnl, 0, 0, gw, eth.index);
  if (rc < 0)
    return error_set(err, rc, NULL, "adding the pod's default route: %s", strerror(-rc));
  return 0;
}

int podnet_setup_pod(PodNet *n, const char *uid, const char *netns_path, char ret_ip[static IP4_STRLEN],
                     Error *err) {
  pthread_mutex_lock(&n->lock);
  bool ok = n->configured;
  int mtu = n->mtu, prefix = n->ipam.range.prefix;
  uint32_t gw = ipam_gateway(&n->ipam);
  pthread_mutex_unlock(&n->lock);
  if (!ok)
    return error_set(err, -ENODATA, NULL, "the node's pod network is not configured yet");
  uint32_t ip;
  int rc = ipam_allocate(&n->ipam, uid, &ip);
  if (rc == -ENOSPC)
    return error_set(err, rc, NULL, "no pod address left in %s", n->pod_cidr);
  if (rc < 0)
    return error_set(err, rc, NULL, "allocating a pod address: %s", strerror(-rc));
  char veth[16];
  podnet_veth_name(uid, veth);
  _cleanup_close_ int nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    return error_set(err, -errno, NULL, "opening %s: %s", netns_path, strerror(errno));
  _cleanup_nl_ Nl nl = NL_INIT, pnl = NL_INIT;
  if ((rc = nl_open(&nl)) < 0 || (rc = nl_open_netns(netns_path, &pnl)) < 0)
    return error_set(err, rc, NULL, "netlink: %s", strerror(-rc));
  NlLink br;
  if ((rc = ensure_bridge(&nl, gw, prefix, &br, err)) < 0)
    return rc;
  /* The pod's MAC follows from its address (0a:58 + the IPv4 bytes, as Kubernetes' bridge plugin did): a
   * neighbour that still caches a freed address that is reused at once is not left with a dead MAC. */
  const uint8_t mac[6] = {0x0a,       0x58, (uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
                          (uint8_t)ip};
  for (int attempt = 0;; attempt++) {
    rc = nl_veth_add(&nl, veth, br.index, mtu, PODNET_POD_IFNAME, nsfd, mac);
    if (rc < 0 && rc != -EEXIST)
      return error_set(err, rc, NULL, "creating veth %s: %s", veth, strerror(-rc));
    rc = configure_pod_side(&pnl, ip, prefix, gw, err);
    if (rc != -ENODEV)
      break;
    if (attempt > 0)
      return error_set(err, rc, NULL, "the pod's eth0 did not appear in %s", netns_path);
    /* A host veth whose peer is not in this namespace (an older namespace of the pod): start over. */
    nl_link_del(&nl, veth);
  }
  if (rc < 0)
    return rc;
  NlLink host;
  if ((rc = nl_link_get(&nl, veth, &host)) < 0)
    return error_set(err, rc, NULL, "veth %s: %s", veth, strerror(-rc));
  if (host.master != br.index) /* an existing veth left off the bridge */
    return error_set(err, -EIO, NULL, "veth %s is not on %s", veth, PODNET_BRIDGE);
  rc = nl_bridge_port_hairpin(&nl, host.index, true);
  if (rc < 0)
    return error_set(err, rc, NULL, "hairpin on %s: %s", veth, strerror(-rc));
  ip4_format(ip, ret_ip);
  return 0;
}

void podnet_teardown_pod(PodNet *n, const char *uid) {
  char veth[16];
  podnet_veth_name(uid, veth);
  _cleanup_nl_ Nl nl = NL_INIT;
  if (nl_open(&nl) == 0) {
    int rc = nl_link_del(&nl, veth);
    if (rc < 0 && rc != -ENODEV)
      log_warn(COMPONENT, "veth=%s msg=\"delete failed\" err=\"%s\"", veth, strerror(-rc));
  }
  if (ipam_release(&n->ipam, uid) > 0)
    log_debug(COMPONENT, "uid=%s msg=\"address released\"", uid);
}

typedef struct ReconcileCtx {
  const char *pods_dir;
  Nl *nl;
} ReconcileCtx;

static bool pod_alive(const char *uid, void *ud) {
  ReconcileCtx *c = ud;
  _cleanup_free_ char *p = xasprintf("%s/%s", c->pods_dir, uid);
  if (access(p, F_OK) == 0)
    return true;
  char veth[16];
  podnet_veth_name(uid, veth);
  if (c->nl->fd >= 0)
    nl_link_del(c->nl, veth);
  log_info(COMPONENT, "uid=%s msg=\"releasing the address of a pod that is gone\"", uid);
  return false;
}

int podnet_reconcile(PodNet *n, const char *pods_dir) {
  _cleanup_nl_ Nl nl = NL_INIT;
  nl_open(&nl);
  ReconcileCtx c = {.pods_dir = pods_dir, .nl = &nl};
  return ipam_reconcile(&n->ipam, pod_alive, &c);
}

/* ---- routes to other nodes ---- */

static char *route_record(const char *dir, const Cidr4 *c) {
  char s[CIDR4_STRLEN];
  cidr4_format(c, s);
  *strchr(s, '/') = '_';
  return xasprintf("%s/routes/%s", dir, s);
}

int podnet_route_set(PodNet *n, const char *cidr, const char *via, Error *err) {
  Cidr4 c;
  uint32_t gw;
  if (cidr4_parse(cidr, &c) < 0 || ip4_parse(via, &gw) < 0)
    return error_set(err, -EINVAL, NULL, "bad route %s via %s", cidr ?: "", via ?: "");
  _cleanup_free_ char *rec = route_record(n->dir, &c), *dir = xasprintf("%s/routes", n->dir);
  mkdir_p(dir, 0700);
  /* Recorded first: a crash right after adding must not leave a route uninstall does not know. */
  if (write_file_atomic(rec, via, strlen(via), 0600) < 0)
    return error_set(err, -EIO, NULL, "recording %s", rec);
  _cleanup_nl_ Nl nl = NL_INIT;
  int rc = nl_open(&nl);
  if (rc >= 0)
    rc = nl_route_replace(&nl, c.addr, c.prefix, gw, 0);
  if (rc < 0)
    return error_set(err, rc, NULL, "route %s via %s: %s", cidr, via, strerror(-rc));
  return 0;
}

int podnet_route_del(PodNet *n, const char *cidr) {
  Cidr4 c;
  if (cidr4_parse(cidr, &c) < 0)
    return -EINVAL;
  _cleanup_nl_ Nl nl = NL_INIT;
  int rc = nl_open(&nl);
  if (rc >= 0)
    rc = nl_route_del(&nl, c.addr, c.prefix, 0);
  _cleanup_free_ char *rec = route_record(n->dir, &c);
  unlink(rec);
  return rc == -ESRCH ? 0 : rc;
}

/* ---- the configuration for other components ---- */

int podnet_read_config(const char *data_dir, PodNetConfig *ret) {
  _cleanup_free_ char *path = xasprintf("%s/agent/net/config.json", data_dir), *text = NULL;
  size_t len;
  int rc = read_file(path, &text, &len);
  if (rc < 0)
    return rc;
  _cleanup_json_ json_t *j = json_loadb(text, len, 0, NULL);
  const char *br = json_string_value(json_object_get(j, "bridge")),
             *pod = json_string_value(json_object_get(j, "podCIDR")),
             *cl = json_string_value(json_object_get(j, "clusterCIDR")),
             *gw = json_string_value(json_object_get(j, "gateway"));
  if (!br || !pod || !cl || !gw)
    return -EBADMSG;
  PodNetConfig c = {.mtu = (int)json_integer_value(json_object_get(j, "mtu"))};
  snprintf(c.bridge, sizeof c.bridge, "%s", br);
  snprintf(c.pod_cidr, sizeof c.pod_cidr, "%s", pod);
  snprintf(c.cluster_cidr, sizeof c.cluster_cidr, "%s", cl);
  snprintf(c.gateway, sizeof c.gateway, "%s", gw);
  *ret = c;
  return 0;
}

/* ---- uninstall ---- */

static void say(FILE *out, const char *fmt, const char *a, const char *b) {
  if (out) {
    fprintf(out, fmt, a, b);
    fputc('\n', out);
  }
}

int podnet_uninstall(const char *data_dir, FILE *out) {
  _cleanup_free_ char *dir = xasprintf("%s/agent/net", data_dir);
  int removed = 0;
  _cleanup_nl_ Nl nl = NL_INIT;
  int rc = nl_open(&nl);
  if (rc < 0) {
    say(out, "cannot open netlink: %s%s", strerror(-rc), "");
    return rc;
  }
  /* Routes to other nodes' pods that we recorded: before the bridge, which takes those via it along. */
  _cleanup_free_ char *routes = xasprintf("%s/routes", dir);
  DIR *d = opendir(routes);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.')
        continue;
      _cleanup_free_ char *s = xstrdup(e->d_name), *p = xasprintf("%s/%s", routes, e->d_name),
                          *via = read_trimmed(p);
      char *u = strrchr(s, '_');
      Cidr4 c;
      uint32_t gw = 0;
      if (!u || !via || ip4_parse(via, &gw) < 0)
        continue;
      *u = '/';
      /* Only ours: the recorded gateway must match, another tool's route to the same range stays. */
      if (cidr4_parse(s, &c) == 0 && nl_route_del(&nl, c.addr, c.prefix, gw) == 0) {
        say(out, "deleted route %s%s", s, "");
        removed++;
      }
    }
    closedir(d);
  }
  /* Veths: the bridge's ports, and the pods IPAM still knows (a veth left off the bridge). */
  NlLink br = {0};
  NlLink *links = NULL;
  size_t n_links = 0;
  bool have_br = nl_link_get(&nl, PODNET_BRIDGE, &br) == 0 && streq(br.kind, "bridge");
  if (have_br && nl_link_list(&nl, &links, &n_links) == 0) {
    for (size_t i = 0; i < n_links; i++)
      if (links[i].master == br.index && streq(links[i].kind, "veth") &&
          nl_link_del(&nl, links[i].name) == 0) {
        say(out, "deleted veth %s%s", links[i].name, "");
        removed++;
      }
  }
  free(links);
  _cleanup_free_ char *ipam_dir = xasprintf("%s/ipam", dir);
  d = opendir(ipam_dir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.')
        continue;
      _cleanup_free_ char *p = xasprintf("%s/%s", ipam_dir, e->d_name), *uid = read_trimmed(p);
      char veth[16];
      if (!uid)
        continue;
      podnet_veth_name(uid, veth);
      if (nl_link_del(&nl, veth) == 0) {
        say(out, "deleted veth %s%s", veth, "");
        removed++;
      }
    }
    closedir(d);
  }
  if (have_br && nl_link_del(&nl, PODNET_BRIDGE) == 0) {
    say(out, "deleted bridge %s%s", PODNET_BRIDGE, "");
    removed++;
  }
  rc = nl_nft_table_delete("ip", PODNET_NFT_TABLE);
  if (rc == 0) {
    say(out, "deleted nftables table ip %s%s", PODNET_NFT_TABLE, "");
    removed++;
  } else if (rc != -ENOENT) {
    say(out, "cannot delete nftables table ip " PODNET_NFT_TABLE ": %s%s", strerror(-rc), "");
  }
  /* Sysctls back to what they were before we changed them. */
  for (size_t i = 0; i < ELEMENTSOF(sysctls); i++) {
    _cleanup_free_ char *rec = xasprintf("%s/sysctl/%s", dir, sysctls[i].name), *orig = read_trimmed(rec);
    if (!orig)
      continue;
    _cleanup_close_ int fd = open(sysctls[i].path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0 && write(fd, orig, strlen(orig)) == (ssize_t)strlen(orig)) {
      say(out, "restored %s=%s", sysctls[i].name, orig);
      unlink(rec); /* the data directory may stay (--cleanup-on-exit): a later start records afresh */
      removed++;
    }
  }
  return removed;
}
