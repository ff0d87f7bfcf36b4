/* Table printers for workload resources: apps (deployments, replica sets, stateful sets, daemon sets,
 * controller revisions), batch (jobs, cron jobs), autoscaling (horizontal pod autoscalers, v2 and v1
 * shapes), policy (pod disruption budgets) and scheduling (priority classes). Columns and cell rules are
 * Kubernetes' (pkg/printers/internalversion, v1.32); replica counts Kubernetes would have defaulted to 1
 * before storing are read with that default. */
#include "api/table-internal.h"

/* ---------------------------------------------------------------- apps */

static int64_t desired_replicas(json_t *obj) {
  int64_t n = 1; /* spec.replicas defaults to 1 on every workload that has it */
  table_int_p(obj, "spec.replicas", &n);
  return n;
}

static void template_cells(json_t *cells, json_t *containers) {
  _cleanup_buf_ Buf names = BUF_INIT, images = BUF_INIT;
  table_containers(containers, &names, &images);
  table_cell_buf(cells, &names);
  table_cell_buf(cells, &images);
}

static void selector_cell(json_t *cells, json_t *sel) {
  _cleanup_buf_ Buf b = BUF_INIT;
  table_format_selector(&b, sel);
  table_cell_buf(cells, &b);
}

static const TableColumn deployment_columns[] = {
    TABLE_COL_NAME,
    {"Ready", "string", "", 0, "Ready replicas out of desired replicas."},
    {"Up-to-date", "string", "", 0, "Replicas running the latest pod template."},
    {"Available", "string", "", 0, "Replicas available to serve."},
    TABLE_COL_AGE,
    TABLE_COL_CONTAINERS,
    TABLE_COL_IMAGES,
    {"Selector", "string", "", 1, "Label selector of the pods it manages."},
};

static void deployment_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_fmt(cells, "%lld/%lld", (long long)table_int(obj, "status.readyReplicas"),
                 (long long)desired_replicas(obj));
  table_cell_int(cells, table_int(obj, "status.updatedReplicas"));
  table_cell_int(cells, table_int(obj, "status.availableReplicas"));
  table_cell_age(cells, obj, now);
  template_cells(cells, table_arr(obj, "spec.template.spec.containers"));
  /* Unlike the other workloads, deployments print an empty selector as "" and a bad one as "<invalid>". */
  _cleanup_buf_ Buf sel = BUF_INIT;
  if (!table_selector_string(&sel, table_get(obj, "spec.selector"))) {
    buf_reset(&sel);
    buf_puts(&sel, "<invalid>");
  }
  table_cell_buf(cells, &sel);
}

static const TableColumn replicaset_columns[] = {
    TABLE_COL_NAME,
    {"Desired", "integer", "", 0, "Number of replicas requested."},
    {"Current", "integer", "", 0, "Number of replicas that exist."},
    {"Ready", "integer", "", 0, "Number of ready replicas."},
    TABLE_COL_AGE,
    TABLE_COL_CONTAINERS,
    TABLE_COL_IMAGES,
    {"Selector", "string", "", 1, "Label selector of the pods it manages."},
};

static void replicaset_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, desired_replicas(obj));
  table_cell_int(cells, table_int(obj, "status.replicas"));
  table_cell_int(cells, table_int(obj, "status.readyReplicas"));
  table_cell_age(cells, obj, now);
  template_cells(cells, table_arr(obj, "spec.template.spec.containers"));
  selector_cell(cells, table_get(obj, "spec.selector"));
}

static const TableColumn statefulset_columns[] = {
    TABLE_COL_NAME,   {"Ready", "string", "", 0, "Ready replicas out of desired replicas."},
    TABLE_COL_AGE,    TABLE_COL_CONTAINERS,
    TABLE_COL_IMAGES,
};

static void statefulset_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_fmt(cells, "%lld/%lld", (long long)table_int(obj, "status.readyReplicas"),
                 (long long)desired_replicas(obj));
  table_cell_age(cells, obj, now);
  template_cells(cells, table_arr(obj, "spec.template.spec.containers"));
}

