"""The scheduler (src/scheduler) and simulated nodes (src/agent/sim) against a real coracle server.

A `coracle sim-nodes` process in the test network namespace registers three nodes that report every pod bound
to them Running; pods are created with the real kubectl and the tests check where and whether they land, and
what kubectl shows for those that cannot be placed.
"""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import CORACLE_BIN, _make_cluster, wait_for

NODES = ["sim-0", "sim-1", "sim-2"]


@pytest.fixture(scope="module")
def cluster(netns, request):
    """A server of this module's own: placement depends on every pod of the cluster, so pods left behind
    by other suites on the shared server must not sit on the simulated nodes."""
    return _make_cluster(request, 6445)


@pytest.fixture(scope="module")
def sim(cluster):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    log = open(os.path.join(cluster.workdir, "sim.log"), "w+")
    proc = subprocess.Popen(
        [CORACLE_BIN, "sim-nodes", "--kubeconfig", cluster.kubeconfig, "--count", "3", "--prefix", "sim-",
         "--cpu", "2", "--memory", "4Gi", "--pods", "20"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    line = proc.stdout.readline()
    assert line.startswith("ready"), "sim-nodes did not start: %r" % line
    yield proc
    os.kill(proc.pid, signal.SIGTERM)
    rc = proc.wait(30)
    log.seek(0)
    text = log.read()
    log.close()
    assert rc == 0, text
    assert "ERROR: AddressSanitizer" not in text, text
    # The nodes are gone with the process.
    names = cluster.kubectl("get", "nodes", "-o", "name").stdout.split()
    assert not [n for n in names if n.startswith("node/sim-")], names


@pytest.fixture
def ns(cluster, sim):
    name = "sched-" + uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def pod_manifest(name, cpu=None, node_selector=None, tolerations=None, labels=None, host_port=None):
    container = {"name": "c", "image": "registry.k8s.io/pause:3.10"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    if host_port:
        container["ports"] = [{"containerPort": 80, "hostPort": host_port}]
    spec = {"containers": [container]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "labels": labels or {"app": name}}, "spec": spec})


def create(cluster, ns, name, **kw):
    cluster.kubectl("-n", ns, "create", "-f", "-", input=pod_manifest(name, **kw))


def get_pod(cluster, ns, name):
    return cluster.kubectl_json("-n", ns, "get", "pod", name)


def wait_running(cluster, ns, name, timeout=20):
    def check():
        p = get_pod(cluster, ns, name)
        return p if p.get("status", {}).get("phase") == "Running" and p["spec"].get("nodeName") else None
    return wait_for(check, timeout=timeout, what="pod %s Running" % name)


def scheduled_condition(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "PodScheduled":
            return c
    return None


def wait_unschedulable(cluster, ns, name, timeout=20):
    def check():
        c = scheduled_condition(get_pod(cluster, ns, name))
        return c if c and c["status"] == "False" else None
    return wait_for(check, timeout=timeout, what="pod %s Unschedulable" % name)


def test_pods_bound_and_running(cluster, ns):
    cluster.kubectl("-n", ns, "run", "web", "--image=registry.k8s.io/pause:3.10")
    pod = wait_running(cluster, ns, "web")
    assert pod["spec"]["nodeName"] in NODES
    assert pod["status"]["podIP"].startswith("10.")
    assert pod["status"]["hostIP"].startswith("10.")
    assert pod["status"]["containerStatuses"][0]["ready"] is True
    assert "running" in pod["status"]["containerStatuses"][0]["state"]
    cond = scheduled_condition(pod)
    assert cond and cond["status"] == "True"
    wide = cluster.kubectl("-n", ns, "get", "pods", "-o", "wide").stdout
    header, row = wide.splitlines()[0], wide.splitlines()[1]
    assert "NODE" in header.split()
    assert pod["spec"]["nodeName"] in row.split() and "Running" in row.split()
    events = cluster.kubectl("-n", ns, "get", "events").stdout
    assert "Successfully assigned %s/web to %s" % (ns, pod["spec"]["nodeName"]) in events


def test_nodes_look_ready(cluster, sim):
    out = cluster.kubectl("get", "nodes").stdout
    for n in NODES:
        row = [line for line in out.splitlines() if line.split()[0] == n]
        assert row and row[0].split()[1] == "Ready", out
    node = cluster.kubectl_json("get", "node", "sim-0")
    assert node["status"]["allocatable"]["cpu"] == "2"
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.32.0-coracle-sim"
    wait_for(lambda: cluster.kubectl("-n", "kube-node-lease", "get", "lease", "sim-0", check=False).returncode == 0,
             timeout=15, what="the node's Lease")


def test_spread_over_nodes(cluster, ns):
    for i in range(6):
        create(cluster, ns, "p%d" % i, cpu="100m")
    nodes = [wait_running(cluster, ns, "p%d" % i)["spec"]["nodeName"] for i in range(6)]
    # Least-allocated scoring spreads equal pods evenly.
    assert sorted(nodes.count(n) for n in NODES) == [2, 2, 2], nodes


def test_insufficient_cpu_stays_pending(cluster, ns):
    create(cluster, ns, "big", cpu="100")
    cond = wait_unschedulable(cluster, ns, "big")
    assert cond["reason"] == "Unschedulable"
    assert cond["message"] == ("0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
                               "3 No preemption victims found for incoming pod.")
    assert get_pod(cluster, ns, "big")["status"]["phase"] == "Pending"
    out = cluster.kubectl("-n", ns, "describe", "pod", "big").stdout
    assert "FailedScheduling" in out and "0/3 nodes are available: 3 Insufficient cpu." in out, out
    assert "default-scheduler" in out


def test_node_selector(cluster, ns):
    cluster.kubectl("label", "node", "sim-1", "disk=ssd", "--overwrite")
    try:
        for i in range(3):
            create(cluster, ns, "ssd%d" % i, node_selector={"disk": "ssd"})
        for i in range(3):
            assert wait_running(cluster, ns, "ssd%d" % i)["spec"]["nodeName"] == "sim-1"
        create(cluster, ns, "nvme", node_selector={"disk": "nvme"})
        cond = wait_unschedulable(cluster, ns, "nvme")
        assert cond["message"] == ("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
                                   "preemption: 0/3 nodes are available: 3 Preemption is not helpful for "
                                   "scheduling.")
        # Labelling a node makes room at once (no back-off wait).
        cluster.kubectl("label", "node", "sim-2", "disk=nvme", "--overwrite")
        assert wait_running(cluster, ns, "nvme", timeout=5)["spec"]["nodeName"] == "sim-2"
    finally:
        cluster.kubectl("label", "node", "sim-1", "disk-", check=False)
        cluster.kubectl("label", "node", "sim-2", "disk-", check=False)


def test_taints_and_tolerations(cluster, ns):
    for n in ("sim-0", "sim-2"):
        cluster.kubectl("taint", "node", n, "dedicated=infra:NoSchedule")
    try:
        for i in range(3):
            create(cluster, ns, "t%d" % i)
        for i in range(3):
            assert wait_running(cluster, ns, "t%d" % i)["spec"]["nodeName"] == "sim-1"
        create(cluster, ns, "tol", node_selector={"kubernetes.io/hostname": "sim-0"},
               tolerations=[{"key": "dedicated", "operator": "Equal", "value": "infra", "effect": "NoSchedule"}])
        assert wait_running(cluster, ns, "tol")["spec"]["nodeName"] == "sim-0"
        create(cluster, ns, "notol", node_selector={"kubernetes.io/hostname": "sim-0"})
        cond = wait_unschedulable(cluster, ns, "notol")
        assert cond["message"].startswith(
            "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 2 node(s) had "
            "untolerated taint {dedicated: infra}."), cond["message"]
    finally:
        for n in ("sim-0", "sim-2"):
            cluster.kubectl("taint", "node", n, "dedicated-", check=False)


def test_cordon(cluster, ns):
    cluster.kubectl("cordon", "sim-0")
    cluster.kubectl("cordon", "sim-1")
    try:
        out = cluster.kubectl("get", "nodes").stdout
        assert "Ready,SchedulingDisabled" in out
        for i in range(4):
            create(cluster, ns, "c%d" % i)
        for i in range(4):
            assert wait_running(cluster, ns, "c%d" % i)["spec"]["nodeName"] == "sim-2"
        cluster.kubectl("cordon", "sim-2")
        create(cluster, ns, "waiting")
        cond = wait_unschedulable(cluster, ns, "waiting")
        assert cond["message"].startswith("0/3 nodes are available: 3 node(s) were unschedulable."), cond["message"]
        cluster.kubectl("uncordon", "sim-0")
        assert wait_running(cluster, ns, "waiting", timeout=5)["spec"]["nodeName"] == "sim-0"
    finally:
        for n in NODES:
            cluster.kubectl("uncordon", n, check=False)


def test_host_port_conflict(cluster, ns):
    for i in range(3):
        create(cluster, ns, "hp%d" % i, host_port=8080)
    nodes = {wait_running(cluster, ns, "hp%d" % i)["spec"]["nodeName"] for i in range(3)}
    assert nodes == set(NODES)
    create(cluster, ns, "hp3", host_port=8080)
    cond = wait_unschedulable(cluster, ns, "hp3")
    assert cond["message"].startswith(
        "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports."), cond["message"]
    # Deleting one frees its port: the pending pod is retried at once.
    cluster.kubectl("-n", ns, "delete", "pod", "hp0", "--wait=true", "--timeout=20s")
    wait_running(cluster, ns, "hp3", timeout=10)


def test_pod_anti_affinity(cluster, ns):
    anti = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}]}}
    for i in range(4):
        m = json.loads(pod_manifest("db%d" % i, labels={"app": "db"}))
        m["spec"]["affinity"] = anti
        cluster.kubectl("-n", ns, "create", "-f", "-", input=json.dumps(m))
    nodes = {wait_running(cluster, ns, "db%d" % i)["spec"]["nodeName"] for i in range(3)}
    assert nodes == set(NODES)
    cond = wait_unschedulable(cluster, ns, "db3")
    assert "3 node(s) didn't match pod anti-affinity rules" in cond["message"], cond["message"]


def test_binding_conflict(cluster, ns):
    create(cluster, ns, "bound")
    pod = wait_running(cluster, ns, "bound")
    body = {"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"},
            "target": {"kind": "Node", "name": "elsewhere"}}
    code, _, answer = cluster.raw("POST", "/api/v1/namespaces/%s/pods/bound/binding" % ns, body)
    status = json.loads(answer)
    assert code == 409 and status["reason"] == "Conflict", (code, status)
    assert status["message"] == ('Operation cannot be fulfilled on pods/binding "bound": pod bound is already '
                                 'assigned to node "%s"' % pod["spec"]["nodeName"])


def test_delete_pod(cluster, ns):
    create(cluster, ns, "gone")
    wait_running(cluster, ns, "gone")
    t0 = time.time()
    cluster.kubectl("-n", ns, "delete", "pod", "gone", "--timeout=20s")
    assert time.time() - t0 < 10
    assert cluster.kubectl("-n", ns, "get", "pod", "gone", check=False).returncode != 0
