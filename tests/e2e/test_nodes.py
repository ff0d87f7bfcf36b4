"""Node lifecycle, evictions and drains against a real coracle server and the real kubectl (1.32, and 1.27 for one
drain), on simulated nodes (`coracle sim-nodes`) that renew their Leases every second.

The server runs with a short --node-monitor-grace-period and --event-ttl so that a killed node turns Unknown, its
pods are evicted and replaced, a deleted node's pods are collected and events expire within seconds.
"""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import CORACLE_BIN, _make_cluster, wait_for

GRACE = 6  # --node-monitor-grace-period, seconds
EVENT_TTL = 15
NODES = ["nl-0", "nl-1", "nl-2"]
IMAGE = "registry.k8s.io/pause:3.10"
KUBECTL_127 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"


@pytest.fixture(scope="module")
def cluster(netns, request):
    return _make_cluster(request, 6447, ["--node-monitor-grace-period", "%ds" % GRACE,
                                         "--event-ttl", "%ds" % EVENT_TTL])


class Sim:
    def __init__(self, cluster, prefix, count):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.log = open(os.path.join(cluster.workdir, "sim-%s%s.log" % (prefix, uuid.uuid4().hex[:4])), "w+")
        self.proc = subprocess.Popen(
            [CORACLE_BIN, "sim-nodes", "--kubeconfig", cluster.kubeconfig, "--count", str(count), "--prefix",
             prefix, "--lease-interval", "1"],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        line = self.proc.stdout.readline()
        if not line.startswith("ready"):
            self.log.seek(0)
            raise AssertionError("sim-nodes did not start: %r %s" % (line, self.log.read()[-3000:]))

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
        rc = self.proc.wait(30)
        self.log.seek(0)
        text = self.log.read()
        self.log.close()
        assert "ERROR: AddressSanitizer" not in text, text
        return rc, text


@pytest.fixture(scope="module")
def sim(cluster):
    s = Sim(cluster, "nl-", 3)
    yield s
    rc, text = s.stop()
    assert rc == 0, text


@pytest.fixture
def ns(cluster, sim):
    name = "nodes-" + uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)
    for n in NODES:
        cluster.kubectl("uncordon", n, check=False)


def apply(cluster, ns, obj):
    cluster.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(obj))


def deployment(name, replicas, tolerations=None, annotations=None):
    spec = {"containers": [{"name": "c", "image": IMAGE}]}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}, "annotations": annotations or {}},
                                  "spec": spec}}}


def pods(cluster, ns, selector=None):
    args = ["-n", ns, "get", "pods"] + (["-l", selector] if selector else [])
    return cluster.kubectl_json(*args)["items"]