static const TableColumn daemonset_columns[] = {
    TABLE_COL_NAME,
    {"Desired", "integer", "", 0, "Nodes that should run the daemon pod."},
    {"Current", "integer", "", 0, "Nodes running at least one daemon pod."},
    {"Ready", "integer", "", 0, "Nodes whose daemon pod is ready."},
    {"Up-to-date", "integer", "", 0, "Nodes running the latest daemon pod template."},
    {"Available", "integer", "", 0, "Nodes whose daemon pod is available."},
    {"Node Selector", "string", "", 0, "Node labels the daemon pods are restricted to."},
    TABLE_COL_AGE,
    TABLE_COL_CONTAINERS,
    TABLE_COL_IMAGES,
    {"Selector", "string", "", 1, "Label selector of the pods it manages."},
};

static void daemonset_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf node_sel = BUF_INIT;
  table_format_labels(&node_sel, table_obj(obj, "spec.template.spec.nodeSelector"));
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, table_int(obj, "status.desiredNumberScheduled"));
  table_cell_int(cells, table_int(obj, "status.currentNumberScheduled"));
  table_cell_int(cells, table_int(obj, "status.numberReady"));
  table_cell_int(cells, table_int(obj, "status.updatedNumberScheduled"));
  table_cell_int(cells, table_int(obj, "status.numberAvailable"));
  table_cell_buf(cells, &node_sel);
  table_cell_age(cells, obj, now);
  template_cells(cells, table_arr(obj, "spec.template.spec.containers"));
  selector_cell(cells, table_get(obj, "spec.selector"));
}

static const TableColumn controllerrevision_columns[] = {
    TABLE_COL_NAME,
    {"Controller", "string", "", 0, "The controller owning the revision, as kind.group/name."},
    {"Revision", "string", "", 0, "Revision number."},
    TABLE_COL_AGE,
};

static void controllerrevision_row(json_t *obj, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf controller = BUF_INIT;
  json_t *owner = NULL;
  size_t i;
  json_t *ref;
  json_array_foreach(table_arr(obj, "metadata.ownerReferences"), i, ref) {
    if (table_bool(ref, "controller")) {
      owner = ref;
      break;
    }
  }
  if (!owner) {
    buf_puts(&controller, "<none>");
  } else {
    /* GroupKind.String() lowercased: "statefulset.apps/web", or "kind/name" for the core group. */
    const char *api_version = table_str0(owner, "apiVersion");
    const char *kind = table_str0(owner, "kind");
    const char *slash = strchr(api_version, '/');
    if (slash && strchr(slash + 1, '/')) {
      /* Kubernetes fails the whole request on an unparsable apiVersion; print the bare name instead. */
      buf_puts(&controller, table_str0(owner, "name"));
    } else {
      size_t group_len = slash ? (size_t)(slash - api_version) : 0;
      if (*kind || group_len) {
        table_put_lower(&controller, kind);
        if (group_len) {
          buf_putc(&controller, '.');
          _cleanup_free_ char *group = xstrndup(api_version, group_len);
          table_put_lower(&controller, group);
        }
        buf_putc(&controller, '/');
      }
      buf_puts(&controller, table_str0(owner, "name"));
    }
  }
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_buf(cells, &controller);
  table_cell_int(cells, table_int(obj, "revision"));
  table_cell_age(cells, obj, now);
}

/* ---------------------------------------------------------------- batch */

static const TableColumn job_columns[] = {
    TABLE_COL_NAME,
    {"Status", "string", "", 0, "Complete, Failed, Terminating, Suspended, FailureTarget or Running."},
    {"Completions", "string", "", 0, "Succeeded pods out of required completions."},
    {"Duration", "string", "", 0, "Time the job took, or has been running."},
    TABLE_COL_AGE,
    TABLE_COL_CONTAINERS,
    TABLE_COL_IMAGES,
    {"Selector", "string", "", 1, "Label selector of the job's pods."},
};

/* The status of the first condition of that type is what counts, as in Kubernetes. */
static bool job_condition(json_t *job, const char *type) {
  size_t i;
  json_t *c;
  json_array_foreach(table_arr(job, "status.conditions"), i, c) {
    if (streq_ptr(table_str(c, "type"), type))
      return streq_ptr(table_str(c, "status"), "True");
  }
  return false;
}

