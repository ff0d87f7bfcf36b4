/* The agent's assembly: options, the image service and runtime, the pods informer (spec.nodeName = this
 * node) feeding a work queue, the pod workers, and the node thread. At start every pod recorded on disk is
 * queued too, so that containers of pods deleted while the agent was away are cleaned up. */
#include <dirent.h>
#include <errno.h>

#include "agent/kubelet/dnsconfig.h"
#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/storage.h"
#include "api/jsonutil.h"
#include "base/log.h"
#include "config.h"

static void enqueue(json_t *obj, void *userdata) {
  Kubelet *k = userdata;
  _cleanup_free_ char *key = informer_key(obj);
  if (key)
    workqueue_add(k->queue, key);
}

static void on_update(json_t *old_obj, json_t *new_obj, void *userdata) {
  enqueue(new_obj, userdata);
}

static void *worker(void *arg) {
  Kubelet *k = arg;
  char *key;
  while (workqueue_get(k->queue, &key) == 0) {
    uint64_t again = kubelet_sync_pod(k, key);
    workqueue_done(k->queue, key);
    if (again)
      workqueue_add_after(k->queue, key, again);
    free(key);
  }
  return NULL;
}

/* Pods known on disk: "namespace/name" keys from their state.json. */
static void enqueue_pods_on_disk(Kubelet *k) {
  DIR *d = opendir(k->rt.pods_dir);
  if (!d)
    return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    _cleanup_free_ char *path = xasprintf("%s/%s/state.json", k->rt.pods_dir, e->d_name), *text = NULL;
    if (read_file(path, &text, NULL) < 0)
      continue;
    _cleanup_json_ json_t *j = json_loads(text, 0, NULL);
    const char *ns = jstr(j, "namespace"), *name = jstr(j, "name"), *uid = jstr(j, "uid");
    if (!ns || !name || !uid)
      continue;
    _cleanup_free_ char *key = xasprintf("%s/%s", ns, name);
    _cleanup_json_ json_t *pod = informer_get(k->pods, key);
    if (!pod || !streq_ptr(jstr(pod, "metadata.uid"), uid)) {
      /* Deleted (or replaced) while the agent was away: nothing will ask for it again. */
      log_info("kubelet", "pod=%s uid=%s msg=\"removing pod deleted while the agent was away\"", key, uid);
      kubelet_pod_remove(k, uid);
    }
  }
  closedir(d);
}

static void free_opts(KubeletOptions *o) {
  free((char *)o->node_name);
  free((char *)o->node_ip);
  free((char *)o->data_dir);
  free((char *)o->pod_log_dir);
  free((char *)o->runc);
  free((char *)o->registries_path);
  free((char *)o->cluster_dns);
  free((char *)o->cluster_domain);
  free((char *)o->cluster_cidr);
  free((char *)o->dns_bind_address);
  free((char *)o->storage_path);
}

static char *dup_or(const char *s, const char *def) {
  return s ? xstrdup(s) : (def ? xstrdup(def) : NULL);
}

void kubelet_stop(Kubelet *k) {
  if (!k)
    return;
  pthread_mutex_lock(&k->stop_lock);
  k->stopping = true;
  pthread_cond_broadcast(&k->stop_cond);
  pthread_mutex_unlock(&k->stop_lock);
  if (k->node_started)
    pthread_join(k->node_thread, NULL);
  kubelet_stats_server_stop(k);
  kubelet_dns_stop(k); /* dnsconfig.c */
  /* The prober's threads queue pod keys: they end before the queue does. */
  kubelet_prober_stop(k->prober);
  /* Workers read the informer's cache: stop its thread first, free it only once they are joined. */
  if (k->pods)
    informer_stop(k->pods);
  if (k->queue) {
    workqueue_shutdown(k->queue);
    for (size_t i = 0; i < k->n_workers; i++)
      pthread_join(k->workers[i], NULL);
    workqueue_free(k->queue);
  }
  informer_free(k->pods);
  kubelet_storage_free(k->storage); /* storage.c: after the workers, which read its caches */
  kubelet_prober_free(k->prober);
  kubelet_events_free(k->events);
  for (size_t i = 0; i < k->n_table; i++)
    kubelet_pod_free(k->table[i]);
  free(k->table);
  image_service_free(k->images);
  runtime_config_done(&k->rt);
  podnet_free(k->net);
  json_decref(k->image_gc_seen);
  free(k->runc_version);
  free(k->node_ip);
  free_opts(&k->opts);
  pthread_mutex_destroy(&k->lock);
  pthread_mutex_destroy(&k->stop_lock);
  pthread_cond_destroy(&k->stop_cond);
  free(k);
}

