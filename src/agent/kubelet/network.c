/* The kubelet's side of the pod network (src/agent/net): the node's bridge is configured once the Node has a
 * spec.podCIDR (until then non-hostNetwork pods stay ContainerCreating), each pod's namespace is connected
 * when its sandbox is made and its address becomes status.podIP, and a removed pod's veth and address go with
 * it. hostNetwork pods get no namespace of their own: they run in the node's, with the node's IP. */
#include <errno.h>

#include "agent/kubelet/kubelet-internal.h"
#include "api/jsonutil.h"
#include "base/log.h"

int kubelet_net_start(Kubelet *k, Error *err) {
  PodNetOptions o = {.data_dir = k->opts.data_dir, .cluster_cidr = k->opts.cluster_cidr};
  int rc = podnet_open(&o, &k->net, err);
  if (rc < 0)
    return rc;
  /* Pods removed while no agent was running to free their addresses (`coracle killall`, a crash). */
  int n = podnet_reconcile(k->net, k->rt.pods_dir);
  if (n > 0)
    log_info("kubelet", "released=%d msg=\"freed the addresses of pods that are gone\"", n);
  return 0;
}

bool kubelet_pod_host_network(json_t *pod) {
  return json_is_true(jpath(pod, "spec.hostNetwork"));
}

/* The bridge, once the Node has its podCIDR (asked of the API server until it has). */
static int ensure_node_network(Kubelet *k, Error *err) {
  if (podnet_ready(k->net))
    return 0;
  _cleanup_json_ json_t *node = NULL;
  int rc = client_get(k->client, api_resource_find("", "v1", "nodes"), NULL, k->opts.node_name, &node, err);
  if (rc < 0)
    return rc;
  const char *cidr = jstr(node, "spec.podCIDR");
  if (isempty(cidr))
    return error_set(err, -EAGAIN, "spec.podCIDR", "network is not ready: node %s has no podCIDR yet",
                     k->opts.node_name);
  return podnet_configure_node(k->net, cidr, err);
}

int kubelet_net_setup_pod(Kubelet *k, KubeletPod *kp, json_t *pod, const char *netns_path, Error *err) {
  char ip[IP4_STRLEN];
  if (kubelet_pod_host_network(pod)) {
    snprintf(ip, sizeof ip, "%.*s", (int)strcspn(k->node_ip, ","), k->node_ip);
  } else {
    int rc = ensure_node_network(k, err);
    if (rc < 0)
      return rc;
    uint64_t t0 = now_monotonic_usec();
    rc = podnet_setup_pod(k->net, kp->uid, netns_path, ip, err);
    if (rc < 0)
      return rc;
    log_debug("kubelet", "pod=%s/%s ip=%s usec=%llu msg=\"pod network set up\"", kp->ns, kp->name, ip,
              (unsigned long long)(now_monotonic_usec() - t0));
  }
  if (!streq_ptr(kp->pod_ip, ip)) {
    free(kp->pod_ip);
    kp->pod_ip = xstrdup(ip);
  }
  return 0;
}

void kubelet_pod_remove(Kubelet *k, const char *uid) {
  /* Containers and the namespace first: the address is free only once nothing can still use it. */
  runtime_pod_remove(&k->rt, uid);
  if (k->net)
    podnet_teardown_pod(k->net, uid);
}
