/* Lifecycle hooks: postStart runs in the pod worker right after the container started (the container is
 * reported running only once it returned; a failure records FailedPostStartHook and kills the container,
 * which then restarts per restartPolicy), preStop runs from kubelet_ctr_kill's thread (prober.c). */
#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"

/* kubelet runs postStart without a deadline; a hook that never returns would hold a pod worker forever,
 * so coracle gives it this long. */
#define POST_START_TIMEOUT_SEC 120

json_t *kubelet_pre_stop_handler(json_t *spec_ctr) {
  json_t *h = jpath(spec_ctr, "lifecycle.preStop");
  return json_is_object(h) ? h : NULL;
}

bool kubelet_post_start(Kubelet *k, KubeletPod *kp, json_t *pod, json_t *spec_ctr, KubeletCtr *c) {
  json_t *h = jpath(spec_ctr, "lifecycle.postStart");
  if (!json_is_object(h) || c->state != KUBELET_CTR_RUNNING || !c->id)
    return true;
  _cleanup_free_ char *netns = kubelet_pod_host_network(pod) ? NULL : runtime_netns_name(kp->uid);
  KubeletHandlerTarget t = {.runc = k->rt.runc,
                            .runc_root = k->rt.runc_root,
                            .ctr_id = c->id,
                            .netns = netns,
                            .pod_ip = jstr(pod, "status.podIP"),
                            .spec_ctr = spec_ctr,
                            .cancel_fd = -1};
  _cleanup_buf_ Buf msg = BUF_INIT;
  if (kubelet_handler_run(&t, h, POST_START_TIMEOUT_SEC, &msg) == KUBELET_PROBE_SUCCESS)
    return true;
  log_info("kubelet", "pod=%s/%s container=%s msg=\"postStart hook failed\" err=\"%s\"", kp->ns, kp->name,
           c->name, msg.data ? msg.data : "");
  kubelet_ctr_event(k, kp, c->name, "Warning", "FailedPostStartHook", "PostStartHook failed: %s",
                    msg.data ? msg.data : "");
  kubelet_ctr_kill(k, kp, pod, c, "FailedPostStartHook", jint(pod, "spec.terminationGracePeriodSeconds", 30));
  return false;
}
