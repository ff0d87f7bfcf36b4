/* Table printers for the core ("" group) resources: pods, services, endpoints, nodes, events (core and
 * events.k8s.io), namespaces, config maps, secrets, service accounts, persistent volumes and claims,
 * replication controllers, pod templates and resource quotas. Columns and cell rules are Kubernetes' own
 * (pkg/printers/internalversion in v1.32), computed from the object as a user stored it; fields Kubernetes
 * would have defaulted before storing (a service's type, a port's protocol) are read with those defaults. */
#include <stdarg.h>

#include "api/table-internal.h"
#include "base/strv.h"

/* ---------------------------------------------------------------- pods */

static const TableColumn pod_columns[] = {
    TABLE_COL_NAME,
    {"Ready", "string", "", 0, "Ready containers out of all containers of the pod."},
    {"Status", "string", "", 0, "Summary of the pod's phase and container states."},
    {"Restarts", "string", "", 0, "Container restarts, with the time of the latest one."},
    TABLE_COL_AGE,
    {"IP", "string", "", 1, "The pod's primary IP address."},
    {"Node", "string", "", 1, "Node the pod is bound to."},
    {"Nominated Node", "string", "", 1, "Node the scheduler nominated after preempting other pods."},
    {"Readiness Gates", "string", "", 1, "Satisfied readiness gates out of all of them."},
};

/* Go compares zero times as "earliest"; INT64_MIN plays that role for "no finishedAt seen". */
#define NO_TIME INT64_MIN

static void note_last_termination(json_t *cs, int64_t *last) {
  if (!table_obj(cs, "lastState.terminated"))
    return;
  int64_t t;
  if (table_time(cs, "lastState.terminated.finishedAt", &t) && t > *last)
    *last = t;
}

static json_t *find_named(json_t *list, const char *name) {
  size_t i;
  json_t *x;
  if (!name)
    return NULL;
  json_array_foreach(list, i, x) {
    if (streq_ptr(table_str(x, "name"), name))
      return x;
  }
  return NULL;
}

/* A sidecar: an init container with restartPolicy Always runs alongside the app containers. */
static bool is_restartable_init(json_t *c) {
  return c && streq_ptr(table_str(c, "restartPolicy"), "Always");
}

static bool condition_status_is(json_t *conds, const char *type, const char *status, bool first_only) {
  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (!streq_ptr(table_str(c, "type"), type))
      continue;
    if (streq_ptr(table_str(c, "status"), status))
      return true;
    if (first_only)
      return false;
  }
  return false;
}

static void set_reason(Buf *reason, const char *fmt, ...) _printf_(2, 3);
static void set_reason(Buf *reason, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = NULL;
  if (vasprintf(&s, fmt, ap) < 0)
    oom();
  va_end(ap);
  buf_reset(reason);
  buf_puts(reason, s);
  free(s);
}