def ready(p):
    return any(c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", []))


def live(ps):
    return [p for p in ps if not p["metadata"].get("deletionTimestamp")]


def node(cluster, name):
    return cluster.kubectl_json("get", "node", name)


def condition(obj, t):
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == t:
            return c
    return None


def taint_keys(n):
    return sorted("%s:%s" % (t["key"], t["effect"]) for t in n.get("spec", {}).get("taints") or [])


def wait_running(cluster, ns, selector, n, timeout=40):
    return wait_for(lambda: (lambda ps: len(ps) == n and all(ready(p) for p in ps) and ps)(
        live(pods(cluster, ns, selector))), timeout=timeout, what="%d ready pods %s" % (n, selector))


def test_cordon_uncordon(cluster, ns):
    out = cluster.kubectl("cordon", "nl-0").stdout
    assert "node/nl-0 cordoned" in out, out
    n = node(cluster, "nl-0")
    assert n["spec"]["unschedulable"] is True
    wait_for(lambda: "node.kubernetes.io/unschedulable:NoSchedule" in taint_keys(node(cluster, "nl-0")),
             timeout=15, what="unschedulable taint")
    table = cluster.kubectl("get", "node", "nl-0").stdout
    assert "Ready,SchedulingDisabled" in table, table
    apply(cluster, ns, deployment("spread", 4))
    ps = wait_running(cluster, ns, "app=spread", 4)
    assert not [p for p in ps if p["spec"]["nodeName"] == "nl-0"], [p["spec"]["nodeName"] for p in ps]
    out = cluster.kubectl("uncordon", "nl-0").stdout
    assert "node/nl-0 uncordoned" in out, out
    wait_for(lambda: not taint_keys(node(cluster, "nl-0")), timeout=15, what="taints removed")
    assert "SchedulingDisabled" not in cluster.kubectl("get", "node", "nl-0").stdout


def test_drain_waits_for_disruption_budget(cluster, ns):
    apply(cluster, ns, deployment("web", 2))
    ps = wait_running(cluster, ns, "app=web", 2)
    victim = ps[0]["spec"]["nodeName"]
    pdb = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
           "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}}}
    apply(cluster, ns, pdb)
    got = wait_for(lambda: (lambda p: p.get("status", {}).get("observedGeneration") == 1 and p)(
        cluster.kubectl_json("-n", ns, "get", "pdb", "web")), timeout=15, what="pdb status")
    st = got["status"]
    assert (st["currentHealthy"], st["desiredHealthy"], st["expectedPods"], st["disruptionsAllowed"]) == (2, 2, 2, 0), st
    c = condition(got, "DisruptionAllowed")
    assert c["status"] == "False" and c["reason"] == "InsufficientPods", c
    table = cluster.kubectl("-n", ns, "get", "pdb").stdout
    assert "MIN AVAILABLE" in table and "ALLOWED DISRUPTIONS" in table, table
    assert table.splitlines()[1].split()[:4] == ["web", "2", "N/A", "0"], table

    # A direct eviction (the older policy/v1beta1 form; kubectl sends v1) is refused with 429 in Kubernetes' words.
    name = [p["metadata"]["name"] for p in ps if p["spec"]["nodeName"] == victim][0]
    code, _, body = cluster.raw("POST", "/api/v1/namespaces/%s/pods/%s/eviction" % (ns, name),
                                {"apiVersion": "policy/v1beta1", "kind": "Eviction",
                                 "metadata": {"name": name, "namespace": ns}})
    status = json.loads(body)
    assert code == 429 and status["reason"] == "TooManyRequests", body
    assert status["message"] == "Cannot evict pod as it would violate the pod's disruption budget.", body
    assert "needs 2 healthy pods and has 2 currently" in status["details"]["causes"][0]["message"], body

    # drain blocks (retrying every 5 s) until a third replica is ready, then evicts; the ReplicaSet replaces
    # the evicted pod on another node.
    drain = cluster.popen_kubectl("drain", victim, "--ignore-daemonsets", "--timeout=90s")
    time.sleep(7)
    assert drain.poll() is None, drain.communicate()
    assert name in [p["metadata"]["name"] for p in live(pods(cluster, ns, "app=web"))]
    cluster.kubectl("-n", ns, "scale", "deployment", "web", "--replicas=3")
    out, err = drain.communicate(timeout=90)
    assert drain.returncode == 0, out + err
    assert "Cannot evict pod as it would violate the pod's disruption budget." in err, err
    assert "evicted" in out and "node/%s drained" % victim in out, out
    ps = wait_running(cluster, ns, "app=web", 3)
    assert victim not in [p["spec"]["nodeName"] for p in ps]
    assert node(cluster, victim)["spec"]["unschedulable"] is True
    # The budget saw the disruption and recovered.
    wait_for(lambda: cluster.kubectl_json("-n", ns, "get", "pdb", "web")["status"].get("currentHealthy") == 3,
             timeout=20, what="pdb currentHealthy 3")


@pytest.mark.parametrize("kubectl", [None, KUBECTL_127], ids=["kubectl-1.32", "kubectl-1.27"])
def test_drain_daemonsets_unmanaged_and_emptydir(cluster, ns, kubectl):
    target = "nl-1"
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent"},
          "spec": {"selector": {"matchLabels": {"app": "agent"}},
                   "template": {"metadata": {"labels": {"app": "agent"}},
                                "spec": {"containers": [{"name": "c", "image": IMAGE}]}}}}
    apply(cluster, ns, ds)
    bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
            "spec": {"nodeName": target, "containers": [{"name": "c", "image": IMAGE}]}}
    apply(cluster, ns, bare)
    scratch = deployment("scratch", 1)
    # Pinned by label, not nodeName, so that its replacement waits Pending while the node is cordoned.
    scratch["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": target}
    scratch["spec"]["template"]["spec"]["volumes"] = [{"name": "tmp", "emptyDir": {}}]
    apply(cluster, ns, scratch)
    wait_for(lambda: len([p for p in live(pods(cluster, ns)) if p["spec"].get("nodeName") == target and ready(p)]) == 3,
             timeout=40, what="daemon, bare and scratch pods on %s" % target)

    # Without the flags kubectl refuses and names the reasons; nothing is evicted.
    p = cluster.kubectl("drain", target, "--timeout=30s", check=False, kubectl=kubectl)
    assert p.returncode != 0
    assert "DaemonSet-managed" in p.stderr and "bare" in p.stderr and "local storage" in p.stderr, p.stderr
    assert len(live(pods(cluster, ns))) >= 3

    p = cluster.kubectl("drain", target, "--ignore-daemonsets", "--force", "--delete-emptydir-data",
                        "--timeout=60s", kubectl=kubectl, timeout=90)
    assert "node/%s drained" % target in p.stdout, p.stdout + p.stderr
    assert "Ignoring DaemonSet-managed Pods" in p.stderr or "ignoring DaemonSet-managed Pods" in p.stderr, p.stderr
    left = [x for x in live(pods(cluster, ns)) if x["spec"].get("nodeName") == target]
    assert [x["metadata"]["labels"].get("app") for x in left] == ["agent"], [x["metadata"]["name"] for x in left]
    names = [x["metadata"]["name"] for x in pods(cluster, ns)]
    assert "bare" not in names
    cluster.kubectl("uncordon", target, kubectl=kubectl)


