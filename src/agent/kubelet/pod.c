/* One pod's sync (kubelet's syncPod): the sandbox (network namespace, hosts, resolv.conf, hostname), each
 * container's lifecycle (image pull with back-off, bundle, start through the monitor, exit, restart with
 * CrashLoopBackOff), graceful termination on deletion, and the status written through pods/status.
 * A pod is synced by one worker at a time (the work queue guarantees it), so its KubeletPod needs no lock;
 * the table of pods is guarded by Kubelet.lock. */
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>

#include "agent/kubelet/dnsconfig.h"
#include "agent/kubelet/env.h"
#include "agent/kubelet/initctr.h"
#include "agent/kubelet/kubelet-internal.h"
#include "agent/kubelet/pullsecrets.h"
#include "agent/kubelet/volumes.h"
#include "agent/runtime/cgroup.h"
#include "agent/runtime/security.h"
#include "agent/runtime/shim.h"
#include "agent/runtime/spec.h"
#include "api/jsonutil.h"
#include "base/base64.h"
#include "base/log.h"
#include "base/strv.h"

static int64_t now_sec(void) {
  return (int64_t)(now_realtime_usec() / 1000000u);
}

/* ---- the table of pods ---- */

static KubeletPod *table_get(Kubelet *k, const char *key) {
  KubeletPod *kp = NULL;
  pthread_mutex_lock(&k->lock);
  for (size_t i = 0; i < k->n_table; i++)
    if (streq(k->table[i]->key, key))
      kp = k->table[i];
  pthread_mutex_unlock(&k->lock);
  return kp;
}

static void table_put(Kubelet *k, KubeletPod *kp) {
  pthread_mutex_lock(&k->lock);
  k->table = xrealloc(k->table, (k->n_table + 1) * sizeof *k->table);
  k->table[k->n_table++] = kp;
  pthread_mutex_unlock(&k->lock);
}

static void table_drop(Kubelet *k, KubeletPod *kp) {
  pthread_mutex_lock(&k->lock);
  for (size_t i = 0; i < k->n_table; i++)
    if (k->table[i] == kp) {
      k->table[i] = k->table[--k->n_table];
      break;
    }
  pthread_mutex_unlock(&k->lock);
  kubelet_prober_forget_pod(k->prober, kp->uid); /* probe.h */
  kubelet_pod_free(kp);
}

static void ctrs_new(json_t *containers, const char *reason, KubeletCtr **ret, size_t *ret_n) {
  size_t n = json_array_size(containers);
  KubeletCtr *list = xcalloc(n ? n : 1, sizeof *list);
  for (size_t i = 0; i < n; i++) {
    list[i].name = xstrdup(jstr(json_array_get(containers, i), "name") ?: "");
    list[i].state = KUBELET_CTR_WAITING;
    list[i].reason = xstrdup(reason);
    list[i].instance = -1;
  }
  *ret = list;
  *ret_n = n;
}

static KubeletPod *pod_new(Kubelet *k, const char *key, const char *uid, const char *ns, const char *name,
                           json_t *containers, json_t *inits) {
  KubeletPod *kp = xzalloc(sizeof *kp);
  kp->key = xstrdup(key);
  kp->uid = xstrdup(uid);
  kp->ns = xstrdup(ns);
  kp->name = xstrdup(name);
  /* kubelet shows every container of a pod with init containers as PodInitializing until it is created. */
  const char *waiting = json_array_size(inits) ? "PodInitializing" : "ContainerCreating";
  ctrs_new(containers, waiting, &kp->ctrs, &kp->n_ctrs);
  ctrs_new(inits, waiting, &kp->inits, &kp->n_inits);
  if (kubelet_state_load(k, kp) == 0)
    log_info("kubelet", "pod=%s/%s uid=%s msg=\"re-adopted from disk\"", ns, name, uid);
  if (!kp->start_time)
    kp->start_time = now_sec();
  return kp;
}

/* ---- the sandbox ---- */