static void pod_row(json_t *pod, int64_t now, json_t *cells) {
  json_t *spec = table_obj(pod, "spec"), *status = table_obj(pod, "status");
  json_t *init_specs = table_arr(spec, "initContainers");
  json_t *conds = table_arr(status, "conditions");
  int64_t restarts = 0, sidecar_restarts = 0, ready = 0;
  int64_t total = (int64_t)table_arr_len(spec, "containers");
  int64_t last_restart = NO_TIME, last_sidecar_restart = NO_TIME;
  const char *phase = table_str0(status, "phase");
  _cleanup_buf_ Buf reason = BUF_INIT;
  buf_puts(&reason, table_str_or(status, "reason", phase));

  size_t i;
  json_t *c;
  json_array_foreach(conds, i, c) {
    if (streq_ptr(table_str(c, "type"), "PodScheduled") &&
        streq_ptr(table_str(c, "reason"), "SchedulingGated"))
      set_reason(&reason, "SchedulingGated");
  }

  json_array_foreach(init_specs, i, c) {
    if (is_restartable_init(c))
      total++;
  }

  bool initializing = false;
  json_array_foreach(table_arr(status, "initContainerStatuses"), i, c) {
    bool sidecar = is_restartable_init(find_named(init_specs, table_str(c, "name")));
    restarts += table_int(c, "restartCount");
    note_last_termination(c, &last_restart);
    if (sidecar) {
      sidecar_restarts += table_int(c, "restartCount");
      note_last_termination(c, &last_sidecar_restart);
    }
    json_t *terminated = table_obj(c, "state.terminated");
    json_t *waiting = table_obj(c, "state.waiting");
    if (terminated && table_int(terminated, "exitCode") == 0)
      continue;
    if (sidecar && table_bool(c, "started")) {
      if (table_bool(c, "ready"))
        ready++;
      continue;
    }
    if (terminated) {
      const char *r = table_str0(terminated, "reason");
      if (*r)
        set_reason(&reason, "Init:%s", r);
      else if (table_int(terminated, "signal") != 0)
        set_reason(&reason, "Init:Signal:%lld", (long long)table_int(terminated, "signal"));
      else
        set_reason(&reason, "Init:ExitCode:%lld", (long long)table_int(terminated, "exitCode"));
    } else if (waiting && !isempty(table_str(waiting, "reason")) &&
               !streq(table_str(waiting, "reason"), "PodInitializing")) {
      set_reason(&reason, "Init:%s", table_str(waiting, "reason"));
    } else {
      set_reason(&reason, "Init:%zu/%zu", i, json_array_size(init_specs));
    }
    initializing = true;
    break;
  }

  if (!initializing || condition_status_is(conds, "Initialized", "True", true)) {
    restarts = sidecar_restarts;
    last_restart = last_sidecar_restart;
    bool has_running = false;
    json_t *statuses = table_arr(status, "containerStatuses");
    /* Walks backwards so the first container's state is the one that ends up in the reason. */
    for (size_t k = json_array_size(statuses); k-- > 0;) {
      c = json_array_get(statuses, k);
      restarts += table_int(c, "restartCount");
      note_last_termination(c, &last_restart);
      json_t *terminated = table_obj(c, "state.terminated");
      const char *wreason = table_str(c, "state.waiting.reason");
      if (table_obj(c, "state.waiting") && !isempty(wreason)) {
        set_reason(&reason, "%s", wreason);
      } else if (terminated && !isempty(table_str(terminated, "reason"))) {
        set_reason(&reason, "%s", table_str(terminated, "reason"));
      } else if (terminated) {
        if (table_int(terminated, "signal") != 0)
          set_reason(&reason, "Signal:%lld", (long long)table_int(terminated, "signal"));
        else
          set_reason(&reason, "ExitCode:%lld", (long long)table_int(terminated, "exitCode"));
      } else if (table_bool(c, "ready") && table_obj(c, "state.running")) {
        has_running = true;
        ready++;
      }
    }
    /* A pod whose main container completed while another still runs is not "Completed". */
    if (streq(reason.data ? reason.data : "", "Completed") && has_running)
      set_reason(&reason, "%s", condition_status_is(conds, "Ready", "True", false) ? "Running" : "NotReady");
  }

  if (table_present(pod, "metadata.deletionTimestamp")) {
    if (streq_ptr(table_str(status, "reason"), "NodeLost"))
      set_reason(&reason, "Unknown");
    else if (!streq(phase, "Failed") && !streq(phase, "Succeeded"))
      set_reason(&reason, "Terminating");
  }

  table_cell_str(cells, table_str0(pod, "metadata.name"));
  table_cell_fmt(cells, "%lld/%lld", (long long)ready, (long long)total);
  table_cell_buf(cells, &reason);
  if (restarts != 0 && last_restart != NO_TIME) {
    char ago[32];
    table_human_duration(now - last_restart, ago);
    table_cell_fmt(cells, "%lld (%s ago)", (long long)restarts, ago);
  } else {
    table_cell_fmt(cells, "%lld", (long long)restarts);
  }
  table_cell_age(cells, pod, now);

  /* The internal Pod only has podIPs; converting from v1 fills it from podIP when it is empty. */
  const char *ip = table_str(json_array_get(table_arr(status, "podIPs"), 0), "ip");
  if (!table_arr_len(status, "podIPs"))
    ip = table_str(status, "podIP");
  table_cell_str(cells, isempty(ip) ? "<none>" : ip);
  table_cell_str(cells, table_str_or(spec, "nodeName", "<none>"));
  table_cell_str(cells, table_str_or(status, "nominatedNodeName", "<none>"));

  json_t *gates = table_arr(spec, "readinessGates");
  if (json_array_size(gates) == 0) {
    table_cell_str(cells, "<none>");
  } else {
    size_t true_conditions = 0;
    json_t *g;
    json_array_foreach(gates, i, g) {
      const char *type = table_str0(g, "conditionType");
      if (condition_status_is(conds, type, "True", true))
        true_conditions++;
    }
    table_cell_fmt(cells, "%zu/%zu", true_conditions, json_array_size(gates));
  }
}

