/* Init containers' rules: which one runs next, the phase and the Initialized condition (see initctr.h). */
#include "agent/kubelet/initctr.h"

#include "agent/kubelet/kubelet-internal.h"

const char *kubelet_init_restart_policy(const char *pod_policy) {
  return streq_ptr(pod_policy, "Never") ? "Never" : "OnFailure";
}

bool kubelet_init_done(const KubeletCtr *c) {
  return c->state == KUBELET_CTR_TERMINATED && c->term.exit_code == 0;
}

size_t kubelet_init_next(const KubeletCtr *inits, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!kubelet_init_done(&inits[i]))
      return i;
  return n;
}

const char *kubelet_pod_phase_init(const char *restart_policy, const KubeletPod *kp) {
  size_t pending = 0, failed = 0;
  for (size_t i = 0; i < kp->n_inits; i++) {
    const KubeletCtr *c = &kp->inits[i];
    switch (c->state) {
    case KUBELET_CTR_TERMINATED:
      if (c->term.exit_code != 0)
        failed++;
      break;
    case KUBELET_CTR_WAITING:
      if (c->has_last) {
        if (c->last.exit_code != 0)
          failed++;
      } else {
        pending++;
      }
      break;
    default:
      pending++;
      break;
    }
  }
  if (failed > 0 && streq_ptr(restart_policy, "Never"))
    return "Failed";
  if (pending > 0 || failed > 0)
    return "Pending";
  return kubelet_pod_phase(restart_policy, kp->ctrs, kp->n_ctrs);
}

bool kubelet_pod_initialized(const KubeletPod *kp, Buf *msg) {
  bool all = true;
  for (size_t i = 0; i < kp->n_inits; i++) {
    if (kubelet_init_done(&kp->inits[i]))
      continue;
    buf_puts(msg, all ? "containers with incomplete status: [" : " ");
    buf_puts(msg, kp->inits[i].name);
    all = false;
  }
  if (!all)
    buf_putc(msg, ']');
  return all;
}
