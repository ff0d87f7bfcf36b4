/* Table printers for the remaining built-in groups: networking.k8s.io (ingresses, ingress classes,
 * network policies), coordination.k8s.io (leases), discovery.k8s.io (endpoint slices), storage.k8s.io
 * (storage classes, CSI drivers and nodes, volume attachments), rbac.authorization.k8s.io (role bindings;
 * roles and cluster roles have no printer in Kubernetes and get the default table), node.k8s.io,
 * admissionregistration.k8s.io and certificates.k8s.io. Columns and cell rules are Kubernetes' v1.32 ones. */
#include "api/table-internal.h"
#include "base/strv.h"

/* ---------------------------------------------------------------- networking */

static const TableColumn ingress_columns[] = {
    TABLE_COL_NAME,
    {"Class", "string", "", 0, "Ingress class handling this ingress."},
    {"Hosts", "string", "", 0, "Up to three hosts the rules match."},
    {"Address", "string", "", 0, "Addresses of the load balancer."},
    {"Ports", "string", "", 0, "Ports the ingress listens on (443 when it has TLS)."},
    TABLE_COL_AGE,
};

static void ingress_row(json_t *obj, int64_t now, json_t *cells) {
  enum { MAX_SHOWN = 3 };
  json_t *rules = table_arr(obj, "spec.rules");
  _cleanup_buf_ Buf hosts = BUF_INIT, address = BUF_INIT;
  size_t shown = 0, i;
  bool more = false;
  json_t *r;
  /* Once three hosts are listed the rest only count; rules without a host never show. */
  json_array_foreach(rules, i, r) {
    if (shown == MAX_SHOWN)
      more = true;
    const char *host = table_str0(r, "host");
    if (!more && *host) {
      if (shown++)
        buf_putc(&hosts, ',');
      buf_puts(&hosts, host);
    }
  }
  if (shown == 0)
    buf_puts(&hosts, "*");
  else if (more)
    buf_printf(&hosts, " + %zu more...", json_array_size(rules) - MAX_SHOWN);

  _cleanup_strv_free_ char **set = NULL;
  json_t *in;
  json_array_foreach(table_arr(obj, "status.loadBalancer.ingress"), i, in) {
    const char *ip = table_str(in, "ip"), *host = table_str(in, "hostname");
    if (!isempty(ip))
      strv_push(&set, ip);
    else if (!isempty(host))
      strv_push(&set, host);
  }
  table_join_sorted_unique(&address, set, ",");

  const char *klass = table_str(obj, "spec.ingressClassName");
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, klass ? klass : "<none>");
  table_cell_buf(cells, &hosts);
  table_cell_buf(cells, &address);
  table_cell_str(cells, table_arr_len(obj, "spec.tls") ? "80, 443" : "80");
  table_cell_age(cells, obj, now);
}

static const TableColumn ingressclass_columns[] = {
    TABLE_COL_NAME,
    {"Controller", "string", "", 0, "Controller that implements the class."},
    {"Parameters", "string", "", 0, "Resource holding the class's parameters."},
    TABLE_COL_AGE,
};

static void ingressclass_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf params = BUF_INIT;
  json_t *p = table_obj(obj, "spec.parameters");
  if (!p) {
    buf_puts(&params, "<none>");
  } else {
    buf_puts(&params, table_str0(p, "kind"));
    const char *group = table_str(p, "apiGroup");
    if (group)
      buf_printf(&params, ".%s", group);
    buf_printf(&params, "/%s", table_str0(p, "name"));
  }
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, table_str0(obj, "spec.controller"));
  table_cell_buf(cells, &params);
  table_cell_age(cells, obj, now);
}

static const TableColumn networkpolicy_columns[] = {
    TABLE_COL_NAME,
    {"Pod-Selector", "string", "", 0, "Pods the policy applies to."},
    TABLE_COL_AGE,
};

static void networkpolicy_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf sel = BUF_INIT;
  /* podSelector is a struct, not a pointer, in Kubernetes: missing means empty, which prints "<none>". */
  table_format_selector(&sel, table_obj(obj, "spec.podSelector"));
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_buf(cells, &sel);
  table_cell_age(cells, obj, now);
}

/* ---------------------------------------------------------------- coordination, discovery */

static const TableColumn lease_columns[] = {
    TABLE_COL_NAME,
    {"Holder", "string", "", 0, "Identity of the current holder."},
    TABLE_COL_AGE,
};