/* ---------------------------------------------------------------- pod templates */

static const TableColumn pod_template_columns[] = {
    TABLE_COL_NAME,
    {"Containers", "string", "", 0, "Names of the containers in the template."},
    {"Images", "string", "", 0, "Images of the containers in the template."},
    {"Pod Labels", "string", "", 0, "Labels of the pod template."},
};

static void pod_template_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf names = BUF_INIT, images = BUF_INIT, labels = BUF_INIT;
  table_containers(table_arr(obj, "template.spec.containers"), &names, &images);
  table_format_labels(&labels, table_obj(obj, "template.metadata.labels"));
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_buf(cells, &names);
  table_cell_buf(cells, &images);
  table_cell_buf(cells, &labels);
}

/* ---------------------------------------------------------------- replication controllers */

static const TableColumn rc_columns[] = {
    TABLE_COL_NAME,
    {"Desired", "integer", "", 0, "Number of replicas requested."},
    {"Current", "integer", "", 0, "Number of replicas that exist."},
    {"Ready", "integer", "", 0, "Number of ready replicas."},
    TABLE_COL_AGE,
    TABLE_COL_CONTAINERS,
    TABLE_COL_IMAGES,
    {"Selector", "string", "", 1, "Label selector of the pods it manages."},
};

static void rc_row(json_t *obj, int64_t now, json_t *cells) {
  int64_t desired = 1; /* spec.replicas defaults to 1 */
  table_int_p(obj, "spec.replicas", &desired);
  _cleanup_buf_ Buf names = BUF_INIT, images = BUF_INIT, sel = BUF_INIT;
  table_containers(table_arr(obj, "spec.template.spec.containers"), &names, &images);
  table_format_labels(&sel, table_obj(obj, "spec.selector"));
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, desired);
  table_cell_int(cells, table_int(obj, "status.replicas"));
  table_cell_int(cells, table_int(obj, "status.readyReplicas"));
  table_cell_age(cells, obj, now);
  table_cell_buf(cells, &names);
  table_cell_buf(cells, &images);
  table_cell_buf(cells, &sel);
}

/* ---------------------------------------------------------------- services */

static const TableColumn service_columns[] = {
    TABLE_COL_NAME,
    {"Type", "string", "", 0, "How the service is exposed."},
    {"Cluster-IP", "string", "", 0, "The service's virtual IP inside the cluster."},
    {"External-IP", "string", "", 0, "Addresses the service is reachable on from outside the cluster."},
    {"Port(s)", "string", "", 0, "Ports the service exposes, with node ports."},
    TABLE_COL_AGE,
    {"Selector", "string", "", 1, "Labels of the pods that back the service."},
};

static void join_strings(Buf *b, json_t *arr, const char *sep) {
  size_t i, n = 0;
  json_t *s;
  json_array_foreach(arr, i, s) {
    if (n++)
      buf_puts(b, sep);
    buf_puts(b, json_is_string(s) ? json_string_value(s) : "");
  }
}

/* Ingress points of a load balancer: IPs, else hostnames, sorted and unique. Not clipped: the server
 * prints tables in wide mode. */
static void lb_ingress(Buf *b, json_t *ingress) {
  _cleanup_strv_free_ char **set = NULL;
  size_t i;
  json_t *in;
  json_array_foreach(ingress, i, in) {
    const char *ip = table_str(in, "ip"), *host = table_str(in, "hostname");
    if (!isempty(ip))
      strv_push(&set, ip);
    else if (!isempty(host))
      strv_push(&set, host);
  }
  table_join_sorted_unique(b, set, ",");
}

