/* The scheduler's compact view of nodes and pods, parsed once from their JSON when an informer reports
 * them: allocatable and requested quantities as integers (milli-CPU, bytes, pods), taints, host ports, the
 * owning controller; and the accounting of pods on nodes. Locking is the caller's (scheduler.c's cache
 * lock). */
#include "api/jsonutil.h"
#include "api/quantity.h"
#include "scheduler/sched-internal.h"

static int64_t qty(json_t *list, const char *name, bool milli) {
  json_t *v = json_object_get(list, name);
  Quantity q;
  if (!v || quantity_from_json(v, &q, NULL) < 0)
    return 0;
  return milli ? quantity_milli_value(&q) : quantity_value(&q);
}

/* The requests of one container list entry: resources.requests (limits stand in when requests are absent,
 * as the API server's defaulting copies them). */
static void container_requests(json_t *c, int64_t *cpu, int64_t *mem, bool *has_cpu, bool *has_mem) {
  json_t *req = jpath(c, "resources.requests"), *lim = jpath(c, "resources.limits");
  *has_cpu = json_object_get(req, "cpu") || json_object_get(lim, "cpu");
  *has_mem = json_object_get(req, "memory") || json_object_get(lim, "memory");
  *cpu = json_object_get(req, "cpu") ? qty(req, "cpu", true) : qty(lim, "cpu", true);
  *mem = json_object_get(req, "memory") ? qty(req, "memory", false) : qty(lim, "memory", false);
}

SchedPod *sched_pod_new(json_t *obj) {
  SchedPod *p = xzalloc(sizeof *p);
  p->obj = json_incref(obj);
  p->ns = jstr(obj, "metadata.namespace");
  p->name = jstr(obj, "metadata.name");
  p->uid = jstr(obj, "metadata.uid");
  p->key = xasprintf("%s/%s", p->ns ? p->ns : "", p->name ? p->name : "");
  const char *nn = jstr(obj, "spec.nodeName");
  p->node_name = isempty(nn) ? NULL : nn;
  size_t i;
  json_t *v;
  json_array_foreach(jpath(obj, "metadata.ownerReferences"), i, v) {
    if (json_is_true(json_object_get(v, "controller")))
      p->owner_uid = jstr(v, "uid");
  }
  json_t *spec = json_object_get(obj, "spec");
  json_array_foreach(json_object_get(spec, "volumes"), i, v) {
    if (json_object_get(v, "persistentVolumeClaim"))
      p->has_claims = true;
  }
  json_t *c;
  json_array_foreach(json_object_get(spec, "containers"), i, c) {
    int64_t cpu, mem;
    bool hc, hm;
    container_requests(c, &cpu, &mem, &hc, &hm);
    p->milli_cpu += cpu;
    p->memory += mem;
    p->nz_milli_cpu += hc ? cpu : SCHED_DEFAULT_MILLI_CPU;
    p->nz_memory += hm ? mem : SCHED_DEFAULT_MEMORY;
    size_t j;
    json_t *port;
    json_array_foreach(json_object_get(c, "ports"), j, port) {
      int hp = (int)jint(port, "hostPort", 0);
      if (hp <= 0)
        continue;
      p->ports = xrealloc(p->ports, (p->n_ports + 1) * sizeof *p->ports);
      SchedPort *sp = &p->ports[p->n_ports++];
      *sp = (SchedPort){.port = hp};
      snprintf(sp->protocol, sizeof sp->protocol, "%s", jstr(port, "protocol") ?: "TCP");
      snprintf(sp->ip, sizeof sp->ip, "%s", jstr(port, "hostIP") ?: "");
    }
  }
  /* Init containers run one at a time before the others: the pod needs the largest of them. Sidecars
   * (restartPolicy Always) keep running and add up instead. */
  int64_t side_cpu = 0, side_mem = 0, init_cpu = 0, init_mem = 0;
  json_array_foreach(json_object_get(spec, "initContainers"), i, c) {
    int64_t cpu, mem;
    bool hc, hm;
    container_requests(c, &cpu, &mem, &hc, &hm);
    if (streq_ptr(jstr(c, "restartPolicy"), "Always")) {
      side_cpu += cpu;
      side_mem += mem;
      continue;
    }
    init_cpu = MAX(init_cpu, side_cpu + cpu);
    init_mem = MAX(init_mem, side_mem + mem);
  }
  p->milli_cpu = MAX(p->milli_cpu + side_cpu, init_cpu);
  p->memory = MAX(p->memory + side_mem, init_mem);
  p->nz_milli_cpu = MAX(p->nz_milli_cpu + side_cpu, init_cpu);
  p->nz_memory = MAX(p->nz_memory + side_mem, init_mem);
  json_t *overhead = json_object_get(spec, "overhead");
  p->milli_cpu += qty(overhead, "cpu", true);
  p->memory += qty(overhead, "memory", false);
  p->tolerations = json_object_get(spec, "tolerations");
  p->node_selector = json_object_get(spec, "nodeSelector");
  p->labels = jpath(obj, "metadata.labels");
  json_t *aff = json_object_get(spec, "affinity");
  p->required_node_affinity = jpath(aff, "nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution");
  p->preferred_node_affinity = jpath(aff, "nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution");
  p->required_pod_affinity = jpath(aff, "podAffinity.requiredDuringSchedulingIgnoredDuringExecution");
  p->required_pod_anti_affinity =
      jpath(aff, "podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution");
  p->has_required_anti_affinity = json_array_size(p->required_pod_anti_affinity) > 0;
  return p;
}