static void lease_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, table_str0(obj, "spec.holderIdentity"));
  table_cell_age(cells, obj, now);
}

static const TableColumn endpointslice_columns[] = {
    TABLE_COL_NAME,
    {"AddressType", "string", "", 0, "IPv4, IPv6 or FQDN."},
    {"Ports", "string", "", 0, "Up to three ports of the slice."},
    {"Endpoints", "string", "", 0, "Up to three endpoint addresses."},
    TABLE_COL_AGE,
};

/* Shared tail of the slice columns: "+ N more..." past three, "<unset>" for none. */
static void finish_list(Buf *b, bool more, size_t count, size_t max) {
  if (more)
    buf_printf(b, " + %zu more...", count - max);
  else if (b->len == 0)
    buf_puts(b, "<unset>");
}

static void endpointslice_row(json_t *obj, int64_t now, json_t *cells) {
  enum { MAX_SHOWN = 3 };
  _cleanup_buf_ Buf ports = BUF_INIT, eps = BUF_INIT;
  size_t shown = 0, count = 0, i;
  bool more = false;
  json_t *p;
  json_array_foreach(table_arr(obj, "ports"), i, p) {
    if (shown < MAX_SHOWN) {
      int64_t port;
      if (shown++)
        buf_putc(&ports, ',');
      if (table_int_p(p, "port", &port))
        buf_printf(&ports, "%lld", (long long)port);
      else if (table_str(p, "name"))
        buf_puts(&ports, table_str(p, "name"));
      else
        buf_putc(&ports, '*');
    } else {
      more = true;
    }
    count++;
  }
  finish_list(&ports, more, count, MAX_SHOWN);

  shown = count = 0;
  more = false;
  json_t *ep;
  json_array_foreach(table_arr(obj, "endpoints"), i, ep) {
    size_t j;
    json_t *addr;
    json_array_foreach(table_arr(ep, "addresses"), j, addr) {
      if (shown < MAX_SHOWN) {
        if (shown++)
          buf_putc(&eps, ',');
        buf_puts(&eps, json_is_string(addr) ? json_string_value(addr) : "");
      } else {
        more = true;
      }
      count++;
    }
  }
  finish_list(&eps, more, count, MAX_SHOWN);

  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, table_str0(obj, "addressType"));
  table_cell_buf(cells, &ports);
  table_cell_buf(cells, &eps);
  table_cell_age(cells, obj, now);
}

/* ---------------------------------------------------------------- storage */

static const TableColumn storageclass_columns[] = {
    TABLE_COL_NAME,
    {"Provisioner", "string", "", 0, "Volume plugin that provisions volumes of this class."},
    {"ReclaimPolicy", "string", "", 0, "Reclaim policy of the volumes it provisions."},
    {"VolumeBindingMode", "string", "", 0, "When volumes get bound and provisioned."},
    {"AllowVolumeExpansion", "string", "", 0, "Whether volumes may be resized."},
    TABLE_COL_AGE,
};

static bool annotation_true(json_t *obj, const char *key) {
  json_t *ann = table_obj(obj, "metadata.annotations");
  return streq_ptr(table_str(json_object_get(ann, key), NULL), "true");
}

static void storageclass_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf name = BUF_INIT;
  buf_puts(&name, table_str0(obj, "metadata.name"));
  if (annotation_true(obj, "storageclass.kubernetes.io/is-default-class") ||
      annotation_true(obj, "storageclass.beta.kubernetes.io/is-default-class"))
    buf_puts(&name, " (default)");
  const char *reclaim = table_str(obj, "reclaimPolicy");
  const char *binding = table_str(obj, "volumeBindingMode");
  table_cell_buf(cells, &name);
  table_cell_str(cells, table_str0(obj, "provisioner"));
  table_cell_str(cells, reclaim ? reclaim : "Delete");
  table_cell_str(cells, binding ? binding : "Immediate");
  /* Declared a string column, but the cell is a JSON boolean. */
  table_cell_bool(cells, table_bool(obj, "allowVolumeExpansion"));
  table_cell_age(cells, obj, now);
}

