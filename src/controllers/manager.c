/* The controller manager: one shared informer per watched resource (several controllers register handlers
 * on it, so a pod change is fetched once), one work queue per controller with a few workers each, and the
 * start/stop order that keeps handlers from queueing into a queue that is gone: informers start before the
 * workers and stop before the queues shut down. */
#include <errno.h>

#include "controllers/clusterdns.h"
#include "controllers/controllers-internal.h"
#include "controllers/nodeipam.h"
#include "controllers/nodelifecycle.h"

#define COMPONENT "controller-manager"
#define CTRL_MAX_RETRIES 15 /* then the key is dropped until its next event or resync, as client-go does */

static const struct {
  const char *group, *version, *resource;
} res_names[_CTRL_RES_MAX] = {
    [CTRL_PODS] = {"", "v1", "pods"},
    [CTRL_REPLICASETS] = {"apps", "v1", "replicasets"},
    [CTRL_DEPLOYMENTS] = {"apps", "v1", "deployments"},
    [CTRL_SERVICES] = {"", "v1", "services"},
    [CTRL_ENDPOINTS] = {"", "v1", "endpoints"},
    [CTRL_ENDPOINTSLICES] = {"discovery.k8s.io", "v1", "endpointslices"},
    [CTRL_NAMESPACES] = {"", "v1", "namespaces"},
    [CTRL_SERVICEACCOUNTS] = {"", "v1", "serviceaccounts"},
    [CTRL_JOBS] = {"batch", "v1", "jobs"},
    [CTRL_CRONJOBS] = {"batch", "v1", "cronjobs"},
    [CTRL_DAEMONSETS] = {"apps", "v1", "daemonsets"},
    [CTRL_STATEFULSETS] = {"apps", "v1", "statefulsets"},
    [CTRL_CONTROLLERREVISIONS] = {"apps", "v1", "controllerrevisions"},
    [CTRL_CONFIGMAPS] = {"", "v1", "configmaps"},
    [CTRL_SECRETS] = {"", "v1", "secrets"},
    [CTRL_NODES] = {"", "v1", "nodes"},
    [CTRL_HPAS] = {"autoscaling", "v2", "horizontalpodautoscalers"},
    [CTRL_LEASES] = {"coordination.k8s.io", "v1", "leases"},
    [CTRL_PDBS] = {"policy", "v1", "poddisruptionbudgets"},
    [CTRL_PVCS] = {"", "v1", "persistentvolumeclaims"},
    [CTRL_PVS] = {"", "v1", "persistentvolumes"},
    [CTRL_STORAGECLASSES] = {"storage.k8s.io", "v1", "storageclasses"},
};

const ApiResource *ctrl_resource(CtrlRes r) {
  if (r < 0 || r >= _CTRL_RES_MAX)
    return NULL;
  return api_resource_find(res_names[r].group, res_names[r].version, res_names[r].resource);
}

CtrlRes ctrl_res_from_kind(const char *api_version, const char *kind) {
  if (!api_version || !kind)
    return CTRL_RES_INVALID;
  for (int i = 0; i < _CTRL_RES_MAX; i++) {
    const ApiResource *r = ctrl_resource(i);
    char gv[128];
    if (r && streq(r->kind, kind) && streq(api_resource_group_version(r, gv, sizeof gv), api_version))
      return i;
  }
  return CTRL_RES_INVALID;
}

Informer *ctrl_informer(CtrlManager *m, CtrlRes r) {
  if (!m->inf[r]) {
    const ApiResource *ar = ctrl_resource(r);
    /* A resync every 10 minutes re-checks everything, as kube-controller-manager's shared informers do
     * (12 to 24 h there; a small cluster can afford more often). */
    InformerOptions o = {.resync_usec = 600ull * 1000000};
    if (!ar || informer_new(m->client, ar, &o, &m->inf[r], NULL) < 0) {
      log_error(COMPONENT, "msg=\"cannot watch\" resource=%s", res_names[r].resource);
      abort();
    }
  }
  return m->inf[r];
}

CtrlController *ctrl_controller_new(CtrlManager *m, const char *name, CtrlSyncFn sync, void *state,
                                    void (*free_state)(void *state)) {
  if (m->n_ctrls >= CTRL_MAX_CONTROLLERS)
    abort();
  CtrlController *c = xzalloc(sizeof *c);
  c->name = name;
  c->m = m;
  c->queue = workqueue_new(name);
  c->sync = sync;
  c->state = state;
  c->free_state = free_state;
  m->ctrls[m->n_ctrls++] = c;
  return c;
}

void ctrl_enqueue(CtrlController *c, const char *key) {
  if (key)
    workqueue_add(c->queue, key);
}

void ctrl_enqueue_obj(CtrlController *c, json_t *obj) {
  _cleanup_free_ char *key = informer_key(obj);
  ctrl_enqueue(c, key);
}

void ctrl_enqueue_after(CtrlController *c, const char *key, uint64_t delay_usec) {
  if (key)
    workqueue_add_after(c->queue, key, delay_usec);
}

