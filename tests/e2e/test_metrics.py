"""Metrics and autoscaling end to end: a coracle server with its node agent (busybox image imported, as in
test_pods.py) serves metrics.k8s.io from the pods' cgroups; the real kubectl's `top pod` / `top node` read it,
and the HPA controller scales a Deployment up while its pods burn cpu and back down when they stop. The load
is a busy loop inside each container that runs while a file exists in the container's root filesystem; the
test creates and removes that file from the host (no exec, no Service networking needed). Short periods are
passed as server flags so that the whole module runs in about a minute and a half."""
import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import imagetools as it
from conftest import CORACLE_BIN, Cluster, coracle, start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
NODE = "e2e-node"
KUBECTL_127 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")

# Burns cpu while /burn exists; `[` is a builtin of busybox sh, so the loop forks nothing.
BURN_ON_FILE = "while :; do if [ -f /burn ]; then :; else sleep 0.5; fi; done"


@pytest.fixture(scope="module")
def node(module_netns, request):
    c = start_agent_node(request, "coracle-metrics-", 6463,
                         extra_args=["--metric-resolution", "2s", "--horizontal-pod-autoscaler-sync-period", "2s"])
    return c


def container(command, cpu_request="100m", cpu_limit=None):
    res = {"requests": {"cpu": cpu_request, "memory": "16Mi"}}
    if cpu_limit:
        res["limits"] = {"cpu": cpu_limit}
    return {"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", command],
            "resources": res}


def apply(node, manifest):
    node.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def cpu_milli(s):
    return int(s[:-1]) if s.endswith("m") else int(s) * 1000