static void service_external_ip(Buf *b, json_t *svc, const char *type) {
  json_t *external = table_arr(svc, "spec.externalIPs");
  if (streq(type, "ClusterIP") || streq(type, "NodePort")) {
    if (json_array_size(external))
      join_strings(b, external, ",");
    else
      buf_puts(b, "<none>");
  } else if (streq(type, "LoadBalancer")) {
    _cleanup_buf_ Buf lb = BUF_INIT;
    lb_ingress(&lb, table_arr(svc, "status.loadBalancer.ingress"));
    if (json_array_size(external)) {
      if (lb.len) {
        buf_append(b, lb.data, lb.len);
        buf_putc(b, ',');
      }
      join_strings(b, external, ",");
    } else if (lb.len) {
      buf_append(b, lb.data, lb.len);
    } else {
      buf_puts(b, "<pending>");
    }
  } else if (streq(type, "ExternalName")) {
    buf_puts(b, table_str0(svc, "spec.externalName"));
  } else {
    buf_puts(b, "<unknown>");
  }
}

static void service_row(json_t *svc, int64_t now, json_t *cells) {
  const char *type = table_str_or(svc, "spec.type", "ClusterIP");
  const char *cluster_ip = table_str(json_array_get(table_arr(svc, "spec.clusterIPs"), 0), NULL);
  if (!table_arr_len(svc, "spec.clusterIPs"))
    cluster_ip = table_str(svc, "spec.clusterIP"); /* clusterIPs is derived from it on write */

  _cleanup_buf_ Buf external = BUF_INIT, ports = BUF_INIT, sel = BUF_INIT;
  service_external_ip(&external, svc, type);
  size_t i;
  json_t *p;
  json_array_foreach(table_arr(svc, "spec.ports"), i, p) {
    if (i)
      buf_putc(&ports, ',');
    long long port = (long long)table_int(p, "port"), node_port = (long long)table_int(p, "nodePort");
    const char *proto = table_str_or(p, "protocol", "TCP");
    if (node_port > 0)
      buf_printf(&ports, "%lld:%lld/%s", port, node_port, proto);
    else
      buf_printf(&ports, "%lld/%s", port, proto);
  }
  if (ports.len == 0)
    buf_puts(&ports, "<none>");
  table_format_labels(&sel, table_obj(svc, "spec.selector"));

  table_cell_str(cells, table_str0(svc, "metadata.name"));
  table_cell_str(cells, type);
  table_cell_str(cells, isempty(cluster_ip) ? "<none>" : cluster_ip);
  table_cell_buf(cells, &external);
  table_cell_buf(cells, &ports);
  table_cell_age(cells, svc, now);
  table_cell_buf(cells, &sel);
}

/* ---------------------------------------------------------------- endpoints */

static const TableColumn endpoints_columns[] = {
    TABLE_COL_NAME,
    {"Endpoints", "string", "", 0, "Up to three ready addresses with their ports."},
    TABLE_COL_AGE,
};

static void put_host_port(Buf *b, const char *ip, int64_t port) {
  if (strchr(ip, ':'))
    buf_printf(b, "[%s]:%lld", ip, (long long)port);
  else
    buf_printf(b, "%s:%lld", ip, (long long)port);
}

static void endpoints_row(json_t *obj, int64_t now, json_t *cells) {
  enum { MAX_SHOWN = 3 };
  json_t *subsets = table_arr(obj, "subsets");
  _cleanup_buf_ Buf b = BUF_INIT;
  size_t shown = 0, count = 0;
  bool more = false;
  size_t i;
  json_t *ss;
  json_array_foreach(subsets, i, ss) {
    json_t *addrs = table_arr(ss, "addresses");
    json_t *ports = table_arr(ss, "ports");
    size_t naddr = json_array_size(addrs);
    if (json_array_size(ports) == 0) {
      /* Headless services may have no ports: list bare IPs. */
      count += naddr;
      for (size_t a = 0; a < naddr; a++) {
        if (shown == MAX_SHOWN) {
          more = true;
          break;
        }
        if (shown++)
          buf_putc(&b, ',');
        buf_puts(&b, table_str0(json_array_get(addrs, a), "ip"));
      }
      continue;
    }
    size_t j;
    json_t *port;
    json_array_foreach(ports, j, port) {
      count += naddr;
      for (size_t a = 0; a < naddr; a++) {
        if (shown == MAX_SHOWN) {
          more = true;
          break;
        }
        if (shown++)
          buf_putc(&b, ',');
        put_host_port(&b, table_str0(json_array_get(addrs, a), "ip"), table_int(port, "port"));
      }
    }
  }
  if (json_array_size(subsets) == 0)
    buf_puts(&b, "<none>");
  else if (more)
    buf_printf(&b, " + %zu more...", count - MAX_SHOWN);

  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_buf(cells, &b);
  table_cell_age(cells, obj, now);
}