static int ensure_sandbox(Kubelet *k, KubeletPod *kp, json_t *pod, Error *err) {
  _cleanup_free_ char *dir = runtime_pod_dir(&k->rt, kp->uid), *netns = runtime_netns_name(kp->uid);
  if (mkdir_p(dir, 0700) < 0)
    return error_set(err, -errno, NULL, "creating %s: %s", dir, strerror(errno));
  bool host_net = kubelet_pod_host_network(pod);
  uint64_t t0 = now_monotonic_usec();
  int rc = host_net ? 0 : runtime_netns_create(netns, err);
  uint64_t t_netns = now_monotonic_usec();
  _cleanup_free_ char *netns_path = xasprintf("/run/netns/%s", netns);
  if (rc >= 0) /* the pod network (network.c): kp->pod_ip */
    rc = kubelet_net_setup_pod(k, kp, pod, netns_path, err);
  uint64_t t_net = now_monotonic_usec();
  if (rc >= 0) /* the pod cgroup under its QoS class (runtime/cgroup.h) */
    rc = runtime_pod_cgroup_ensure(kp->uid, kubelet_qos_class(pod), pod, k->opts.pod_max_pids, err);
  if (rc < 0)
    return rc;
  uint64_t t_cgroup = now_monotonic_usec();
  const char *domain = k->opts.cluster_domain;
  _cleanup_free_ char *hosts = xasprintf("# Kubernetes-managed hosts file.\n"
                                         "127.0.0.1\tlocalhost\n"
                                         "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                         "fe00::0\tip6-localnet\n"
                                         "fe00::0\tip6-mcastprefix\n"
                                         "fe00::1\tip6-allnodes\n"
                                         "fe00::2\tip6-allrouters\n"
                                         "%s\t%s\n",
                                         host_net || !kp->pod_ip ? "127.0.1.1" : kp->pod_ip, kp->name);
  _cleanup_free_ char *host_resolv = NULL, *dns_warning = NULL;
  read_file(kubelet_host_resolv_conf_path(), &host_resolv, NULL);
  _cleanup_free_ char *resolv =
      kubelet_dns_resolv_conf(pod, k->opts.cluster_dns, domain, host_resolv, &dns_warning); /* dnsconfig.c */
  if (dns_warning)
    kubelet_event(k, kp->ns, kp->name, kp->uid, NULL, "Warning", "DNSConfigForming", "%s", dns_warning);
  _cleanup_free_ char *hostname = xasprintf("%s\n", kp->name);
  const char *files[][2] = {{"hosts", hosts}, {"resolv.conf", resolv}, {"hostname", hostname}};
  for (size_t i = 0; i < ELEMENTSOF(files); i++) {
    _cleanup_free_ char *p = xasprintf("%s/%s", dir, files[i][0]);
    if (write_file_replace(p, files[i][1], strlen(files[i][1]), 0644) < 0) /* re-written at every start */
      return error_set(err, -EIO, NULL, "writing %s", p);
  }
  kp->sandbox_ready = true;
  log_debug("kubelet",
            "pod=%s/%s usec_netns=%llu usec_net=%llu usec_cgroup=%llu usec_files=%llu msg=\"sandbox timing\"",
            kp->ns, kp->name, (unsigned long long)(t_netns - t0), (unsigned long long)(t_net - t_netns),
            (unsigned long long)(t_cgroup - t_net), (unsigned long long)(now_monotonic_usec() - t_cgroup));
  return 0;
}

/* ---- images ---- */

static const char *pull_policy(json_t *spec_ctr) {
  const char *p = jstr(spec_ctr, "imagePullPolicy");
  if (!isempty(p))
    return p;
  const char *image = jstr(spec_ctr, "image") ?: "";
  const char *slash = strrchr(image, '/'), *colon = strrchr(image, ':');
  bool tagged = colon && (!slash || colon > slash);
  return !tagged || endswith(image, ":latest") ? "Always" : "IfNotPresent";
}