static void *worker_main(void *arg) {
  CtrlController *c = arg;
  char *key;
  while (workqueue_get(c->queue, &key) == 0) {
    Error e = ERROR_INIT;
    uint64_t start = now_monotonic_usec();
    int rc = c->sync(c, key, &e);
    if (rc < 0) {
      unsigned n = workqueue_num_requeues(c->queue, key);
      /* Conflicts are the normal price of optimistic concurrency: retried quietly. */
      if (rc == -ECANCELED || rc == -EEXIST || rc == -EAGAIN)
        log_debug(COMPONENT, "controller=%s key=%s msg=\"retrying\" err=\"%s\"", c->name, key,
                  e.message ? e.message : strerror(-rc));
      else
        log_warn(COMPONENT, "controller=%s key=%s msg=\"sync failed\" retries=%u err=\"%s\"", c->name, key, n,
                 e.message ? e.message : strerror(-rc));
      if (n < CTRL_MAX_RETRIES)
        workqueue_add_rate_limited(c->queue, key);
      else
        workqueue_forget(c->queue, key);
    } else {
      workqueue_forget(c->queue, key);
    }
    log_trace(COMPONENT, "controller=%s key=%s rc=%d usec=%llu", c->name, key, rc,
              (unsigned long long)(now_monotonic_usec() - start));
    error_reset(&e);
    workqueue_done(c->queue, key);
    free(key);
  }
  return NULL;
}

static void manager_free(CtrlManager *m) {
  if (!m)
    return;
  for (int i = 0; i < _CTRL_RES_MAX; i++) {
    if (m->inf[i])
      informer_stop(m->inf[i]);
  }
  for (size_t i = 0; i < m->n_ctrls; i++)
    workqueue_shutdown(m->ctrls[i]->queue);
  for (size_t i = 0; i < m->n_ctrls; i++) {
    CtrlController *c = m->ctrls[i];
    for (size_t k = 0; k < c->n_threads; k++)
      pthread_join(c->threads[k], NULL);
    free(c->threads);
  }
  for (int i = 0; i < _CTRL_RES_MAX; i++)
    informer_free(m->inf[i]);
  for (size_t i = 0; i < m->n_ctrls; i++) {
    CtrlController *c = m->ctrls[i];
    workqueue_free(c->queue);
    if (c->free_state)
      c->free_state(c->state);
    free(c);
  }
  ctrl_events_destroy(&m->events);
  free(m->apiserver_ip);
  free(m->cluster_cidr);
  free(m);
}

int ctrl_manager_start(Client *client, const CtrlManagerOptions *opts, CtrlManager **ret, Error *err) {
  CtrlManager *m = xzalloc(sizeof *m);
  m->client = client;
  ctrl_events_init(&m->events);
  if (opts && !isempty(opts->apiserver_ip) && opts->apiserver_port > 0) {
    m->apiserver_ip = xstrdup(opts->apiserver_ip);
    m->apiserver_port = opts->apiserver_port;
  }
  if (opts && !isempty(opts->cluster_cidr))
    m->cluster_cidr = xstrdup(opts->cluster_cidr);
  m->workers = opts && opts->workers ? opts->workers : 2;
  m->hpa_sync_period_usec = opts && opts->hpa_sync_period_usec ? opts->hpa_sync_period_usec : 15000000u;
  m->hpa_downscale_window_usec =
      opts && opts->hpa_downscale_window_usec ? opts->hpa_downscale_window_usec : 300000000u;
  m->node_grace_usec = opts && opts->node_grace_usec ? opts->node_grace_usec : 40000000u;
  unsigned sync_sec = opts && opts->sync_timeout_sec ? opts->sync_timeout_sec : 60;
  int (*setups[])(CtrlManager *, Error *) = {rs_controller_setup,         deploy_controller_setup,
                                             gc_controller_setup,         endpoints_controller_setup,
                                             sa_controller_setup,         nodeipam_controller_setup,
                                             servicelb_controller_setup,  job_controller_setup,
                                             cronjob_controller_setup,    ds_controller_setup,
                                             sts_controller_setup,        hpa_controller_setup,
                                             clusterdns_controller_setup, nodelifecycle_controller_setup,
                                             disruption_controller_setup, pv_controller_setup};
  for (size_t i = 0; i < ELEMENTSOF(setups); i++) {
    int rc = setups[i](m, err);
    if (rc < 0) {
      manager_free(m);
      return rc;
    }
  }
  for (int i = 0; i < _CTRL_RES_MAX; i++) {
    if (!m->inf[i])
      continue;
    int rc = informer_start(m->inf[i], err);
    if (rc < 0) {
      manager_free(m);
      return rc;
    }
  }
  uint64_t deadline = now_monotonic_usec() + (uint64_t)sync_sec * 1000000;
  for (int i = 0; i < _CTRL_RES_MAX; i++) {
    if (!m->inf[i])
      continue;
    uint64_t now = now_monotonic_usec();
    int rc = informer_wait_for_sync(m->inf[i], deadline > now ? deadline - now : 1);
    if (rc < 0) {
      manager_free(m);
      return error_set(err, rc, NULL, "controller manager: the %s informer did not sync",
                       res_names[i].resource);
    }
  }
  for (size_t i = 0; i < m->n_ctrls; i++) {
    CtrlController *c = m->ctrls[i];
    c->threads = xcalloc(m->workers, sizeof(pthread_t));
    for (unsigned k = 0; k < m->workers; k++) {
      if (pthread_create(&c->threads[k], NULL, worker_main, c) != 0)
        abort();
      c->n_threads++;
    }
  }
  log_info(COMPONENT, "msg=\"controllers started\" controllers=%zu workers=%u", m->n_ctrls, m->workers);
  *ret = m;
  return 0;
}

void ctrl_manager_stop(CtrlManager *m) {
  manager_free(m);
}