/* ---------------------------------------------------------------- nodes */

static const TableColumn node_columns[] = {
    TABLE_COL_NAME,
    {"Status", "string", "", 0, "Readiness of the node and whether it accepts new pods."},
    {"Roles", "string", "", 0, "Roles from the node's node-role.kubernetes.io/ labels."},
    TABLE_COL_AGE,
    {"Version", "string", "", 0, "Version of the node agent."},
    {"Internal-IP", "string", "", 1, "First InternalIP address of the node."},
    {"External-IP", "string", "", 1, "First ExternalIP address of the node."},
    {"OS-Image", "string", "", 1, "Operating system the node reports."},
    {"Kernel-Version", "string", "", 1, "Kernel version the node reports."},
    {"Container-Runtime", "string", "", 1, "Container runtime and its version."},
};

static const char *node_address(json_t *node, const char *type) {
  size_t i;
  json_t *a;
  json_array_foreach(table_arr(node, "status.addresses"), i, a) {
    if (streq_ptr(table_str(a, "type"), type))
      return table_str0(a, "address");
  }
  return "<none>";
}

static void node_row(json_t *node, int64_t now, json_t *cells) {
  /* Only the Ready condition counts; the last one listed wins, as with Go's map of conditions. */
  json_t *ready = NULL;
  size_t i;
  json_t *c;
  json_array_foreach(table_arr(node, "status.conditions"), i, c) {
    if (streq_ptr(table_str(c, "type"), "Ready"))
      ready = c;
  }
  _cleanup_buf_ Buf status = BUF_INIT, roles = BUF_INIT;
  if (!ready)
    buf_puts(&status, "Unknown");
  else if (streq_ptr(table_str(ready, "status"), "True"))
    buf_puts(&status, "Ready");
  else
    buf_puts(&status, "NotReady");
  if (table_bool(node, "spec.unschedulable"))
    buf_puts(&status, ",SchedulingDisabled");

  _cleanup_strv_free_ char **role_set = NULL;
  const char *k;
  json_t *v;
  json_t *labels = table_obj(node, "metadata.labels");
  json_object_foreach(labels, k, v) {
    if (startswith(k, "node-role.kubernetes.io/") && k[strlen("node-role.kubernetes.io/")])
      strv_push(&role_set, k + strlen("node-role.kubernetes.io/"));
    else if (streq(k, "kubernetes.io/role") && json_is_string(v) && *json_string_value(v))
      strv_push(&role_set, json_string_value(v));
  }
  table_join_sorted_unique(&roles, role_set, ",");
  if (roles.len == 0)
    buf_puts(&roles, "<none>");

  table_cell_str(cells, table_str0(node, "metadata.name"));
  table_cell_buf(cells, &status);
  table_cell_buf(cells, &roles);
  table_cell_age(cells, node, now);
  table_cell_str(cells, table_str0(node, "status.nodeInfo.kubeletVersion"));
  table_cell_str(cells, node_address(node, "InternalIP"));
  table_cell_str(cells, node_address(node, "ExternalIP"));
  table_cell_str(cells, table_str_or(node, "status.nodeInfo.osImage", "<unknown>"));
  table_cell_str(cells, table_str_or(node, "status.nodeInfo.kernelVersion", "<unknown>"));
  table_cell_str(cells, table_str_or(node, "status.nodeInfo.containerRuntimeVersion", "<unknown>"));
}

/* ---------------------------------------------------------------- events */

static const TableColumn event_columns[] = {
    {"Last Seen", "string", "", 0, "Time since the event was last observed."},
    {"Type", "string", "", 0, "Normal or Warning."},
    {"Reason", "string", "", 0, "Short machine-readable reason for the event."},
    {"Object", "string", "", 0, "The object the event is about, as kind/name."},
    {"Subobject", "string", "", 1, "Part of the object the event is about (such as a container)."},
    {"Source", "string", "", 1, "Component and host that reported the event."},
    {"Message", "string", "", 0, "Human-readable description of the event."},
    {"First Seen", "string", "", 1, "Time since the event was first observed."},
    {"Count", "string", "", 1, "Number of times the event occurred."},
    {"Name", "string", "name", 1, "Name of the event object."},
};