static int ensure_image(Kubelet *k, json_t *pod, json_t *spec_ctr, ImageInfo **ret, Error *err) {
  const char *image = jstr(spec_ctr, "image");
  if (isempty(image))
    return error_set(err, -EINVAL, NULL, "InvalidImageName");
  const char *policy = pull_policy(spec_ctr);
  if (!streq(policy, "Always")) {
    if (image_lookup(k->images, image, ret, NULL) == 0)
      return 0;
    if (streq(policy, "Never"))
      return error_set(err, -ENOENT, NULL, "Container image \"%s\" is not present with pull policy of Never",
                       image);
  }
  RegistryAuth auth = {0};
  bool have_auth = kubelet_pull_auth(k, pod, image, &auth) > 0; /* pullsecrets.c */
  int rc = image_pull(k->images, image, have_auth ? &auth : NULL, ret, err);
  registry_auth_done(&auth);
  return rc;
}

/* ---- containers ---- */

static char *log_path(Kubelet *k, KubeletPod *kp, const char *ctr, int instance) {
  return xasprintf("%s/%s_%s_%s/%s/%d.log", k->opts.pod_log_dir, kp->ns, kp->name, kp->uid, ctr, instance);
}

/* Points DIR/NAME at target (atomically: a new link renamed over the old). */
static void set_link(const char *dir, const char *name, const char *target) {
  _cleanup_free_ char *path = xasprintf("%s/%s", dir, name), *tmp = xasprintf("%s/.%s.tmp", dir, name);
  unlink(tmp);
  if (symlink(target, tmp) == 0 && rename(tmp, path) < 0)
    unlink(tmp);
}

