/* The pod DNS configuration of dnsconfig.h (pure string work, unit-tested in tests/unit/test-dnsconfig.c) and
 * the hook that runs the node's cluster DNS server with the agent. */
#include <arpa/inet.h>

#include "agent/dns/dns-server.h"
#include "agent/kubelet/dnsconfig.h"
#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strv.h"

#define MAX_NAMESERVERS 3
#define MAX_SEARCHES 32
#define MAX_SEARCH_CHARS 2048
#define MAX_SEARCH_LEN 253 /* a DNS-1123 subdomain: longer ones make some resolvers abort */

typedef struct DnsConf {
  char **servers, **searches, **options;
} DnsConf;

static void conf_done(DnsConf *c) {
  strv_free(c->servers);
  strv_free(c->searches);
  strv_free(c->options);
}

static void push_unique(char ***l, const char *s) {
  if (!isempty(s) && !strv_contains(*l, s))
    strv_push(l, s);
}

/* nameserver, search and options lines of a resolv.conf (comments start with # or ;). */
static void parse_resolv(const char *text, DnsConf *c) {
  if (!text)
    return;
  _cleanup_strv_free_ char **lines = strv_split(text, '\n');
  for (char **l = lines; l && *l; l++) {
    char *hash = strpbrk(*l, "#;");
    if (hash)
      *hash = 0;
    char *save = NULL, *key = strtok_r(*l, " \t\r", &save);
    if (!key)
      continue;
    if (streq(key, "nameserver")) {
      char *v = strtok_r(NULL, " \t\r", &save);
      if (v)
        strv_push(&c->servers, v);
    } else if (streq(key, "search")) {
      strv_free(c->searches); /* the last search line wins */
      c->searches = NULL;
      for (char *v; (v = strtok_r(NULL, " \t\r", &save));) {
        size_t n = strlen(v);
        if (n > 1 && v[n - 1] == '.')
          v[n - 1] = 0;
        if (!streq(v, "."))
          strv_push(&c->searches, v);
      }
    } else if (streq(key, "options")) {
      for (char *v; (v = strtok_r(NULL, " \t\r", &save));)
        strv_push(&c->options, v);
    }
  }
}

/* Sets option name (value may be NULL) in opts, replacing one of the same name in place. */
static void set_option(char ***opts, const char *name, const char *value) {
  _cleanup_free_ char *opt = value && *value ? xasprintf("%s:%s", name, value) : xstrdup(name);
  size_t nl = strlen(name);
  for (char **o = *opts; o && *o; o++)
    if (!strncmp(*o, name, nl) && ((*o)[nl] == 0 || (*o)[nl] == ':')) {
      free(*o);
      *o = TAKE_PTR(opt);
      return;
    }
  strv_push(opts, opt);
}

static void warn(char **w, const char *msg) {
  if (!w)
    return;
  if (!*w) {
    *w = xstrdup(msg);
    return;
  }
  char *n = xasprintf("%s; %s", *w, msg);
  free(*w);
  *w = n;
}