/* Field names of the two API shapes of one Event: core/v1 and events.k8s.io/v1 (whose deprecated* fields
 * carry the core ones across conversion). */
typedef struct EventFields {
  const char *involved, *message, *source, *first, *last, *count;
} EventFields;

static const EventFields core_event_fields = {
    "involvedObject", "message", "source", "firstTimestamp", "lastTimestamp", "count",
};
static const EventFields events_v1_fields = {
    "regarding",       "note", "deprecatedSource", "deprecatedFirstTimestamp", "deprecatedLastTimestamp",
    "deprecatedCount",
};

/* strings.TrimSpace for the whitespace that realistically appears in messages (ASCII, NEL, NBSP). */
static void put_trimmed(Buf *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
  for (;;) {
    if (p < end && (*p == ' ' || (*p >= '\t' && *p <= '\r')))
      p++;
    else if (end - p >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
      p += 2;
    else
      break;
  }
  for (;;) {
    if (end > p && (end[-1] == ' ' || (end[-1] >= '\t' && end[-1] <= '\r')))
      end--;
    else if (end - p >= 2 && end[-2] == 0xc2 && (end[-1] == 0x85 || end[-1] == 0xa0))
      end -= 2;
    else
      break;
  }
  buf_append(b, p, (size_t)(end - p));
}

static void event_row_with(json_t *ev, int64_t now, json_t *cells, const EventFields *f) {
  char first[32], last[32];
  int64_t t;
  if (table_time(ev, f->first, &t))
    table_human_duration(now - t, first);
  else
    table_since(ev, "eventTime", now, first);
  if (table_time(ev, f->last, &t))
    table_human_duration(now - t, last);
  else
    memcpy(last, first, sizeof(last));

  int64_t count = table_int(ev, f->count);
  json_t *series = table_obj(ev, "series");
  if (series) {
    table_since(series, "lastObservedTime", now, last);
    count = table_int(series, "count");
  } else if (count == 0) {
    count = 1; /* singleton events of the new API carry no count */
  }

  json_t *involved = table_obj(ev, f->involved);
  _cleanup_buf_ Buf target = BUF_INIT, source = BUF_INIT, message = BUF_INIT;
  table_put_lower(&target, table_str0(involved, "kind"));
  if (!isempty(table_str(involved, "name")))
    buf_printf(&target, "/%s", table_str(involved, "name"));

  json_t *src = table_obj(ev, f->source);
  const char *component = table_str_or(src, "component", table_str0(ev, "reportingController"));
  const char *instance = table_str_or(src, "host", table_str0(ev, "reportingInstance"));
  buf_puts(&source, component);
  if (*instance)
    buf_printf(&source, ", %s", instance);

  put_trimmed(&message, table_str0(ev, f->message));

  table_cell_str(cells, last);
  table_cell_str(cells, table_str0(ev, "type"));
  table_cell_str(cells, table_str0(ev, "reason"));
  table_cell_buf(cells, &target);
  table_cell_str(cells, table_str0(involved, "fieldPath"));
  table_cell_buf(cells, &source);
  table_cell_buf(cells, &message);
  table_cell_str(cells, first);
  table_cell_int(cells, count);
  table_cell_str(cells, table_str0(ev, "metadata.name"));
}

static void event_row(json_t *ev, int64_t now, json_t *cells) {
  event_row_with(ev, now, cells, &core_event_fields);
}

static void event_v1_row(json_t *ev, int64_t now, json_t *cells) {
  event_row_with(ev, now, cells, &events_v1_fields);
}

/* ---------------------------------------------------------------- namespaces, config, identity */

static const TableColumn namespace_columns[] = {
    TABLE_COL_NAME,
    {"Status", "string", "", 0, "Phase of the namespace (Active or Terminating)."},
    TABLE_COL_AGE,
};

static void namespace_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, table_str0(obj, "status.phase"));
  table_cell_age(cells, obj, now);
}

static const TableColumn configmap_columns[] = {
    TABLE_COL_NAME,
    {"Data", "string", "", 0, "Number of keys in data and binaryData."},
    TABLE_COL_AGE,
};

static void configmap_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, (int64_t)(table_obj_len(obj, "data") + table_obj_len(obj, "binaryData")));
  table_cell_age(cells, obj, now);
}