static void random_id(char out[static 65]) {
  uint8_t b[32];
  random_bytes(b, sizeof b);
  for (size_t i = 0; i < sizeof b; i++)
    snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* Creates and starts a new instance of c. On failure c is WAITING (image, config) or TERMINATED
 * (StartError); the caller reports it. */
static void start_container(Kubelet *k, KubeletPod *kp, json_t *pod, json_t *spec_ctr, KubeletCtr *c) {
  _cleanup_error_ Error err = ERROR_INIT;
  _cleanup_image_info_ ImageInfo *img = NULL;
  const char *image = jstr(spec_ctr, "image") ?: "";
  uint64_t pull_start = now_monotonic_usec(), t_config = 0, t_bundle = 0;
  bool present = kubelet_event_image_pulling(k, kp, c->name, image, pull_policy(spec_ctr)); /* events.h */
  if (ensure_image(k, pod, spec_ctr, &img, &err) < 0) {
    c->pull_failures++;
    c->pull_retry_usec = now_realtime_usec() + kubelet_backoff_usec(c->pull_failures);
    const char *reason = streq(pull_policy(spec_ctr), "Never") ? "ErrImageNeverPull"
                         : err.code == -EINVAL                 ? "InvalidImageName"
                                                               : "ErrImagePull";
    log_info("kubelet", "pod=%s/%s container=%s msg=\"image pull failed\" err=\"%s\"", kp->ns, kp->name,
             c->name, err.message ? err.message : "");
    kubelet_ctr_transition(c, KUBELET_CTR_WAITING, reason,
                           err.message ? err.message : "failed to pull image");
    kubelet_event_image_ready(k, kp, c->name, image, present, pull_start, NULL, reason, err.message);
    return;
  }
  kubelet_event_image_ready(k, kp, c->name, image, present, pull_start, img, NULL, NULL);
  c->pull_failures = 0;
  c->pull_retry_usec = 0;
  _cleanup_json_ json_t *img_config = NULL, *resolved = NULL, *config = NULL;
  if (image_config(k->images, img, &img_config, &err) < 0 ||
      kubelet_env_build(k, pod, spec_ctr, &resolved, &err) < 0 ||    /* env.c */
      runtime_security_check(pod, spec_ctr, img_config, &err) < 0) { /* runAsNonRoot, sysctls */
    kubelet_ctr_transition(c, KUBELET_CTR_WAITING, "CreateContainerConfigError",
                           err.message ? err.message : "configuration error");
    return;
  }
  t_config = now_monotonic_usec();
  int n = c->instance < 0 ? 0 : c->restart_count + 1;
  _cleanup_free_ char *dir = runtime_instance_dir(&k->rt, kp->uid, c->name, n);
  _cleanup_free_ char *pod_dir = runtime_pod_dir(&k->rt, kp->uid);
  _cleanup_free_ char *ctr_dir = xasprintf("%s/%s", pod_dir, c->name);
  runtime_instance_remove(&k->rt, dir); /* a leftover of an attempt that did not finish */
  mkdir_p(dir, 0700);
  char id[65];
  random_id(id);
  _cleanup_free_ char *id_path = xasprintf("%s/id", dir);
  write_file_replace(id_path, id, strlen(id), 0600); /* the bundle is made anew on a retry: no fsync */
  _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir), *upper = xasprintf("%s/upper", dir),
                      *work = xasprintf("%s/work", dir);
  _cleanup_strv_free_ char **layers = image_layer_dirs(k->images, img);
  _cleanup_free_ char *netns = runtime_netns_name(kp->uid), *cgroup = runtime_cgroup_path(kp->uid, c->name);
  _cleanup_free_ char *netns_path = xasprintf("/run/netns/%s", netns);
  _cleanup_free_ char *hosts = xasprintf("%s/hosts", pod_dir), *resolv = xasprintf("%s/resolv.conf", pod_dir),
                      *hostname = xasprintf("%s/hostname", pod_dir);
  _cleanup_free_ char *passwd = xasprintf("%s/etc/passwd", rootfs),
                      *group = xasprintf("%s/etc/group", rootfs);
  RuntimeMount pod_mounts[] = {
      {"/etc/hosts", hosts, false}, {"/etc/resolv.conf", resolv, false}, {"/etc/hostname", hostname, false}};
  RuntimeMount *mounts = NULL; /* with the volumeMounts (volumes.c) */
  size_t n_mounts = 0;
  if (kubelet_volume_mounts(k, kp, pod, spec_ctr, resolved, pod_mounts, ELEMENTSOF(pod_mounts), &mounts,
                            &n_mounts, &err) < 0) {
    runtime_instance_remove(&k->rt, dir);
    kubelet_ctr_transition(c, KUBELET_CTR_WAITING, "CreateContainerConfigError", err.message);
    return;
  }
  RuntimeSpecInput in = {.container = spec_ctr,
                         .image_config = img_config,
                         .final_env = resolved,
                         .rootfs = rootfs,
                         .hostname = kp->name,
                         .netns_path = netns_path,
                         .host_network = kubelet_pod_host_network(pod),
                         .cgroups_path = cgroup,
                         .passwd_path = passwd,
                         .group_path = group,
                         .mounts = mounts,
                         .n_mounts = n_mounts,
                         .pod_security_context = jpath(pod, "spec.securityContext")};
  int rc = runtime_overlay_mount(layers, upper, work, rootfs, &err);
  if (rc >= 0)
    rc = runtime_spec_build(&in, &config, &err);
  kubelet_volume_mounts_free(mounts, n_mounts);
  if (rc < 0) {
    runtime_instance_remove(&k->rt, dir);
    kubelet_ctr_transition(c, KUBELET_CTR_WAITING, "CreateContainerError", err.message);
    return;
  }
  _cleanup_free_ char *config_text = json_dumps(config, JSON_INDENT(2)),
                      *config_path = xasprintf("%s/config.json", dir);
  write_file_replace(config_path, config_text, strlen(config_text), 0600);

  _cleanup_free_ char *log = log_path(k, kp, c->name, n);
  _cleanup_free_ char *log_dir = xstrndup(log, (size_t)(strrchr(log, '/') - log));
  mkdir_p(log_dir, 0755);
  if (c->instance >= 0) {
    _cleanup_free_ char *prev = log_path(k, kp, c->name, c->instance);
    set_link(ctr_dir, "previous.log", prev);
  }
  set_link(ctr_dir, "current.log", log);
  char num[16];
  snprintf(num, sizeof num, "%d", n);
  set_link(ctr_dir, "current", num);

  t_bundle = now_monotonic_usec();
  RuntimeShimRequest req = {.id = id,
                            .bundle = dir,
                            .log_path = log,
                            .cgroups_path = cgroup,
                            .log_max_size = k->opts.container_log_max_size,
                            .log_max_files = k->opts.container_log_max_files};
  pid_t pid = 0, shim = 0;
  int old_instance = c->instance;
  c->instance = n;
  c->restart_count = n;
  free(c->id);
  c->id = xstrdup(id);
  free(c->image);
  c->image = xstrdup(img->name ? img->name : image);
  free(c->image_id);
  c->image_id = xasprintf("%s@%s", img->repository ? img->repository : image, img->digest ? img->digest : "");
  if (old_instance >= 0 && old_instance != n) {
    _cleanup_free_ char *old = runtime_instance_dir(&k->rt, kp->uid, c->name, old_instance);
    runtime_instance_remove(&k->rt, old);
  }
  if (runtime_shim_start(&k->rt, &req, &pid, &shim, &err) < 0) {
    log_info("kubelet", "pod=%s/%s container=%s msg=\"start failed\" err=\"%s\"", kp->ns, kp->name, c->name,
             err.message ? err.message : "");
    runtime_unmount(rootfs);
    kubelet_term_done(&c->term);
    c->term = (KubeletTerm){.exit_code = 128,
                            .reason = xstrdup("StartError"),
                            .message = xstrdup(err.message ? err.message : "start failed"),
                            .started_at = 0,
                            .finished_at = now_sec(),
                            .container_id = xstrdup(id)};
    c->backoff_until_usec = now_realtime_usec() + kubelet_backoff_usec(++c->backoff_n);
    kubelet_ctr_transition(c, KUBELET_CTR_TERMINATED, NULL, NULL);
    kubelet_ctr_event(k, kp, c->name, "Warning", "Failed", "Error: %s",
                      err.message ? err.message : "start failed");
    return;
  }
  kubelet_ctr_event(k, kp, c->name, "Normal", "Created", "Created container %s", c->name);
  c->pid = pid;
  c->shim_pid = shim;
  c->started_at = now_sec();
  log_info("kubelet", "pod=%s/%s container=%s id=%.12s pid=%d restartCount=%d msg=\"started\"", kp->ns,
           kp->name, c->name, id, pid, c->restart_count);
  uint64_t t_started = now_monotonic_usec();
  log_debug(
      "kubelet",
      "pod=%s/%s container=%s usec_image_config=%llu usec_bundle=%llu usec_monitor=%llu msg=\"start timing\"",
      kp->ns, kp->name, c->name, (unsigned long long)(t_config - pull_start),
      (unsigned long long)(t_bundle - t_config), (unsigned long long)(t_started - t_bundle));
  kubelet_ctr_transition(c, KUBELET_CTR_RUNNING, NULL, NULL);
  kubelet_ctr_event(k, kp, c->name, "Normal", "Started", "Started container %s", c->name);
  kubelet_post_start(k, kp, pod, spec_ctr, c); /* lifecycle.c */
}