int kubelet_start(Client *c, const KubeletOptions *opts, Kubelet **ret, Error *err) {
  Kubelet *k = xzalloc(sizeof *k);
  k->client = c;
  pthread_mutex_init(&k->lock, NULL);
  pthread_mutex_init(&k->stop_lock, NULL);
  cond_init_monotonic(&k->stop_cond);
  k->opts = (KubeletOptions){
      .node_name = xstrdup(opts->node_name),
      .node_ip = dup_or(opts->node_ip, NULL),
      .data_dir = xstrdup(opts->data_dir),
      .pod_log_dir = dup_or(opts->pod_log_dir, "/var/log/pods"),
      .runc = dup_or(opts->runc, "runc"),
      .registries_path = dup_or(opts->registries_path, "/etc/coracle/registries.yaml"),
      .cluster_dns = dup_or(opts->cluster_dns, "10.43.0.10"),
      .cluster_domain = dup_or(opts->cluster_domain, "cluster.local"),
      .cluster_cidr = dup_or(opts->cluster_cidr, "10.42.0.0/16"),
      .storage_path = dup_or(opts->storage_path, NULL),
      .dns_bind_address = dup_or(opts->dns_bind_address, NULL),
      .dns_port = opts->dns_port,
      .pod_max_pids = opts->pod_max_pids,
      .container_log_max_size = opts->container_log_max_size,
      .container_log_max_files = opts->container_log_max_files,
      .image_gc_high_percent = opts->image_gc_high_percent,
      .image_gc_low_percent = opts->image_gc_low_percent,
      .image_minimum_gc_age_sec = opts->image_minimum_gc_age_sec,
      .image_gc_period_sec = opts->image_gc_period_sec,
  };
  k->node_ip = k->opts.node_ip ? xstrdup(k->opts.node_ip) : kubelet_detect_node_ip();
  /* Declared before the first goto: the cleanup at `fail` must never see an uninitialised pointer. */
  _cleanup_free_ char *selector = NULL;
  int rc = runtime_config_init(&k->rt, k->opts.data_dir, k->opts.runc, NULL, err);
  if (rc < 0)
    goto fail;
  k->runc_version = runtime_runc_version(&k->rt);
  if (!k->runc_version)
    log_warn("kubelet", "runc=%s msg=\"runc not found or not working: containers will fail to start\"",
             k->opts.runc);
  ImageServiceOptions io = {.data_dir = k->opts.data_dir,
                            .registries_path = k->opts.registries_path,
                            .user_agent = "coracle/" CORACLE_VERSION};
  rc = image_service_open(&io, &k->images, err);
  if (rc < 0)
    goto fail;
  {
    /* Air-gapped nodes: archives dropped into DATA_DIR/agent/images are imported at start, as k3s does. */
    _cleanup_error_ Error ie = ERROR_INIT;
    if (image_import_dir(k->images, &ie) < 0)
      log_warn("kubelet", "msg=\"importing image archives failed\" err=\"%s\"", ie.message ? ie.message : "");
  }
  rc = kubelet_net_start(k, err);
  if (rc < 0)
    goto fail;
  rc = kubelet_node_register(k, err);
  if (rc < 0)
    goto fail;
  kubelet_dns_start(k); /* dnsconfig.c: the node's cluster DNS server; a failure is logged, not fatal */
  selector = xasprintf("spec.nodeName=%s", k->opts.node_name);
  InformerOptions iopts = {.field_selector = selector};
  rc = informer_new(c, api_resource_find("", "v1", "pods"), &iopts, &k->pods, err);
  if (rc < 0)
    goto fail;
  k->queue = workqueue_new("kubelet-pods");
  k->events = kubelet_events_new();
  k->prober = kubelet_prober_new(k);
  {
    _cleanup_error_ Error ste = ERROR_INIT;
    if (kubelet_storage_start(k, &ste) < 0) /* storage.c: the local-path provisioner */
      log_warn("kubelet", "msg=\"local-path provisioner not started\" err=\"%s\"",
               ste.message ? ste.message : "");
  }
  InformerHandlers h = {.on_add = enqueue, .on_update = on_update, .on_delete = enqueue, .userdata = k};
  informer_add_handlers(k->pods, &h);
  for (size_t i = 0; i < KUBELET_WORKERS; i++) {
    if (pthread_create(&k->workers[i], NULL, worker, k) != 0)
      break;
    k->n_workers++;
  }
  rc = informer_start(k->pods, err);
  if (rc < 0)
    goto fail;
  if (informer_wait_for_sync(k->pods, 30 * 1000000ull) == 0)
    enqueue_pods_on_disk(k);
  if (pthread_create(&k->node_thread, NULL, kubelet_node_thread, k) == 0)
    k->node_started = true;
  {
    _cleanup_error_ Error se = ERROR_INIT;
    if (kubelet_stats_server_start(k, KUBELET_STATS_PORT, &se) < 0)
      log_warn("kubelet", "msg=\"stats endpoint not started\" port=%d err=\"%s\"", KUBELET_STATS_PORT,
               se.message ? se.message : "");
  }
  log_info("kubelet", "node=%s runc=%s logs=%s msg=\"agent started\"", k->opts.node_name,
           k->runc_version ? k->runc_version : "-", k->opts.pod_log_dir);
  *ret = k;
  return 0;
fail:
  kubelet_stop(k);
  return rc;
}