static const TableColumn csidriver_columns[] = {
    TABLE_COL_NAME,
    {"AttachRequired", "boolean", "", 0, "Whether volumes need an attach operation."},
    {"PodInfoOnMount", "boolean", "", 0, "Whether pod information is passed on mount."},
    {"StorageCapacity", "boolean", "", 0, "Whether the driver reports storage capacity."},
    {"TokenRequests", "string", "", 0, "Audiences of the service account tokens passed to the driver."},
    {"RequiresRepublish", "boolean", "", 0, "Whether volumes are periodically re-published."},
    {"Modes", "string", "", 0, "Volume lifecycle modes the driver supports."},
    TABLE_COL_AGE,
};

static bool bool_or(json_t *obj, const char *path, bool fallback) {
  json_t *b = table_get(obj, path);
  return json_is_boolean(b) ? json_is_true(b) : fallback;
}

static void csidriver_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf tokens = BUF_INIT, modes = BUF_INIT;
  size_t i;
  json_t *x;
  if (!table_present(obj, "spec.tokenRequests")) {
    buf_puts(&tokens, "<unset>");
  } else {
    json_array_foreach(table_arr(obj, "spec.tokenRequests"), i, x) {
      if (i)
        buf_putc(&tokens, ',');
      buf_puts(&tokens, table_str0(x, "audience"));
    }
  }
  json_array_foreach(table_arr(obj, "spec.volumeLifecycleModes"), i, x) {
    if (i)
      buf_putc(&modes, ',');
    buf_puts(&modes, json_is_string(x) ? json_string_value(x) : "");
  }
  if (modes.len == 0)
    buf_puts(&modes, "<none>");
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_bool(cells, bool_or(obj, "spec.attachRequired", true));
  table_cell_bool(cells, bool_or(obj, "spec.podInfoOnMount", false));
  table_cell_bool(cells, bool_or(obj, "spec.storageCapacity", false));
  table_cell_buf(cells, &tokens);
  table_cell_bool(cells, bool_or(obj, "spec.requiresRepublish", false));
  table_cell_buf(cells, &modes);
  table_cell_age(cells, obj, now);
}

static const TableColumn csinode_columns[] = {
    TABLE_COL_NAME,
    {"Drivers", "integer", "", 0, "Number of CSI drivers registered on the node."},
    TABLE_COL_AGE,
};

static void csinode_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, (int64_t)table_arr_len(obj, "spec.drivers"));
  table_cell_age(cells, obj, now);
}

static const TableColumn volumeattachment_columns[] = {
    TABLE_COL_NAME,
    {"Attacher", "string", "name", 0, "Driver that attaches the volume."},
    {"PV", "string", "", 0, "Persistent volume being attached."},
    {"Node", "string", "", 0, "Node the volume is attached to."},
    {"Attached", "boolean", "", 0, "Whether the attach operation succeeded."},
    TABLE_COL_AGE,
};

static void volumeattachment_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, table_str0(obj, "spec.attacher"));
  table_cell_str(cells, table_str0(obj, "spec.source.persistentVolumeName"));
  table_cell_str(cells, table_str0(obj, "spec.nodeName"));
  table_cell_bool(cells, table_bool(obj, "status.attached"));
  table_cell_age(cells, obj, now);
}

/* ---------------------------------------------------------------- rbac */

static const TableColumn rolebinding_columns[] = {
    TABLE_COL_NAME,
    {"Role", "string", "", 0, "The bound role, as Kind/name."},
    TABLE_COL_AGE,
    {"Users", "string", "", 1, "Users bound to the role."},
    {"Groups", "string", "", 1, "Groups bound to the role."},
    {"ServiceAccounts", "string", "", 1, "Service accounts bound to the role, as namespace/name."},
};

static void rolebinding_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf users = BUF_INIT, groups = BUF_INIT, sas = BUF_INIT;
  size_t i;
  json_t *s;
  json_array_foreach(table_arr(obj, "subjects"), i, s) {
    const char *kind = table_str0(s, "kind");
    Buf *b = streq(kind, "User")             ? &users
             : streq(kind, "Group")          ? &groups
             : streq(kind, "ServiceAccount") ? &sas
                                             : NULL;
    if (!b)
      continue; /* other kinds are not shown */
    if (b->len)
      buf_puts(b, ", ");
    if (b == &sas)
      buf_printf(b, "%s/", table_str0(s, "namespace"));
    buf_puts(b, table_str0(s, "name"));
  }
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_fmt(cells, "%s/%s", table_str0(obj, "roleRef.kind"), table_str0(obj, "roleRef.name"));
  table_cell_age(cells, obj, now);
  table_cell_buf(cells, &users);
  table_cell_buf(cells, &groups);
  table_cell_buf(cells, &sas);
}