/* RUNNING → TERMINATED when the monitor recorded the exit (or vanished without recording it). */
static void refresh_container(Kubelet *k, KubeletPod *kp, const char *policy, KubeletCtr *c) {
  if (c->state != KUBELET_CTR_RUNNING || c->instance < 0)
    return;
  _cleanup_free_ char *dir = runtime_instance_dir(&k->rt, kp->uid, c->name, c->instance);
  RuntimeExit ex = {0};
  int rc = runtime_shim_read_exit(dir, &ex);
  if (rc == -ENOENT && runtime_shim_alive(dir))
    return;
  if (rc == -ENOENT) /* the monitor may have written it just before it went */
    rc = runtime_shim_read_exit(dir, &ex);
  KubeletTerm t = {.started_at = c->started_at, .container_id = xstrdup(c->id ? c->id : "")};
  if (rc < 0) {
    t.exit_code = 137;
    t.reason = xstrdup("ContainerStatusUnknown");
    t.message = xstrdup("The container could not be located when the pod was terminated");
    t.finished_at = now_sec();
  } else {
    t.exit_code = ex.exit_code;
    t.signal = ex.signal;
    t.finished_at = ex.finished_at;
    t.reason = xstrdup(ex.oom_killed       ? "OOMKilled"
                       : ex.start_error    ? "StartError"
                       : ex.exit_code == 0 ? "Completed"
                                           : "Error");
    t.message = ex.message ? xstrdup(ex.message) : NULL;
    runtime_exit_done(&ex);
  }
  log_info("kubelet", "pod=%s/%s container=%s exitCode=%d reason=%s msg=\"container ended\"", kp->ns,
           kp->name, c->name, t.exit_code, t.reason);
  /* A container that ran long enough starts its back-off afresh (kubelet resets it after 10 minutes). */
  if (t.finished_at - c->started_at >= KUBELET_BACKOFF_RESET_SEC)
    c->backoff_n = 0;
  if (kubelet_should_restart(policy, t.exit_code))
    c->backoff_until_usec = (uint64_t)t.finished_at * 1000000u + kubelet_backoff_usec(c->backoff_n++);
  kubelet_term_done(&c->term);
  c->term = t;
  _cleanup_free_ char *rootfs = xasprintf("%s/rootfs", dir);
  runtime_unmount(rootfs);
  kubelet_ctr_transition(c, KUBELET_CTR_TERMINATED, NULL, NULL);
}