static void job_row(json_t *job, int64_t now, json_t *cells) {
  int64_t succeeded = table_int(job, "status.succeeded"), completions, parallelism = 0;
  _cleanup_buf_ Buf compl = BUF_INIT;
  if (table_int_p(job, "spec.completions", &completions)) {
    buf_printf(&compl, "%lld/%lld", (long long)succeeded, (long long)completions);
  } else {
    table_int_p(job, "spec.parallelism", &parallelism);
    if (parallelism > 1)
      buf_printf(&compl, "%lld/1 of %lld", (long long)succeeded, (long long)parallelism);
    else
      buf_printf(&compl, "%lld/1", (long long)succeeded);
  }

  char duration[32] = "";
  int64_t start, end;
  if (table_time(job, "status.startTime", &start)) {
    if (!table_time(job, "status.completionTime", &end))
      end = now;
    table_human_duration(end - start, duration);
  }

  const char *status;
  if (job_condition(job, "Complete"))
    status = "Complete";
  else if (job_condition(job, "Failed"))
    status = "Failed";
  else if (table_present(job, "metadata.deletionTimestamp"))
    status = "Terminating";
  else if (job_condition(job, "Suspended"))
    status = "Suspended";
  else if (job_condition(job, "FailureTarget"))
    status = "FailureTarget";
  else
    status = "Running";

  table_cell_str(cells, table_str0(job, "metadata.name"));
  table_cell_str(cells, status);
  table_cell_buf(cells, &compl );
  table_cell_str(cells, duration);
  table_cell_age(cells, job, now);
  template_cells(cells, table_arr(job, "spec.template.spec.containers"));
  selector_cell(cells, table_get(job, "spec.selector"));
}

static const TableColumn cronjob_columns[] = {
    TABLE_COL_NAME,
    {"Schedule", "string", "", 0, "Cron schedule."},
    {"Timezone", "string", "", 0, "Time zone the schedule is interpreted in."},
    {"Suspend", "boolean", "", 0, "Whether new runs are suspended."},
    {"Active", "integer", "", 0, "Number of running jobs."},
    {"Last Schedule", "string", "", 0, "Time since a job was last scheduled."},
    TABLE_COL_AGE,
    TABLE_COL_CONTAINERS,
    TABLE_COL_IMAGES,
    {"Selector", "string", "", 1, "Label selector of the jobs' pods."},
};

static void cronjob_row(json_t *cj, int64_t now, json_t *cells) {
  char last[32] = "<none>";
  if (table_present(cj, "status.lastScheduleTime"))
    table_since(cj, "status.lastScheduleTime", now, last);
  const char *tz = table_str(cj, "spec.timeZone");
  json_t *suspend = table_get(cj, "spec.suspend");

  table_cell_str(cells, table_str0(cj, "metadata.name"));
  table_cell_str(cells, table_str0(cj, "spec.schedule"));
  table_cell_str(cells, tz ? tz : "<none>");
  /* Declared boolean, but Kubernetes puts a string in the cell. */
  table_cell_str(cells, json_is_boolean(suspend) ? (json_is_true(suspend) ? "True" : "False") : "<unset>");
  table_cell_int(cells, (int64_t)table_arr_len(cj, "status.active"));
  table_cell_str(cells, last);
  table_cell_age(cells, cj, now);
  template_cells(cells, table_arr(cj, "spec.jobTemplate.spec.template.spec.containers"));
  selector_cell(cells, table_get(cj, "spec.jobTemplate.spec.selector"));
}

/* ---------------------------------------------------------------- autoscaling */

static const TableColumn hpa_columns[] = {
    TABLE_COL_NAME,
    {"Reference", "string", "", 0, "The scaled object, as Kind/name."},
    {"Targets", "string", "", 0, "Current and target values of the metrics."},
    {"MinPods", "string", "", 0, "Lower bound of replicas."},
    {"MaxPods", "string", "", 0, "Upper bound of replicas."},
    {"Replicas", "string", "", 0, "Current number of replicas."},
    TABLE_COL_AGE,
};