def mem_bytes(s):
    units = {"Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3}
    for u, m in units.items():
        if s.endswith(u):
            return int(s[:-2]) * m
    return int(s)


def cgroup_cpu_ns(uid, name):
    """The container's cumulative cpu time, wherever its pod cgroup is (flat, or per QoS class as pod<UID>)."""
    for root, leaf in (("/sys/fs/cgroup/cpuacct", "cpuacct.usage"), ("/sys/fs/cgroup", "cpu.stat")):
        for pattern in ("%s/coracle/pods/%s/%s/%s", "%s/coracle/pods/pod%s/%s/%s", "%s/coracle/pods/*/pod%s/%s/%s"):
            for path in glob.glob(pattern % (root, uid, name, leaf)):
                text = open(path).read()
                if leaf == "cpuacct.usage":
                    return int(text)
                for line in text.splitlines():
                    if line.startswith("usage_usec "):
                        return int(line.split()[1]) * 1000
    raise AssertionError("no cpu usage for " + uid)


def top_rows(node, *args, kubectl=None):
    p = node.kubectl("top", *args, check=False, kubectl=kubectl)
    if p.returncode != 0:
        return None, p.stderr
    lines = p.stdout.strip().splitlines()
    return [ln.split() for ln in lines], p.stdout


def test_discovery(node):
    out = node.kubectl("api-resources", "--api-group=metrics.k8s.io").stdout
    assert re.search(r"^nodes\s+metrics\.k8s\.io/v1beta1\s+false\s+NodeMetrics", out, re.M), out
    assert re.search(r"^pods\s+metrics\.k8s\.io/v1beta1\s+true\s+PodMetrics", out, re.M), out
    groups = json.loads(node.kubectl("get", "--raw", "/apis").stdout)
    assert any(g["name"] == "metrics.k8s.io" and g["preferredVersion"]["version"] == "v1beta1"
               for g in groups["groups"])
    missing = node.kubectl("get", "--raw", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope",
                           check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr or "not found" in missing.stderr


def test_top_pod_and_node(node):
    apply(node, {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "burn", "namespace": "default", "labels": {"app": "burn"}},
                 "spec": {"nodeName": NODE, "containers": [container("while :; do :; done", "100m", "500m")]}})
    apply(node, {"apiVersion": "v1", "kind": "Pod",
                 "metadata": {"name": "idle", "namespace": "default", "labels": {"app": "idle"}},
                 "spec": {"nodeName": NODE, "containers": [container("sleep 3600")]}})

    def burn_row():
        rows, _ = top_rows(node, "pod", "-n", "default")
        if not rows:
            return None
        names = {r[0]: r for r in rows[1:]}
        return names if "burn" in names and "idle" in names else None

    rows = wait_for(burn_row, timeout=45, interval=1, what="kubectl top pod to list burn and idle")
    hdr = node.kubectl("top", "pod").stdout.splitlines()[0].split()
    assert hdr == ["NAME", "CPU(cores)", "MEMORY(bytes)"], hdr
    # A busy loop limited to 500m shows what its cgroup says it used: measured here over the same few seconds
    # (the test machine is shared, so the loop may get well under its limit).
    uid = node.kubectl_json("get", "pod", "burn")["metadata"]["uid"]
    t0, u0 = time.time(), cgroup_cpu_ns(uid, "c")
    time.sleep(4)
    top = node.kubectl("top", "pod", "burn", "--no-headers").stdout.split()
    t1, u1 = time.time(), cgroup_cpu_ns(uid, "c")
    measured = (u1 - u0) / 1e6 / (t1 - t0)
    burn_cpu = cpu_milli(top[1])
    assert burn_cpu <= 650, top  # never above its limit
    assert 0.4 * measured <= burn_cpu <= 2.5 * measured + 20, (top, measured)
    assert burn_cpu >= 30, (top, measured)
    assert cpu_milli(rows["idle"][1]) < 20, rows["idle"]
    # kubectl prints memory in Mi, and a busybox shell's working set is well under one: check the API's value.
    for name in ("burn", "idle"):
        pm = json.loads(node.kubectl("get", "--raw",
                                     "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/" + name).stdout)
        assert pm["kind"] == "PodMetrics" and pm["metadata"]["labels"] == {"app": name}, pm
        assert re.fullmatch(r"\d+(\.\d+)?s", pm["window"]) or re.fullmatch(r"\d+ms", pm["window"]), pm
        usage = pm["containers"][0]["usage"]
        assert mem_bytes(usage["memory"]) > 0, pm

    # --sort-by=cpu puts the burner first; -l selects; --containers adds the POD/NAME columns.
    srt, _ = top_rows(node, "pod", "--sort-by=cpu")
    assert srt[1][0] == "burn", srt
    sel, _ = top_rows(node, "pod", "-l", "app=idle")
    assert [r[0] for r in sel[1:]] == ["idle"], sel
    ctr, _ = top_rows(node, "pod", "burn", "--containers")
    assert ctr[0] == ["POD", "NAME", "CPU(cores)", "MEMORY(bytes)"], ctr
    assert ctr[1][:2] == ["burn", "c"], ctr
    # kubectl 1.27 reads the same API.
    if os.path.exists(KUBECTL_127):
        old, text = top_rows(node, "pod", "burn", kubectl=KUBECTL_127)
        assert old and old[1][0] == "burn", text
    # A pod without metrics yet, by name: metrics-server's NotFound.
    p = node.kubectl("top", "pod", "nope", check=False)
    assert p.returncode != 0 and 'podmetrics.metrics.k8s.io "default/nope" not found' in p.stderr, p.stderr

    nodes, text = top_rows(node, "node")
    assert nodes[0][:3] == ["NAME", "CPU(cores)", "CPU(%)"] or nodes[0][:3] == ["NAME", "CPU(cores)", "CPU%"], text
    row = [r for r in nodes[1:] if r[0] == NODE]
    assert row, text
    assert cpu_milli(row[0][1]) >= burn_cpu // 2, text
    node.kubectl("delete", "pod", "burn", "idle", "--grace-period=0", "--force", check=False)


def kubelet_get(node, path, auth=True):
    try:
        with urllib.request.urlopen("https://127.0.0.1:10250" + path, context=node.ssl_context(auth),
                                    timeout=20) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_agent_stats_endpoint(node):
    """The agent's own HTTPS port serves the kubelet's /stats/summary to clients of the cluster CA."""
    ports = node.kubectl_json("get", "node", NODE)["status"]["daemonEndpoints"]["kubeletEndpoint"]
    assert ports["Port"] == 10250
    apply(node, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stats", "namespace": "default"},
                 "spec": {"nodeName": NODE, "containers": [container("sleep 3600")]}})

    def summary():
        code, body = kubelet_get(node, "/stats/summary")
        assert code == 200, (code, body)
        doc = json.loads(body)
        pods = [p for p in doc["pods"] if p["podRef"]["name"] == "stats"]
        # usageNanoCores needs an earlier reading of the same cgroup (the scraper's, two seconds before)
        return (doc, pods[0]) if pods and "usageNanoCores" in pods[0]["containers"][0]["cpu"] else None

    doc, pod = wait_for(summary, timeout=30, interval=0.5, what="the pod in /stats/summary")
    assert doc["node"]["nodeName"] == NODE
    assert doc["node"]["cpu"]["usageCoreNanoSeconds"] > 0 and doc["node"]["memory"]["workingSetBytes"] > 0
    c = pod["containers"][0]
    assert c["name"] == "c" and c["cpu"]["usageCoreNanoSeconds"] > 0, c
    assert c["memory"]["workingSetBytes"] > 0 and "time" in c["cpu"] and "startTime" in c, c
    assert 0 <= c["cpu"]["usageNanoCores"] < 50 * 1000 * 1000, c  # a sleeping container: under 50m
    assert pod["podRef"]["uid"] == node.kubectl_json("get", "pod", "stats")["metadata"]["uid"]
    code, body = kubelet_get(node, "/stats/summary", auth=False)
    assert code == 401 and body == b"Unauthorized", (code, body)
    assert kubelet_get(node, "/healthz")[0] == 200
    assert kubelet_get(node, "/nope")[0] == 404
    node.kubectl("delete", "pod", "stats", "--grace-period=0", "--force", check=False)