/* Moves a container that is not running towards running; returns when to look again (0 = on change only). */
static uint64_t advance_container(Kubelet *k, KubeletPod *kp, json_t *pod, const char *policy,
                                  json_t *spec_ctr, KubeletCtr *c) {
  uint64_t now = now_realtime_usec();
  if (c->state == KUBELET_CTR_RUNNING)
    return KUBELET_RELIST_USEC;
  if (c->state == KUBELET_CTR_TERMINATED) {
    if (!kubelet_should_restart(policy, c->term.exit_code))
      return 0;
    kubelet_term_copy(&c->last, &c->term);
    c->has_last = true;
    if (now < c->backoff_until_usec) {
      char msg[512];
      snprintf(msg, sizeof msg, "back-off %llus restarting failed container=%s pod=%s_%s(%s)",
               (unsigned long long)(kubelet_backoff_usec(c->backoff_n - 1) / 1000000u), c->name, kp->name,
               kp->ns, kp->uid);
      kubelet_ctr_transition(c, KUBELET_CTR_WAITING, "CrashLoopBackOff", msg);
      kubelet_ctr_event(k, kp, c->name, "Warning", "BackOff",
                        "Back-off restarting failed container %s in pod %s_%s(%s)", c->name, kp->name, kp->ns,
                        kp->uid);
      return c->backoff_until_usec - now;
    }
  } else if (c->has_last && streq_ptr(c->reason, "CrashLoopBackOff") && now < c->backoff_until_usec) {
    return c->backoff_until_usec - now;
  } else if ((streq_ptr(c->reason, "ErrImagePull") || streq_ptr(c->reason, "ImagePullBackOff")) &&
             now < c->pull_retry_usec) {
    if (streq_ptr(c->reason, "ErrImagePull")) { /* shown for one sync, then the back-off */
      _cleanup_free_ char *msg = xasprintf("Back-off pulling image \"%s\"", jstr(spec_ctr, "image") ?: "");
      kubelet_ctr_transition(c, KUBELET_CTR_WAITING, "ImagePullBackOff", msg);
      kubelet_ctr_event(k, kp, c->name, "Normal", "BackOff", "%s", msg);
    }
    return c->pull_retry_usec - now;
  }
  start_container(k, kp, pod, spec_ctr, c);
  if (c->state == KUBELET_CTR_RUNNING)
    return KUBELET_RELIST_USEC;
  if (c->state == KUBELET_CTR_TERMINATED)
    return 100000; /* decide about the restart right away */
  if (c->pull_retry_usec > now)
    return MIN(c->pull_retry_usec - now, 2000000u);
  return 10000000u; /* a config error: try again in a while (the object may appear) */
}