/* A *resource.Quantity field as Kubernetes prints it; a nil pointer prints "<nil>". */
static const char *quantity_ptr(json_t *v, const char *path, char buf[static 64]) {
  json_t *q = table_get(v, path);
  if (!q || json_is_null(q))
    return "<nil>";
  return table_quantity(q, buf);
}

static void put_percent_or(Buf *b, json_t *v, const char *path, const char *fallback) {
  int64_t pct;
  if (table_int_p(v, path, &pct))
    buf_printf(b, "%lld%%", (long long)pct);
  else
    buf_puts(b, fallback);
}

/* One metric of spec.metrics, paired with status.currentMetrics by position like Kubernetes does.
 * source is the spec/status member holding the metric ("resource", "pods", ...). */
static void hpa_metric(Buf *b, json_t *spec, json_t *status) {
  const char *type = table_str0(spec, "type");
  char cbuf[64], tbuf[64];
  if (streq(type, "External") || streq(type, "Object")) {
    const char *member = streq(type, "External") ? "external" : "object";
    json_t *s = table_obj(spec, member), *st = table_obj(status, member);
    if (table_present(s, "target.averageValue")) {
      const char *cur = table_present(st, "current.averageValue")
                            ? quantity_ptr(st, "current.averageValue", cbuf)
                            : "<unknown>";
      buf_printf(b, "%s/%s (avg)", cur, quantity_ptr(s, "target.averageValue", tbuf));
    } else {
      const char *cur = st ? quantity_ptr(st, "current.value", cbuf) : "<unknown>";
      buf_printf(b, "%s/%s", cur, quantity_ptr(s, "target.value", tbuf));
    }
  } else if (streq(type, "Pods")) {
    json_t *s = table_obj(spec, "pods"), *st = table_obj(status, "pods");
    const char *cur = st ? quantity_ptr(st, "current.averageValue", cbuf) : "<unknown>";
    buf_printf(b, "%s/%s", cur, quantity_ptr(s, "target.averageValue", tbuf));
  } else if (streq(type, "Resource") || streq(type, "ContainerResource")) {
    const char *member = streq(type, "Resource") ? "resource" : "containerResource";
    json_t *s = table_obj(spec, member), *st = table_obj(status, member);
    buf_printf(b, "%s: ", table_str0(s, "name"));
    if (table_present(s, "target.averageValue")) {
      const char *cur = st ? quantity_ptr(st, "current.averageValue", cbuf) : "<unknown>";
      buf_printf(b, "%s/%s", cur, quantity_ptr(s, "target.averageValue", tbuf));
    } else {
      put_percent_or(b, st, "current.averageUtilization", "<unknown>");
      buf_putc(b, '/');
      put_percent_or(b, s, "target.averageUtilization", "<auto>");
    }
  } else {
    buf_puts(b, "<unknown type>");
  }
}

static void hpa_targets(Buf *b, json_t *hpa) {
  enum { MAX_SHOWN = 2 };
  json_t *metrics = table_arr(hpa, "spec.metrics");
  json_t *current = table_arr(hpa, "status.currentMetrics");
  size_t n = json_array_size(metrics);

  /* autoscaling/v1 objects carry one CPU utilization target; conversion turns it into a Resource metric. */
  if (!metrics && table_present(hpa, "spec.targetCPUUtilizationPercentage")) {
    buf_puts(b, "cpu: ");
    put_percent_or(b, hpa, "status.currentCPUUtilizationPercentage", "<unknown>");
    buf_putc(b, '/');
    put_percent_or(b, hpa, "spec.targetCPUUtilizationPercentage", "<auto>");
    return;
  }
  if (n == 0) {
    buf_puts(b, "<none>");
    return;
  }
  for (size_t i = 0; i < n && i < MAX_SHOWN; i++) {
    if (i)
      buf_puts(b, ", ");
    hpa_metric(b, json_array_get(metrics, i), json_array_get(current, i));
  }
  if (n > MAX_SHOWN)
    buf_printf(b, " + %zu more...", n - MAX_SHOWN);
}