static const TableColumn secret_columns[] = {
    TABLE_COL_NAME,
    {"Type", "string", "", 0, "Type of the secret's content."},
    {"Data", "string", "", 0, "Number of keys in the secret."},
    TABLE_COL_AGE,
};

static void secret_row(json_t *obj, int64_t now, json_t *cells) {
  /* Conversion merges write-only stringData into data, so its keys count too (once). */
  json_t *data = table_obj(obj, "data");
  size_t n = json_object_size(data);
  const char *k;
  json_t *v;
  json_object_foreach(table_obj(obj, "stringData"), k, v) {
    if (!json_object_get(data, k))
      n++;
  }
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, table_str_or(obj, "type", "Opaque"));
  table_cell_int(cells, (int64_t)n);
  table_cell_age(cells, obj, now);
}

static const TableColumn serviceaccount_columns[] = {
    TABLE_COL_NAME,
    {"Secrets", "string", "", 0, "Number of secrets listed in the service account."},
    TABLE_COL_AGE,
};

static void serviceaccount_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, (int64_t)table_arr_len(obj, "secrets"));
  table_cell_age(cells, obj, now);
}

/* ---------------------------------------------------------------- storage */

static const TableColumn pv_columns[] = {
    TABLE_COL_NAME,
    {"Capacity", "string", "", 0, "Storage capacity of the volume."},
    {"Access Modes", "string", "", 0, "Ways the volume can be mounted."},
    {"Reclaim Policy", "string", "", 0, "What happens to the volume when its claim is released."},
    {"Status", "string", "", 0, "Phase of the volume."},
    {"Claim", "string", "", 0, "Claim bound to the volume, as namespace/name."},
    {"StorageClass", "string", "", 0, "Storage class of the volume."},
    {"VolumeAttributesClass", "string", "", 0, "Volume attributes class of the volume."},
    {"Reason", "string", "", 0, "Why the volume is in its phase."},
    TABLE_COL_AGE,
    {"VolumeMode", "string", "", 1, "Filesystem or Block."},
};

/* The storage class of a volume or claim: the beta annotation predates spec.storageClassName and still
 * wins over it. */
static const char *storage_class(json_t *obj) {
  json_t *ann = table_obj(obj, "metadata.annotations");
  const char *klass = table_str(json_object_get(ann, "volume.beta.kubernetes.io/storage-class"), NULL);
  return klass ? klass : table_str0(obj, "spec.storageClassName");
}

static void pv_row(json_t *pv, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf claim = BUF_INIT, modes = BUF_INIT;
  json_t *ref = table_obj(pv, "spec.claimRef");
  if (ref)
    buf_printf(&claim, "%s/%s", table_str0(ref, "namespace"), table_str0(ref, "name"));
  table_access_modes(&modes, table_arr(pv, "spec.accessModes"));
  char qbuf[64];
  const char *capacity = table_quantity(table_get(pv, "spec.capacity.storage"), qbuf);
  const char *phase =
      table_present(pv, "metadata.deletionTimestamp") ? "Terminating" : table_str0(pv, "status.phase");
  const char *vac = table_str(pv, "spec.volumeAttributesClassName");
  const char *mode = table_str(pv, "spec.volumeMode");

  table_cell_str(cells, table_str0(pv, "metadata.name"));
  table_cell_str(cells, capacity);
  table_cell_buf(cells, &modes);
  table_cell_str(cells, table_str0(pv, "spec.persistentVolumeReclaimPolicy"));
  table_cell_str(cells, phase);
  table_cell_buf(cells, &claim);
  table_cell_str(cells, storage_class(pv));
  table_cell_str(cells, vac ? vac : "<unset>");
  table_cell_str(cells, table_str0(pv, "status.reason"));
  table_cell_age(cells, pv, now);
  table_cell_str(cells, mode ? mode : "<unset>");
}

static const TableColumn pvc_columns[] = {
    TABLE_COL_NAME,
    {"Status", "string", "", 0, "Phase of the claim."},
    {"Volume", "string", "", 0, "Volume bound to the claim."},
    {"Capacity", "string", "", 0, "Storage capacity of the bound volume."},
    {"Access Modes", "string", "", 0, "Ways the bound volume can be mounted."},
    {"StorageClass", "string", "", 0, "Storage class requested by the claim."},
    {"VolumeAttributesClass", "string", "", 0, "Volume attributes class requested by the claim."},
    TABLE_COL_AGE,
    {"VolumeMode", "string", "", 1, "Filesystem or Block."},
};