def test_noexecute_taint_evicts_untolerating_pods_at_once(cluster, ns):
    apply(cluster, ns, deployment("plain", 3))
    ps = wait_running(cluster, ns, "app=plain", 3)
    target = ps[0]["spec"]["nodeName"]
    on_target = {p["metadata"]["name"] for p in ps if p["spec"]["nodeName"] == target}
    t0 = time.time()
    cluster.kubectl("taint", "node", target, "dedicated=infra:NoExecute")
    try:
        ps = wait_for(lambda: (lambda ps: len(ps) == 3 and all(ready(p) for p in ps) and
                               not on_target & {p["metadata"]["name"] for p in ps} and ps)(
            live(pods(cluster, ns, "app=plain"))), timeout=30, what="pods moved off the tainted node")
        assert time.time() - t0 < 15
        assert target not in [p["spec"]["nodeName"] for p in ps]
        # The user's taint is left alone by the controller.
        assert "dedicated:NoExecute" in taint_keys(node(cluster, target))
    finally:
        cluster.kubectl("taint", "node", target, "dedicated=infra:NoExecute-")


def test_lost_node_is_tainted_and_its_pods_replaced(cluster, ns):
    lost = Sim(cluster, "lost-", 2)
    try:
        # Only the lost-* nodes take the pods: a deployment tolerating unreachability for 3 s, and a bare pod on
        # lost-1 that tolerates it forever (evicted only when its node object goes).
        for n in NODES:
            cluster.kubectl("cordon", n)
        tol = [{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": 3}]
        apply(cluster, ns, deployment("victim", 2, tolerations=tol))
        keeper = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "keeper"},
                  "spec": {"nodeName": "lost-1", "containers": [{"name": "c", "image": IMAGE}],
                           "tolerations": [{"operator": "Exists", "effect": "NoExecute"}]}}
        apply(cluster, ns, keeper)
        ps = wait_running(cluster, ns, "app=victim", 2)
        assert {p["spec"]["nodeName"] for p in ps} <= {"lost-0", "lost-1"}
        # The API server's DefaultTolerationSeconds filled in what the pods did not tolerate themselves.
        tols = ps[0]["spec"]["tolerations"]
        assert {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                "tolerationSeconds": 300} in tols, tols
        assert len([t for t in tols if t.get("key") == "node.kubernetes.io/unreachable"]) == 1, tols
        old = {p["metadata"]["name"] for p in ps}
        for n in NODES:
            cluster.kubectl("uncordon", n)

        killed_at = time.time()
        lost.stop(signal.SIGKILL)
        n = wait_for(lambda: (lambda x: (condition(x, "Ready") or {}).get("status") == "Unknown" and x)(
            node(cluster, "lost-0")), timeout=GRACE + 15, what="lost-0 Unknown")
        assert time.time() - killed_at >= GRACE - 2  # not before the grace period (lease renewed every 1 s)
        c = condition(n, "Ready")
        assert c["reason"] == "NodeStatusUnknown" and c["message"] == "Kubelet stopped posting node status.", c
        assert condition(n, "MemoryPressure")["status"] == "Unknown"
        assert "NotReady" in cluster.kubectl("get", "node", "lost-0").stdout
        n = wait_for(lambda: (lambda x: "node.kubernetes.io/unreachable:NoExecute" in taint_keys(x) and x)(
            node(cluster, "lost-0")), timeout=10, what="unreachable taint")
        assert "node.kubernetes.io/unreachable:NoSchedule" in taint_keys(n)
        assert [t for t in n["spec"]["taints"] if t["effect"] == "NoExecute"][0].get("timeAdded")

        # After 3 s the victims are deleted (they stay Terminating: nobody runs them any more) and replaced on
        # healthy nodes; the keeper stays, marked not ready.
        def replaced():
            ps = live(pods(cluster, ns, "app=victim"))
            return len(ps) == 2 and all(ready(p) and p["spec"]["nodeName"] in NODES for p in ps) and ps
        ps = wait_for(replaced, timeout=40, what="victims replaced on healthy nodes")
        assert not old & {p["metadata"]["name"] for p in ps}
        gone = [p for p in pods(cluster, ns, "app=victim") if p["metadata"]["name"] in old]
        assert all(p["metadata"].get("deletionTimestamp") for p in gone), gone
        assert all(condition(p, "DisruptionTarget") and condition(p, "DisruptionTarget")["reason"] ==
                   "DeletionByTaintManager" for p in gone), gone
        k = cluster.kubectl_json("-n", ns, "get", "pod", "keeper")
        assert not k["metadata"].get("deletionTimestamp")
        assert condition(k, "Ready")["status"] == "False", k["status"]
        events = cluster.kubectl("-n", ns, "get", "events").stdout
        assert "TaintManagerEviction" in events, events

        # The node comes back (a new kubelet registers it Ready): the taints go.
        back = Sim(cluster, "lost-", 1)
        try:
            wait_for(lambda: not taint_keys(node(cluster, "lost-0")), timeout=20, what="lost-0 taints removed")
            assert condition(node(cluster, "lost-0"), "Ready")["status"] == "True"
            wait_for(lambda: "Node lost-0 status is now: NodeReady" in cluster.kubectl(
                "-n", "default", "get", "events", "--field-selector", "involvedObject.name=lost-0").stdout,
                timeout=10, what="NodeReady event")
        finally:
            back.stop(signal.SIGKILL)

        # Deleting lost-1's node object: its pods go with it (pod GC, after the quarantine).
        cluster.kubectl("delete", "node", "lost-1")
        wait_for(lambda: "keeper" not in [p["metadata"]["name"] for p in pods(cluster, ns)],
                 timeout=GRACE + 20, what="keeper collected")
    finally:
        if lost.proc.poll() is None:
            lost.stop(signal.SIGKILL)
        for n in ("lost-0", "lost-1"):
            cluster.kubectl("delete", "node", n, "--ignore-not-found", check=False)


def test_events_expire(cluster, ns):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "short-lived"},
          "involvedObject": {"kind": "Namespace", "name": ns, "apiVersion": "v1"}, "reason": "Testing",
          "message": "expires soon", "type": "Normal", "firstTimestamp": now, "lastTimestamp": now,
          "count": 1, "source": {"component": "e2e"}}
    cluster.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(ev))
    created = time.time()
    assert "short-lived" in cluster.kubectl("-n", ns, "get", "events", "-o", "name").stdout
    wait_for(lambda: "short-lived" not in cluster.kubectl("-n", ns, "get", "events", "-o", "name").stdout,
             timeout=EVENT_TTL + 15, interval=0.5, what="event expiry")
    assert time.time() - created >= EVENT_TTL - 2  # not long before its time