static void hpa_row(json_t *hpa, int64_t now, json_t *cells) {
  _cleanup_buf_ Buf ref = BUF_INIT, targets = BUF_INIT;
  buf_printf(&ref, "%s/%s", table_str0(hpa, "spec.scaleTargetRef.kind"),
             table_str0(hpa, "spec.scaleTargetRef.name"));
  hpa_targets(&targets, hpa);
  int64_t min;
  table_cell_str(cells, table_str0(hpa, "metadata.name"));
  table_cell_buf(cells, &ref);
  table_cell_buf(cells, &targets);
  if (table_int_p(hpa, "spec.minReplicas", &min))
    table_cell_fmt(cells, "%lld", (long long)min);
  else
    table_cell_str(cells, "<unset>");
  table_cell_int(cells, table_int(hpa, "spec.maxReplicas"));
  table_cell_int(cells, table_int(hpa, "status.currentReplicas"));
  table_cell_age(cells, hpa, now);
}

/* ---------------------------------------------------------------- policy, scheduling */

static const TableColumn pdb_columns[] = {
    TABLE_COL_NAME,
    {"Min Available", "string", "", 0, "Pods that must stay available."},
    {"Max Unavailable", "string", "", 0, "Pods that may be unavailable."},
    {"Allowed Disruptions", "integer", "", 0, "Pod disruptions currently allowed."},
    TABLE_COL_AGE,
};

/* An IntOrString as its String(): the number or the string (a percentage); "N/A" when unset. */
static void int_or_string_cell(json_t *cells, json_t *v) {
  if (json_is_integer(v))
    table_cell_fmt(cells, "%lld", (long long)json_integer_value(v));
  else if (json_is_string(v))
    table_cell_str(cells, json_string_value(v));
  else
    table_cell_str(cells, "N/A");
}

static void pdb_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  int_or_string_cell(cells, table_get(obj, "spec.minAvailable"));
  int_or_string_cell(cells, table_get(obj, "spec.maxUnavailable"));
  table_cell_int(cells, table_int(obj, "status.disruptionsAllowed"));
  table_cell_age(cells, obj, now);
}

static const TableColumn priorityclass_columns[] = {
    TABLE_COL_NAME,
    {"Value", "integer", "", 0, "Priority of pods using this class."},
    {"Global-Default", "boolean", "", 0, "Whether pods without a class get this one."},
    TABLE_COL_AGE,
    {"PreemptionPolicy", "string", "", 0, "Whether pods of this class may preempt others."},
};

static void priorityclass_row(json_t *obj, int64_t now, json_t *cells) {
  table_cell_str(cells, table_str0(obj, "metadata.name"));
  table_cell_int(cells, table_int(obj, "value"));
  table_cell_bool(cells, table_bool(obj, "globalDefault"));
  table_cell_age(cells, obj, now);
  table_cell_str(cells, table_str0(obj, "preemptionPolicy"));
}

/* ---------------------------------------------------------------- registry */

const TablePrinter table_workload_printers[] = {
    TABLE_PRINTER("apps", "deployments", deployment_columns, deployment_row),
    TABLE_PRINTER("apps", "replicasets", replicaset_columns, replicaset_row),
    TABLE_PRINTER("apps", "statefulsets", statefulset_columns, statefulset_row),
    TABLE_PRINTER("apps", "daemonsets", daemonset_columns, daemonset_row),
    TABLE_PRINTER("apps", "controllerrevisions", controllerrevision_columns, controllerrevision_row),
    TABLE_PRINTER("batch", "jobs", job_columns, job_row),
    TABLE_PRINTER("batch", "cronjobs", cronjob_columns, cronjob_row),
    TABLE_PRINTER("autoscaling", "horizontalpodautoscalers", hpa_columns, hpa_row),
    TABLE_PRINTER("policy", "poddisruptionbudgets", pdb_columns, pdb_row),
    TABLE_PRINTER("scheduling.k8s.io", "priorityclasses", priorityclass_columns, priorityclass_row),
};
const size_t table_workload_printers_len = ELEMENTSOF(table_workload_printers);