/* ---- status ---- */

static void report_status(Kubelet *k, KubeletPod *kp, json_t *pod) {
  _cleanup_json_ json_t *prev = kp->last_status ? json_loads(kp->last_status, 0, NULL) : NULL;
  _cleanup_json_ json_t *st =
      kubelet_pod_status(pod, kp, k->node_ip, prev ? prev : json_object_get(pod, "status"), now_sec());
  _cleanup_free_ char *text = json_compact(st);
  if (kp->last_status && streq(kp->last_status, text))
    return;
  _cleanup_json_ json_t *patch = json_pack("{s:O}", "status", st);
  _cleanup_error_ Error err = ERROR_INIT;
  const ApiResource *r = api_resource_find("", "v1", "pods");
  int rc = client_patch(k->client, r, kp->ns, kp->name, "status", CLIENT_PATCH_MERGE, patch, NULL, &err);
  if (rc < 0) {
    log_warn("kubelet", "pod=%s/%s msg=\"status update failed\" err=\"%s\"", kp->ns, kp->name,
             err.message ? err.message : strerror(-rc));
    return;
  }
  free(kp->last_status);
  kp->last_status = TAKE_PTR(text);
}

/* ---- termination ---- */

/* Deletion: SIGTERM, the grace period, SIGKILL; once every container ended the pod's resources go and the
 * object is deleted for good. Returns the delay before looking again, 0 when done. */
static uint64_t terminate_pod(Kubelet *k, KubeletPod *kp, json_t *pod) {
  const char *policy = jstr(pod, "spec.restartPolicy");
  uint64_t mono = now_monotonic_usec();
  if (!kp->killing) {
    int64_t grace =
        jint(pod, "metadata.deletionGracePeriodSeconds", jint(pod, "spec.terminationGracePeriodSeconds", 30));
    kp->killing = true;
    kp->kill_deadline_usec = mono + (uint64_t)(grace > 0 ? grace : 0) * 1000000u;
    log_info("kubelet", "pod=%s/%s grace=%llds msg=\"killing\"", kp->ns, kp->name, (long long)grace);
    /* preStop, SIGTERM, SIGKILL once the grace period is over (prober.c) */
    for (size_t i = 0; i < kp->n_inits + kp->n_ctrs; i++) {
      KubeletCtr *c = i < kp->n_inits ? &kp->inits[i] : &kp->ctrs[i - kp->n_inits];
      _cleanup_free_ char *msg = xasprintf("Stopping container %s", c->name);
      kubelet_ctr_kill(k, kp, pod, c, msg, grace);
    }
  }
  bool running = false;
  for (size_t i = 0; i < kp->n_inits + kp->n_ctrs; i++) {
    KubeletCtr *c = i < kp->n_inits ? &kp->inits[i] : &kp->ctrs[i - kp->n_inits];
    refresh_container(k, kp, "Never", c);
    running = running || c->state == KUBELET_CTR_RUNNING;
    if (c->state == KUBELET_CTR_RUNNING)
      kubelet_ctr_kill_check(k, kp, c);
  }
  (void)policy;
  if (running)
    return 200000;
  kubelet_pod_remove(k, kp->uid);
  _cleanup_error_ Error err = ERROR_INIT;
  ClientDeleteOptions del = {
      .has_grace_period = true, .grace_period_seconds = 0, .precondition_uid = kp->uid};
  int rc = client_delete(k->client, api_resource_find("", "v1", "pods"), kp->ns, kp->name, &del, NULL, &err);
  if (rc < 0 && rc != -ENOENT && rc != -ECANCELED) {
    log_warn("kubelet", "pod=%s/%s msg=\"delete failed\" err=\"%s\"", kp->ns, kp->name, err.message ?: "");
    return 1000000;
  }
  log_info("kubelet", "pod=%s/%s msg=\"terminated and deleted\"", kp->ns, kp->name);
  table_drop(k, kp);
  return 0;
}