def rootfs_dirs(node, label):
    pods = node.kubectl_json("get", "pods", "-l", label)["items"]
    out = []
    for p in pods:
        if p["status"].get("phase") != "Running":
            continue
        uid = p["metadata"]["uid"]
        out += glob.glob(os.path.join(node.data_dir, "agent", "pods", uid, "c", "*", "rootfs"))
    return out


def hpa_targets(node):
    p = node.kubectl("get", "hpa", "web", "--no-headers", check=False)
    if p.returncode != 0:
        return None
    m = re.search(r"cpu: (\S+)/50%", p.stdout)
    return m.group(1) if m else None


def replicas(node):
    return node.kubectl_json("get", "deployment", "web")["spec"]["replicas"]


def test_hpa_scales_up_and_down(node):
    apply(node, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                          "template": {"metadata": {"labels": {"app": "web"}},
                                       "spec": {"terminationGracePeriodSeconds": 0,
                                                "containers": [container(BURN_ON_FILE, "100m", "200m")]}}}})
    node.kubectl("autoscale", "deployment", "web", "--cpu-percent=50", "--min=2", "--max=6")
    first = wait_for(lambda: hpa_targets(node), timeout=10, interval=0.2, what="TARGETS column")
    assert first == "<unknown>" or first.endswith("%"), first
    # A short scale-down window, so that the test does not wait Kubernetes' five minutes.
    node.kubectl("patch", "hpa", "web", "--type=merge", "-p",
                 json.dumps({"spec": {"behavior": {"scaleDown": {"stabilizationWindowSeconds": 4}}}}))
    hpa = node.kubectl_json("get", "hpa.v2.autoscaling", "web")
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 4
    assert hpa["spec"]["behavior"]["scaleUp"]["policies"], hpa["spec"]["behavior"]  # defaulted

    # Idle pods: a measured utilization well under the target, and no scaling.
    idle = wait_for(lambda: (lambda t: t if t and t != "<unknown>" else None)(hpa_targets(node)), timeout=40,
                    interval=1, what="a measured utilization")
    assert int(idle.rstrip("%")) < 50, idle
    assert replicas(node) == 2

    # Load: both pods burn (up to 200m each against 100m requests, 200%).
    dirs = rootfs_dirs(node, "app=web")
    assert len(dirs) >= 2, (dirs, node.kubectl("get", "pods", "-o", "wide").stdout,
                            subprocess.run(["find", os.path.join(node.data_dir, "agent", "pods"), "-maxdepth", "3"],
                                           capture_output=True, text=True).stdout)
    for d in dirs:
        open(os.path.join(d, "burn"), "w").close()
    seen = []

    def scaled_up():
        t = hpa_targets(node)
        if t:
            seen.append(t)
        return replicas(node) > 2

    wait_for(scaled_up, timeout=60, interval=1, what="the HPA to scale web above 2 replicas")
    # The two burners against at most four idle newcomers keep the average above the target for a while.
    wait_for(lambda: scaled_up() and any(t.endswith("%") and int(t.rstrip("%")) > 50 for t in seen), timeout=20,
             interval=0.5, what="TARGETS above 50%% (seen %s)" % seen)
    hpa = node.kubectl_json("get", "hpa.v2.autoscaling", "web")
    conds = {c["type"]: c for c in hpa["status"]["conditions"]}
    assert conds["AbleToScale"]["status"] == "True", conds
    assert conds["ScalingActive"]["status"] == "True", conds
    assert conds["ScalingActive"]["reason"] == "ValidMetricFound", conds
    assert "ScalingLimited" in conds
    assert hpa["status"]["desiredReplicas"] > 2 and hpa["status"].get("lastScaleTime"), hpa["status"]
    v1 = json.loads(node.kubectl("get", "--raw",
                                 "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web").stdout)
    assert v1["spec"].get("targetCPUUtilizationPercentage") == 50, v1
    assert "currentCPUUtilizationPercentage" in v1["status"], v1["status"]
    row = node.kubectl("get", "hpa", "web").stdout
    assert re.search(r"web\s+Deployment/web\s+cpu: \d+%/50%\s+2\s+6\s+\d+", row), row
    desc = node.kubectl("describe", "hpa", "web").stdout
    assert "SuccessfulRescale" in desc and "New size:" in desc, desc
    assert "AbleToScale" in desc and "ScalingActive" in desc, desc

    # Load stops: back to the minimum after the short stabilization window.
    for d in dirs:
        try:
            os.unlink(os.path.join(d, "burn"))
        except FileNotFoundError:
            pass
    wait_for(lambda: replicas(node) == 2, timeout=60, interval=1, what="the HPA to scale web back to 2")
    events = node.kubectl("get", "events", "--field-selector", "involvedObject.name=web,reason=SuccessfulRescale",
                          "-o", "json")
    msgs = [e["message"] for e in json.loads(events.stdout)["items"]]
    assert any("All metrics below target" in m for m in msgs), msgs
    assert any("above target" in m for m in msgs), msgs