/* ---------------------------------------------------------------- node, admission, certificates */

static const TableColumn runtimeclass_columns[] = {
    TABLE_COL_NAME,
    {"Handler", "string", "", 0, "Runtime handler the class selects."},
    TABLE_COL_AGE,
};

static void runtimeclass_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_str(cells, table_str0(obj, "handler"));
  table_cell_age(cells, obj, now);
}

static const TableColumn webhook_columns[] = {
    TABLE_COL_NAME,
    {"Webhooks", "integer", "", 0, "Number of webhooks in the configuration."},
    TABLE_COL_AGE,
};

static void webhook_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, (int64_t)table_arr_len(obj, "webhooks"));
  table_cell_age(cells, obj, now);
}

static const TableColumn csr_columns[] = {
    TABLE_COL_NAME,
    TABLE_COL_AGE,
    {"SignerName", "string", "", 0, "Signer asked to sign the certificate."},
    {"Requestor", "string", "", 0, "User who created the request."},
    {"RequestedDuration", "string", "", 0, "Validity period requested."},
    {"Condition", "string", "", 0, "Approval state, with Failed and Issued."},
};

static void csr_row(json_t *obj, int64_t now, json_t *cells) {
  bool approved = false, denied = false, failed = false;
  size_t i;
  json_t *c;
  json_array_foreach(table_arr(obj, "status.conditions"), i, c) {
    const char *type = table_str0(c, "type");
    approved |= streq(type, "Approved");
    denied |= streq(type, "Denied");
    failed |= streq(type, "Failed");
  }
  _cleanup_buf_ Buf cond = BUF_INIT;
  buf_puts(&cond, denied ? "Denied" : approved ? "Approved" : "Pending");
  if (failed)
    buf_puts(&cond, ",Failed");
  if (!isempty(table_str(obj, "status.certificate")))
    buf_puts(&cond, ",Issued");

  char requested[32] = "<none>";
  int64_t secs;
  if (table_int_p(obj, "spec.expirationSeconds", &secs))
    table_human_duration(secs, requested);

  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_age(cells, obj, now);
  table_cell_str(cells, table_str_or(obj, "spec.signerName", "<none>"));
  table_cell_str(cells, table_str0(obj, "spec.username"));
  table_cell_str(cells, requested);
  table_cell_buf(cells, &cond);
}

/* ---------------------------------------------------------------- registry */

const TablePrinter table_misc_printers[] = {
    TABLE_PRINTER("networking.k8s.io", "ingresses", ingress_columns, ingress_row),
    TABLE_PRINTER("networking.k8s.io", "ingressclasses", ingressclass_columns, ingressclass_row),
    TABLE_PRINTER("networking.k8s.io", "networkpolicies", networkpolicy_columns, networkpolicy_row),
    TABLE_PRINTER("coordination.k8s.io", "leases", lease_columns, lease_row),
    TABLE_PRINTER("discovery.k8s.io", "endpointslices", endpointslice_columns, endpointslice_row),
    TABLE_PRINTER("storage.k8s.io", "storageclasses", storageclass_columns, storageclass_row),
    TABLE_PRINTER("storage.k8s.io", "csidrivers", csidriver_columns, csidriver_row),
    TABLE_PRINTER("storage.k8s.io", "csinodes", csinode_columns, csinode_row),
    TABLE_PRINTER("storage.k8s.io", "volumeattachments", volumeattachment_columns, volumeattachment_row),
    TABLE_PRINTER("rbac.authorization.k8s.io", "rolebindings", rolebinding_columns, rolebinding_row),
    TABLE_PRINTER("rbac.authorization.k8s.io", "clusterrolebindings", rolebinding_columns, rolebinding_row),
    TABLE_PRINTER("node.k8s.io", "runtimeclasses", runtimeclass_columns, runtimeclass_row),
    TABLE_PRINTER("admissionregistration.k8s.io", "mutatingwebhookconfigurations", webhook_columns,
                  webhook_row),
    TABLE_PRINTER("admissionregistration.k8s.io", "validatingwebhookconfigurations", webhook_columns,
                  webhook_row),
    TABLE_PRINTER("certificates.k8s.io", "certificatesigningrequests", csr_columns, csr_row),
};
const size_t table_misc_printers_len = ELEMENTSOF(table_misc_printers);