void sched_pod_free(SchedPod *p) {
  if (!p)
    return;
  json_decref(p->obj);
  free(p->key);
  free(p->ports);
  free(p);
}

SchedNode *sched_node_new(const char *name) {
  SchedNode *n = xzalloc(sizeof *n);
  n->name = xstrdup(name);
  return n;
}

void sched_node_set(SchedNode *n, json_t *obj) {
  json_t *old = n->obj;
  free(n->taints);
  n->taints = NULL;
  n->n_taints = 0;
  n->obj = obj ? json_incref(obj) : NULL;
  json_decref(old);
  n->labels = NULL;
  if (!obj)
    return;
  n->labels = jpath(obj, "metadata.labels");
  n->unschedulable = json_is_true(jpath(obj, "spec.unschedulable"));
  n->ready = false;
  size_t i;
  json_t *v;
  json_array_foreach(jpath(obj, "status.conditions"), i, v) {
    if (streq_ptr(jstr(v, "type"), "Ready"))
      n->ready = streq_ptr(jstr(v, "status"), "True");
  }
  json_t *alloc = jpath(obj, "status.allocatable");
  if (!json_is_object(alloc))
    alloc = jpath(obj, "status.capacity");
  n->alloc_milli_cpu = qty(alloc, "cpu", true);
  n->alloc_memory = qty(alloc, "memory", false);
  n->alloc_pods = qty(alloc, "pods", false);
  json_t *taints = jpath(obj, "spec.taints");
  if (json_array_size(taints)) {
    n->taints = xcalloc(json_array_size(taints), sizeof *n->taints);
    json_array_foreach(taints, i, v) {
      const char *key = jstr(v, "key");
      if (!key)
        continue;
      n->taints[n->n_taints++] = (SchedTaint){
          .key = key, .value = jstr(v, "value"), .effect = sched_taint_effect_from_string(jstr(v, "effect"))};
    }
  }
}

void sched_node_free(SchedNode *n) {
  if (!n)
    return;
  json_decref(n->obj);
  free(n->taints);
  free(n->pods);
  free(n->name);
  free(n);
}

void sched_node_add_pod(SchedNode *n, SchedPod *p) {
  if (n->n_pods == n->cap_pods) {
    n->cap_pods = n->cap_pods ? n->cap_pods * 2 : 8;
    n->pods = xrealloc(n->pods, n->cap_pods * sizeof *n->pods);
  }
  n->pods[n->n_pods++] = p;
  n->req_milli_cpu += p->milli_cpu;
  n->req_memory += p->memory;
  n->nz_milli_cpu += p->nz_milli_cpu;
  n->nz_memory += p->nz_memory;
  p->node = n;
}

void sched_node_remove_pod(SchedNode *n, SchedPod *p) {
  for (size_t i = 0; i < n->n_pods; i++) {
    if (n->pods[i] != p)
      continue;
    n->pods[i] = n->pods[--n->n_pods];
    n->req_milli_cpu -= p->milli_cpu;
    n->req_memory -= p->memory;
    n->nz_milli_cpu -= p->nz_milli_cpu;
    n->nz_memory -= p->nz_memory;
    p->node = NULL;
    return;
  }
}