/* ---- the sync ---- */

/* Init containers one at a time, in order (initctr.h); true once all of them ended well. */
static bool run_init_containers(Kubelet *k, KubeletPod *kp, json_t *pod, uint64_t *next) {
  json_t *inits = jpath(pod, "spec.initContainers");
  const char *policy = kubelet_init_restart_policy(jstr(pod, "spec.restartPolicy"));
  for (size_t i = 0; i < kp->n_inits && i < json_array_size(inits); i++) {
    KubeletCtr *c = &kp->inits[i];
    refresh_container(k, kp, policy, c);
    if (kubelet_init_done(c))
      continue;
    uint64_t d = advance_container(k, kp, pod, policy, json_array_get(inits, i), c);
    if (d && (!*next || d < *next))
      *next = d;
    return false;
  }
  return true;
}

uint64_t kubelet_sync_pod(Kubelet *k, const char *key) {
  _cleanup_json_ json_t *pod = informer_get(k->pods, key);
  KubeletPod *kp = table_get(k, key);
  const char *uid = jstr(pod, "metadata.uid");
  if (kp && (!pod || !streq_ptr(uid, kp->uid))) {
    /* Gone from the API (force-deleted, or deleted while we were away) or replaced by a new incarnation. */
    log_info("kubelet", "pod=%s uid=%s msg=\"removing pod no longer bound here\"", key, kp->uid);
    kubelet_pod_remove(k, kp->uid);
    table_drop(k, kp);
    kp = NULL;
  }
  if (!pod)
    return 0;
  if (!kp) {
    kp = pod_new(k, key, uid, jstr(pod, "metadata.namespace"), jstr(pod, "metadata.name"),
                 jpath(pod, "spec.containers"), jpath(pod, "spec.initContainers"));
    table_put(k, kp);
  }
  if (jpath(pod, "metadata.deletionTimestamp")) {
    uint64_t d = terminate_pod(k, kp, pod);
    if (d) {
      report_status(k, kp, pod);
      kubelet_state_save(k, kp);
    }
    return d;
  }
  const char *policy = jstr(pod, "spec.restartPolicy");
  uint64_t next = 0;
  _cleanup_error_ Error err = ERROR_INIT;
  if (!kp->sandbox_ready && ensure_sandbox(k, kp, pod, &err) < 0) {
    log_warn("kubelet", "pod=%s msg=\"sandbox failed\" err=\"%s\"", key, err.message ?: "");
    for (size_t i = 0; i < kp->n_ctrs; i++)
      if (kp->ctrs[i].state == KUBELET_CTR_WAITING)
        kubelet_ctr_transition(&kp->ctrs[i], KUBELET_CTR_WAITING, "ContainerCreating", err.message);
    next = 5000000;
  } else if (kubelet_volumes_sync(k, kp, pod, false, &err) < 0 && !kp->volumes_ready) { /* volumes.c */
    for (size_t i = 0; i < kp->n_ctrs; i++)
      if (kp->ctrs[i].state == KUBELET_CTR_WAITING)
        kubelet_ctr_transition(&kp->ctrs[i], KUBELET_CTR_WAITING, "ContainerCreating", err.message);
    next = 2000000;
  } else if (run_init_containers(k, kp, pod, &next)) {
    json_t *containers = jpath(pod, "spec.containers");
    for (size_t i = 0; i < kp->n_ctrs && i < json_array_size(containers); i++) {
      KubeletCtr *c = &kp->ctrs[i];
      refresh_container(k, kp, policy, c);
      uint64_t d = advance_container(k, kp, pod, policy, json_array_get(containers, i), c);
      if (d && (!next || d < next))
        next = d;
    }
    kubelet_probes_sync(k, kp, pod, &next); /* probe.h: readiness, liveness kills */
  }
  report_status(k, kp, pod);
  kubelet_state_save(k, kp);
  return next;
}