static void pvc_row(json_t *pvc, int64_t now, json_t *cells) {
  const char *phase =
      table_present(pvc, "metadata.deletionTimestamp") ? "Terminating" : table_str0(pvc, "status.phase");
  const char *volume = table_str0(pvc, "spec.volumeName");
  _cleanup_buf_ Buf modes = BUF_INIT;
  char qbuf[64];
  const char *capacity = "";
  /* Capacity and modes describe the bound volume, so they stay empty until there is one. */
  if (*volume) {
    table_access_modes(&modes, table_arr(pvc, "status.accessModes"));
    capacity = table_quantity(table_get(pvc, "status.capacity.storage"), qbuf);
  }
  const char *klass = storage_class(pvc);
  const char *vac = table_str(pvc, "spec.volumeAttributesClassName");
  const char *mode = table_str(pvc, "spec.volumeMode");

  table_cell_str(cells, table_str0(pvc, "metadata.name"));
  table_cell_str(cells, phase);
  table_cell_str(cells, volume);
  table_cell_str(cells, capacity);
  table_cell_buf(cells, &modes);
  table_cell_str(cells, klass);
  table_cell_str(cells, vac ? vac : "<unset>");
  table_cell_age(cells, pvc, now);
  table_cell_str(cells, mode ? mode : "<unset>");
}

/* ---------------------------------------------------------------- resource quotas */

static const TableColumn quota_columns[] = {
    TABLE_COL_NAME,
    {"Request", "string", "", 0, "Used and hard amounts of the non-limit resources."},
    {"Limit", "string", "", 0, "Used and hard amounts of the limits.* resources."},
    TABLE_COL_AGE,
};

static void quota_row(json_t *obj, int64_t now, json_t *cells) {
  json_t *hard = table_obj(obj, "status.hard"), *used = table_obj(obj, "status.used");
  _cleanup_strv_free_ char **names = NULL;
  const char *k;
  json_t *v;
  json_object_foreach(hard, k, v) strv_push(&names, k);
  size_t n = strv_length(names);
  _cleanup_buf_ Buf req = BUF_INIT, lim = BUF_INIT;
  table_sort_strv(names);
  for (size_t i = 0; i < n; i++) {
    Buf *w = startswith(names[i], "limits.") ? &lim : &req;
    char ubuf[64], hbuf[64];
    if (w->len)
      buf_puts(w, ", ");
    buf_printf(w, "%s: %s/%s", names[i], table_quantity(json_object_get(used, names[i]), ubuf),
               table_quantity(json_object_get(hard, names[i]), hbuf));
  }
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_buf(cells, &req);
  table_cell_buf(cells, &lim);
  table_cell_age(cells, obj, now);
}

/* ---------------------------------------------------------------- registry */

const TablePrinter table_core_printers[] = {
    TABLE_PRINTER("", "pods", pod_columns, pod_row),
    TABLE_PRINTER("", "podtemplates", pod_template_columns, pod_template_row),
    TABLE_PRINTER("", "replicationcontrollers", rc_columns, rc_row),
    TABLE_PRINTER("", "services", service_columns, service_row),
    TABLE_PRINTER("", "endpoints", endpoints_columns, endpoints_row),
    TABLE_PRINTER("", "nodes", node_columns, node_row),
    TABLE_PRINTER("", "events", event_columns, event_row),
    TABLE_PRINTER("events.k8s.io", "events", event_columns, event_v1_row),
    TABLE_PRINTER("", "namespaces", namespace_columns, namespace_row),
    TABLE_PRINTER("", "configmaps", configmap_columns, configmap_row),
    TABLE_PRINTER("", "secrets", secret_columns, secret_row),
    TABLE_PRINTER("", "serviceaccounts", serviceaccount_columns, serviceaccount_row),
    TABLE_PRINTER("", "persistentvolumes", pv_columns, pv_row),
    TABLE_PRINTER("", "persistentvolumeclaims", pvc_columns, pvc_row),
    TABLE_PRINTER("", "resourcequotas", quota_columns, quota_row),
};
const size_t table_core_printers_len = ELEMENTSOF(table_core_printers);