char *kubelet_dns_resolv_conf(json_t *pod, const char *cluster_dns, const char *cluster_domain,
                              const char *host_resolv, char **ret_warning) {
  char *warning = NULL;
  const char *policy = jstr(pod, "spec.dnsPolicy");
  bool host_net = json_is_true(jpath(pod, "spec.hostNetwork"));
  if (isempty(policy))
    policy = "ClusterFirst";
  enum { HOST, CLUSTER, NONE } type;
  if (streq(policy, "None"))
    type = NONE;
  else if (streq(policy, "ClusterFirstWithHostNet") || (streq(policy, "ClusterFirst") && !host_net))
    type = CLUSTER;
  else
    type = HOST; /* Default, and ClusterFirst on the host network */

  DnsConf c = {0};
  if (type != NONE)
    parse_resolv(host_resolv, &c);
  _cleanup_strv_free_ char **cluster = NULL;
  if (!isempty(cluster_dns)) {
    _cleanup_strv_free_ char **ips = strv_split(cluster_dns, ',');
    for (char **ip = ips; ip && *ip; ip++)
      push_unique(&cluster, *ip);
  }
  if (type == CLUSTER && !cluster) {
    warn(&warning,
         "kubelet does not have ClusterDNS IP configured and cannot create Pod using \"ClusterFirst\" "
         "policy. Falling back to \"Default\" policy.");
    type = HOST;
  }
  if (type == CLUSTER) {
    strv_free(c.servers);
    c.servers = NULL;
    for (char **ip = cluster; ip && *ip; ip++)
      strv_push(&c.servers, *ip);
    char **host_search = TAKE_PTR(c.searches);
    if (!isempty(cluster_domain)) {
      const char *ns = jstr(pod, "metadata.namespace") ?: "default";
      _cleanup_free_ char *a = xasprintf("%s.svc.%s", ns, cluster_domain),
                          *b = xasprintf("svc.%s", cluster_domain);
      push_unique(&c.searches, a);
      push_unique(&c.searches, b);
      push_unique(&c.searches, cluster_domain);
    }
    for (char **s = host_search; s && *s; s++)
      push_unique(&c.searches, *s);
    strv_free(host_search);
    strv_free(c.options);
    c.options = NULL;
    strv_push(&c.options, "ndots:5");
  } else {
    /* Duplicates from the host file go, as the kubelet's omitDuplicates does. */
    char **servers = TAKE_PTR(c.servers), **searches = TAKE_PTR(c.searches);
    for (char **s = servers; s && *s; s++)
      push_unique(&c.servers, *s);
    for (char **s = searches; s && *s; s++)
      push_unique(&c.searches, *s);
    strv_free(servers);
    strv_free(searches);
  }

  json_t *dc = jpath(pod, "spec.dnsConfig");
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(dc, "nameservers"), i, v) push_unique(&c.servers, json_string_value(v));
  json_array_foreach(json_object_get(dc, "searches"), i, v) push_unique(&c.searches, json_string_value(v));
  json_array_foreach(json_object_get(dc, "options"), i, v) {
    const char *name = jstr(v, "name");
    if (!isempty(name))
      set_option(&c.options, name, jstr(v, "value"));
  }

  /* Limits. */
  if (strv_length(c.servers) > MAX_NAMESERVERS) {
    for (size_t k = MAX_NAMESERVERS; c.servers[k]; k++) {
      free(c.servers[k]);
      c.servers[k] = NULL;
    }
    warn(&warning, "Nameserver limits were exceeded, some nameservers have been omitted");
  }
  bool search_cut = false;
  size_t n = 0, total = 0;
  for (size_t k = 0; c.searches && c.searches[k]; k++) {
    char *s = c.searches[k];
    c.searches[k] = NULL;
    if (n >= MAX_SEARCHES || strlen(s) > MAX_SEARCH_LEN ||
        total + (n ? 1 : 0) + strlen(s) > MAX_SEARCH_CHARS) {
      search_cut = true;
      free(s);
      continue;
    }
    total += (n ? 1 : 0) + strlen(s);
    c.searches[n++] = s;
  }
  if (search_cut)
    warn(&warning, "Search Line limits were exceeded, some search paths have been omitted");

  _cleanup_buf_ Buf b = BUF_INIT;
  if (c.searches && c.searches[0]) {
    buf_puts(&b, "search");
    for (char **s = c.searches; *s; s++)
      buf_printf(&b, " %s", *s);
    buf_putc(&b, '\n');
  }
  for (char **s = c.servers; s && *s; s++)
    buf_printf(&b, "nameserver %s\n", *s);
  if (c.options && c.options[0]) {
    buf_puts(&b, "options");
    for (char **s = c.options; *s; s++)
      buf_printf(&b, " %s", *s);
    buf_putc(&b, '\n');
  }
  conf_done(&c);
  if (ret_warning)
    *ret_warning = warning;
  else
    free(warning);
  return buf_steal(&b, NULL);
}

static bool only_loopback(const char *text) {
  DnsConf c = {0};
  parse_resolv(text, &c);
  bool any = false, loop = true;
  for (char **s = c.servers; s && *s; s++) {
    any = true;
    struct in_addr a;
    struct in6_addr a6;
    if (inet_pton(AF_INET, *s, &a) == 1)
      loop = loop && (ntohl(a.s_addr) >> 24) == 127;
    else
      loop = loop && inet_pton(AF_INET6, *s, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
  }
  conf_done(&c);
  return any && loop;
}

const char *kubelet_host_resolv_conf_path(void) {
  static const char *const resolved = "/run/systemd/resolve/resolv.conf";
  _cleanup_free_ char *text = NULL;
  if (read_file("/etc/resolv.conf", &text, NULL) == 0 && only_loopback(text) && access(resolved, R_OK) == 0)
    return resolved;
  return "/etc/resolv.conf";
}

void kubelet_dns_start(Kubelet *k) {
  if (k->opts.dns_port < 0)
    return;
  _cleanup_free_ char *addr =
      !isempty(k->opts.dns_bind_address)
          ? xstrdup(k->opts.dns_bind_address)
          : xstrndup(k->node_ip ? k->node_ip : "127.0.0.1", strcspn(k->node_ip ?: "", ","));
  if (isempty(addr)) {
    free(addr);
    addr = xstrdup("127.0.0.1");
  }
  DnsServerOptions o = {.bind_address = addr,
                        .port = k->opts.dns_port,
                        .domain = k->opts.cluster_domain,
                        .resolv_conf = kubelet_host_resolv_conf_path()};
  _cleanup_error_ Error err = ERROR_INIT;
  if (dns_server_start(k->client, &o, &k->dns, &err) < 0)
    log_error("kubelet", "msg=\"cluster DNS not started\" err=\"%s\"", err.message ? err.message : "");
}

void kubelet_dns_stop(Kubelet *k) {
  dns_server_stop(k->dns);
  k->dns = NULL;
}
