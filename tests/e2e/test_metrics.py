"""Metrics and autoscaling end to end: a coracle server with its node agent (busybox image imported, as in
test_pods.py) serves metrics.k8s.io from the pods' cgroups; the real kubectl's `top pod` / `top node` read it,
and the HPA controller scales a Deployment up while its pods burn cpu and back down when they stop. The HPA
test follows seed 001: a ClusterIP Service in front of busybox httpd pods whose CGI /cgi-bin/test burns cpu
per request, loaded by ten concurrent clients in this process (inside the test's network namespace, which
plays the node and has a default route through client_netns so that ClusterIPs are routed). Short periods are
passed as server flags so that the whole module runs in about a minute."""
import glob
import json
import os
import re
import shutil
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from conftest import start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
NODE = "e2e-node"
KUBECTL_127 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"
KUBECTL_133 = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")


@pytest.fixture(scope="module")
def node(module_netns, client_netns, request):
    c = start_agent_node(request, "coracle-metrics-", 6463,
                         extra_args=["--node-ip", client_netns.node_ip, "--metric-resolution", "2s",
                                     "--horizontal-pod-autoscaler-sync-period", "2s"])
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


def cpu_nano(s):
    for suffix, mul in (("n", 1), ("u", 10 ** 3), ("m", 10 ** 6)):
        if s.endswith(suffix):
            return int(s[:-1]) * mul
    return int(s) * 10 ** 9


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
    duo = [dict(container("while :; do sleep 0.01; done"), name="a"), dict(container("sleep 3600"), name="b")]
    apply(node, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "duo", "namespace": "default"},
                 "spec": {"nodeName": NODE, "containers": duo}})

    def burn_row():
        rows, _ = top_rows(node, "pod", "-n", "default")
        if not rows:
            return None
        names = {r[0]: r for r in rows[1:]}
        return names if {"burn", "idle", "duo"} <= set(names) else None

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
    # kubectl 1.27 and 1.33 read the same API and print the same columns.
    for k in (KUBECTL_127, KUBECTL_133):
        if os.path.exists(k):
            other, text = top_rows(node, "pod", "burn", kubectl=k)
            assert other and other[0] == ["NAME", "CPU(cores)", "MEMORY(bytes)"] and other[1][0] == "burn", text
            assert cpu_milli(other[1][1]) > 0, text
            other, text = top_rows(node, "node", kubectl=k)
            assert other and other[0][:2] == ["NAME", "CPU(cores)"] and other[1][0] == NODE, text
            table = node.kubectl("get", "podmetrics", "burn", kubectl=k).stdout.splitlines()
            assert table[0].split() == ["NAME", "CPU", "MEMORY", "WINDOW"], (k, table)
            print("%s top node:\n%s" % (os.path.basename(k), text), file=sys.stderr)
    # A pod without metrics yet, by name: metrics-server's NotFound.
    p = node.kubectl("top", "pod", "nope", check=False)
    assert p.returncode != 0 and 'podmetrics.metrics.k8s.io "default/nope" not found' in p.stderr, p.stderr

    # kubectl get on the metrics resources: metrics-server's Table (NAME, one column per resource, WINDOW).
    for args in (("pods.metrics.k8s.io",), ("podmetrics", "burn", "idle"), ("podmetrics.v1beta1.metrics.k8s.io",)):
        out = node.kubectl("get", *args).stdout.splitlines()
        assert out[0].split() == ["NAME", "CPU", "MEMORY", "WINDOW"], (args, out)
        got = {ln.split()[0]: ln.split() for ln in out[1:]}
        assert {"burn", "idle"} <= set(got), (args, out)
        assert re.fullmatch(r"\d+(\.\d+)?(n|u|m)?", got["burn"][1]), got
        assert re.fullmatch(r"\d+(Ki|Mi|Gi)?", got["burn"][2]) and got["burn"][2] != "0", got
        assert re.fullmatch(r"(\d+m)?\d+(\.\d+)?(s|ms)", got["burn"][3]), got
        print("kubectl get %s:\n%s" % (" ".join(args), "\n".join(out)), file=sys.stderr)
    # A pod's row sums its containers (one snapshot: the row carries its object with includeObject=Object).
    code, _, body = node.raw("GET", "/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/duo?includeObject=Object",
                             headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    tbl = json.loads(body)
    assert code == 200 and tbl["kind"] == "Table", tbl
    assert [c["name"] for c in tbl["columnDefinitions"]] == ["Name", "cpu", "memory", "Window"], tbl
    row = tbl["rows"][0]
    usage = [c["usage"] for c in row["object"]["containers"]]
    assert len(usage) == 2 and row["cells"][0] == "duo" and row["cells"][3] == row["object"]["window"], row
    assert mem_bytes(row["cells"][2]) == sum(mem_bytes(u["memory"]) for u in usage), row
    assert cpu_nano(row["cells"][1]) == sum(cpu_nano(u["cpu"]) for u in usage), row
    allns = node.kubectl("get", "podmetrics", "-A").stdout.splitlines()
    assert allns[0].split() == ["NAMESPACE", "NAME", "CPU", "MEMORY", "WINDOW"], allns
    single = node.kubectl_json("get", "podmetrics", "burn")
    assert single["kind"] == "PodMetrics" and single["containers"][0]["name"] == "c", single
    for res in ("nodes.metrics.k8s.io", "nodemetrics"):
        out = node.kubectl("get", res).stdout.splitlines()
        assert out[0].split() == ["NAME", "CPU", "MEMORY", "WINDOW"], out
        assert out[1].split()[0] == NODE, out
    none = node.kubectl("get", "podmetrics", "-n", "kube-public")
    assert "No resources found in kube-public namespace." in none.stderr + none.stdout, none

    nodes, text = top_rows(node, "node")
    assert nodes[0][:3] == ["NAME", "CPU(cores)", "CPU(%)"] or nodes[0][:3] == ["NAME", "CPU(cores)", "CPU%"], text
    row = [r for r in nodes[1:] if r[0] == NODE]
    assert row, text
    assert cpu_milli(row[0][1]) >= burn_cpu // 2, text
    node.kubectl("delete", "pod", "burn", "idle", "duo", "--grace-period=0", "--force", check=False)


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


# ---- the HorizontalPodAutoscaler, as seed 001 uses it ----

# The seed's /test endpoint: every request does a fixed amount of work (here a shell loop of a few tens of
# milliseconds of one core) and answers. busybox httpd runs it as a CGI program.
CGI_TEST = """#!/bin/sh
i=0
while [ $i -lt 20000 ]; do i=$((i+1)); done
printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'
"""
# A shell that holds ~4 MiB (a real app's footprint: kubectl top prints memory in Mi, and busybox httpd alone
# stays under one) and runs httpd as its child. The ballast costs ~0.2 s of cpu: it is built before httpd
# starts, so before the pod is ready, and the HPA leaves such start-up samples out as Kubernetes does.
WEB_CMD = """mkdir -p /www/cgi-bin && printf '%s' "$CGI" > /www/cgi-bin/test && chmod 755 /www/cgi-bin/test
ballast=$(head -c 4194304 /dev/zero | tr '\\0' x)
httpd -f -p 8080 -h /www &
wait
"""
WEB = "gourmetgram"
HPA_MANIFEST = """
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: %(name)s-hpa
  namespace: default
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: %(name)s
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 5
""" % {"name": WEB}


def web_objects():
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": WEB + "-svc", "namespace": "default"},
           "spec": {"selector": {"app": WEB}, "type": "ClusterIP",
                    "ports": [{"protocol": "TCP", "port": 80, "targetPort": 8080}]}}
    ctr = {"name": WEB, "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", WEB_CMD],
           "env": [{"name": "CGI", "value": CGI_TEST}], "ports": [{"containerPort": 8080}],
           "readinessProbe": {"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 1},
           "resources": {"requests": {"cpu": "100m", "memory": "16Mi"},
                         "limits": {"cpu": "200m", "memory": "64Mi"}}}
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": WEB, "namespace": "default"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": WEB}},
                    "template": {"metadata": {"labels": {"app": WEB}},
                                 "spec": {"terminationGracePeriodSeconds": 0, "containers": [ctr]}}}}
    return {"apiVersion": "v1", "kind": "List", "items": [svc, dep]}


class Load:
    """siege -c N -t T against url: N threads in this process (so inside the test's network namespace), each
    sending one request after another until stop() or the time bound."""

    def __init__(self, url, clients=10, seconds=60):
        self.url, self.deadline = url, time.monotonic() + seconds
        self.stopping = threading.Event()
        self.ok = self.failed = 0
        self.lock = threading.Lock()
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self.threads = [threading.Thread(target=self._client, daemon=True) for _ in range(clients)]
        for t in self.threads:
            t.start()

    def _client(self):
        while not self.stopping.is_set() and time.monotonic() < self.deadline:
            try:
                with self.opener.open(self.url, timeout=10) as r:
                    good = r.status == 200 and r.read().strip() == b"ok"
            except (OSError, urllib.error.URLError):
                good = False
                time.sleep(0.2)
            with self.lock:
                if good:
                    self.ok += 1
                else:
                    self.failed += 1

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(15)
        return self.ok, self.failed


def replicas_of(node, name):
    return node.kubectl_json("get", "deployment", name)["spec"]["replicas"]


def hpa_row(node, name, kubectl=None):
    """(TARGETS, MINPODS, MAXPODS, REPLICAS) of `kubectl get hpa NAME`, or None."""
    p = node.kubectl("get", "hpa", name, "--no-headers", check=False, kubectl=kubectl)
    m = re.search(r"cpu: (\S+)/50%\s+(\d+)\s+(\d+)\s+(\d+)", p.stdout) if p.returncode == 0 else None
    return m.groups() if m else None


def measured(t):
    return t if t and t != "<unknown>" else None


def test_hpa_under_http_load(node):
    """The issue's acceptance test, shaped like seed 001: a Service in front of a Deployment whose pods serve
    a cpu-burning /cgi-bin/test, an autoscaling/v2 HPA applied as a manifest, ten concurrent clients."""
    node.kubectl("apply", "-f", "-", input=json.dumps(web_objects()))
    node.kubectl("apply", "-f", "-", input=HPA_MANIFEST)
    hpa = WEB + "-hpa"
    # One replica in the manifest: the HPA raises it to its minimum at once.
    wait_for(lambda: replicas_of(node, WEB) == 2, timeout=20, interval=0.5, what="the HPA to apply minReplicas 2")

    def ready_endpoints():
        items = node.kubectl_json("get", "endpointslices", "-l", "kubernetes.io/service-name=" + WEB + "-svc")
        return len([e for s in items["items"] for e in s.get("endpoints") or []
                    if e["conditions"].get("ready")]) == 2
    wait_for(ready_endpoints, timeout=60, interval=0.5, what="2 ready endpoints behind the Service")
    ip = node.kubectl_json("get", "svc", WEB + "-svc")["spec"]["clusterIP"]
    url = "http://%s/cgi-bin/test" % ip
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with direct.open(url, timeout=10) as r:
        assert r.read().strip() == b"ok"
    # Idle: a measured utilization under the target, and still the minimum.
    wait_for(lambda: (lambda t: t and int(t.rstrip("%")) < 50)(measured((hpa_row(node, hpa) or [None])[0])),
             timeout=30, interval=1, what="a measured utilization under 50%")
    assert hpa_row(node, hpa)[1:] == ("2", "6", "2") and replicas_of(node, WEB) == 2, hpa_row(node, hpa)

    load = Load(url, clients=10, seconds=60)
    t0 = time.monotonic()
    seen, top = [], {}
    try:
        def grown():
            row = hpa_row(node, hpa)
            if row and measured(row[0]):
                seen.append(int(row[0].rstrip("%")))
            if not top:
                rows, _ = top_rows(node, "pod", "-l", "app=" + WEB, "--no-headers")
                busy = [r for r in rows or [] if cpu_milli(r[1]) > 0 and mem_bytes(r[2]) > 0]
                if len(busy) >= 2 and max(cpu_milli(r[1]) for r in busy) >= 50:  # the load shows
                    top["rows"] = rows
            return replicas_of(node, WEB) > 2 and any(u > 50 for u in seen) and top
        wait_for(grown, timeout=60, interval=1, what="a scale-up under load (TARGETS seen: %s)" % seen)
        scaled_after = time.monotonic() - t0
        during = node.kubectl("get", "hpa", hpa).stdout
        while time.monotonic() < t0 + 15:  # at least 15 s of load, as a short siege run
            row = hpa_row(node, hpa)
            if row and measured(row[0]):
                seen.append(int(row[0].rstrip("%")))
            time.sleep(1)
    finally:
        ok, failed = load.stop()
    print("scale-up %.1fs after the load started; requests ok=%d failed=%d; TARGETS seen %s; top %s"
          % (scaled_after, ok, failed, seen, top["rows"]), file=sys.stderr)
    assert ok >= 30 and failed <= ok // 10, (ok, failed)
    assert re.search(r"^%s\s+Deployment/%s\s+cpu: \d+%%/50%%\s+2\s+6\s+\d+" % (hpa, WEB), during, re.M), during
    assert max(seen) > 50, seen

    st = node.kubectl_json("get", "hpa.v2.autoscaling", hpa)
    conds = {c["type"]: c for c in st["status"]["conditions"]}
    assert conds["AbleToScale"]["status"] == "True", conds
    assert conds["ScalingActive"]["status"] == "True" and conds["ScalingActive"]["reason"] == "ValidMetricFound"
    assert "ScalingLimited" in conds, conds
    assert st["status"]["desiredReplicas"] > 2 and st["status"].get("lastScaleTime"), st["status"]
    assert st["spec"]["behavior"]["scaleUp"]["policies"], st["spec"]["behavior"]  # defaulted by the server
    v1 = json.loads(node.kubectl("get", "--raw",
                                 "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/" + hpa).stdout)
    assert v1["spec"].get("targetCPUUtilizationPercentage") == 50, v1
    assert "currentCPUUtilizationPercentage" in v1["status"], v1["status"]
    desc = node.kubectl("describe", "hpa", hpa).stdout
    assert "SuccessfulRescale" in desc and "New size:" in desc, desc
    assert "AbleToScale" in desc and "ScalingActive" in desc, desc
    assert re.search(r"resource cpu on pods\s+\(as a percentage of request\):\s+\d+% \(\d+m\) / 50%", desc), desc
    everything = node.kubectl("get", "all", "-o", "wide").stdout  # the seed's view
    assert re.search(r"horizontalpodautoscaler.autoscaling/%s\s+Deployment/%s\s+cpu: \S+/50%%" % (hpa, WEB),
                     everything), everything

    # The load stopped: back to the minimum after the short stabilization window, TARGETS low again.
    t1 = time.monotonic()
    wait_for(lambda: replicas_of(node, WEB) == 2, timeout=60, interval=1, what="the HPA to scale back to 2")
    print("back to 2 replicas %.1fs after the load stopped" % (time.monotonic() - t1), file=sys.stderr)
    row = wait_for(lambda: (lambda r: r if r and measured(r[0]) and int(r[0].rstrip("%")) < 50 else None)(
        hpa_row(node, hpa)), timeout=20, interval=1, what="TARGETS under 50% after the load")
    assert row[1:3] == ("2", "6"), row
    events = node.kubectl("get", "events", "--field-selector",
                          "involvedObject.name=%s,reason=SuccessfulRescale" % hpa, "-o", "json")
    msgs = [e["message"] for e in json.loads(events.stdout)["items"]]
    assert any("below Spec.MinReplicas" in m for m in msgs), msgs
    assert any("cpu resource utilization (percentage of request) above target" in m for m in msgs), msgs
    assert any("All metrics below target" in m for m in msgs), msgs
    # Older and newer kubectl print the same row.
    for k in (KUBECTL_127, KUBECTL_133):
        if os.path.exists(k):
            r = hpa_row(node, hpa, kubectl=k)
            assert r and r[1:3] == ("2", "6"), (k, r)
            print("%s get hpa:\n%s" % (os.path.basename(k), node.kubectl("get", "hpa", kubectl=k).stdout),
                  file=sys.stderr)
    node.kubectl("delete", "-f", "-", input=json.dumps(web_objects()))
    node.kubectl("delete", "hpa", hpa)


def test_kubectl_autoscale(node):
    apply(node, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "auto", "namespace": "default"},
                 "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "auto"}},
                          "template": {"metadata": {"labels": {"app": "auto"}},
                                       "spec": {"containers": [container("sleep 3600")]}}}})
    node.kubectl("autoscale", "deployment", "auto", "--cpu-percent=50", "--min=2", "--max=6")
    hpa = node.kubectl_json("get", "hpa", "auto")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "auto"}, hpa
    assert hpa["spec"]["minReplicas"] == 2 and hpa["spec"]["maxReplicas"] == 6, hpa
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 50}
    # A target scaled to zero is left alone (autoscaling is off while it is at zero).
    cond = wait_for(lambda: {c["type"]: c for c in node.kubectl_json("get", "hpa", "auto")["status"].get(
        "conditions") or []}.get("ScalingActive"), timeout=15, interval=0.5, what="ScalingActive")
    assert cond["status"] == "False" and cond["reason"] == "ScalingDisabled", cond
    assert replicas_of(node, "auto") == 0
    row = node.kubectl("get", "hpa", "auto", "--no-headers").stdout.split()
    assert row[:2] == ["auto", "Deployment/auto"] and "cpu:" in row and "<unknown>/50%" in row, row
    node.kubectl("delete", "hpa", "auto")
    node.kubectl("delete", "deployment", "auto")


def hpa_conditions(node, name):
    st = node.kubectl_json("get", "hpa.v2.autoscaling", name)["status"]
    return {c["type"]: c for c in st.get("conditions") or []}, st


def test_hpa_kinds_sources_and_failures(node):
    """The scale subresource of a ReplicaSet and a StatefulSet, an autoscaling/v1 object, ContainerResource and
    memory AverageValue sources, and the conditions/events of a missing target and of a missing container."""
    sel = {"matchLabels": {"app": "kinds"}}
    tmpl = {"metadata": {"labels": {"app": "kinds"}},
            "spec": {"terminationGracePeriodSeconds": 0, "containers": [container("sleep 3600")]}}
    apply(node, {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs", "namespace": "default"},
                 "spec": {"replicas": 1, "selector": sel, "template": tmpl}})
    ss_tmpl = json.loads(json.dumps(tmpl).replace('"kinds"', '"kinds-ss"'))
    apply(node, {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ss", "namespace": "default"},
                 "spec": {"replicas": 1, "serviceName": "ss", "selector": {"matchLabels": {"app": "kinds-ss"}},
                          "template": ss_tmpl}})

    def hpa(name, kind, target, metrics=None, v1=False):
        ref = {"apiVersion": "apps/v1", "kind": kind, "name": target}
        if v1:
            return {"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
                    "metadata": {"name": name, "namespace": "default"},
                    "spec": {"scaleTargetRef": ref, "minReplicas": 2, "maxReplicas": 3,
                             "targetCPUUtilizationPercentage": 50}}
        return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"scaleTargetRef": ref, "minReplicas": 2, "maxReplicas": 3, "metrics": metrics}}

    apply(node, hpa("rs-v1", "ReplicaSet", "rs", v1=True))
    apply(node, hpa("rs-mem", "ReplicaSet", "rs", [{"type": "Resource", "resource": {
        "name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}}]))
    apply(node, hpa("ss-ctr", "StatefulSet", "ss", [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "c", "target": {"type": "Utilization", "averageUtilization": 50}}}]))
    apply(node, hpa("ss-bad", "StatefulSet", "ss", [{"type": "ContainerResource", "containerResource": {
        "name": "cpu", "container": "nope", "target": {"type": "Utilization", "averageUtilization": 50}}}]))
    apply(node, hpa("ghost", "Deployment", "nope", [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}]))

    # Below minReplicas: raised through the scale subresource of either kind.
    for kind, name in (("replicaset", "rs"), ("statefulset", "ss")):
        wait_for(lambda: node.kubectl_json("get", kind, name)["spec"]["replicas"] == 2, timeout=20, interval=0.5,
                 what="%s/%s raised to minReplicas" % (kind, name))
    v2 = node.kubectl_json("get", "hpa.v2.autoscaling", "rs-v1")
    assert v2["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}}], v2["spec"]

    def active(name):
        conds, st = hpa_conditions(node, name)
        c = conds.get("ScalingActive")
        return c and c["status"] == "True" and (conds, st)
    conds, st = wait_for(lambda: active("ss-ctr"), timeout=40, interval=1, what="ss-ctr ScalingActive")
    assert conds["ScalingActive"]["reason"] == "ValidMetricFound", conds
    assert "cpu container resource utilization" in conds["ScalingActive"]["message"], conds
    cur = st["currentMetrics"][0]
    assert cur["type"] == "ContainerResource" and cur["containerResource"]["container"] == "c", st
    assert cur["containerResource"]["current"]["averageUtilization"] < 50, st
    conds, st = wait_for(lambda: active("rs-mem"), timeout=20, interval=1, what="rs-mem ScalingActive")
    assert mem_bytes(st["currentMetrics"][0]["resource"]["current"]["averageValue"]) > 0, st
    out = node.kubectl("get", "hpa").stdout
    assert re.search(r"^ss-ctr\s+StatefulSet/ss\s+cpu: \d+%/50%\s+2\s+3\s+2", out, re.M), out
    assert re.search(r"^rs-mem\s+ReplicaSet/rs\s+memory: \d+(Ki|Mi)?/100Mi\s+2\s+3\s+2", out, re.M), out
    assert re.search(r"^rs-v1\s+ReplicaSet/rs\s+cpu: (\d+%|<unknown>)/50%\s+2\s+3\s+2", out, re.M), out
    assert re.search(r"^ghost\s+Deployment/nope\s+cpu: <unknown>/50%\s+2\s+3\s+0", out, re.M), out

    # Failures: the conditions say why, and events are recorded.
    conds, _ = hpa_conditions(node, "ghost")
    assert conds["AbleToScale"]["status"] == "False" and conds["AbleToScale"]["reason"] == "FailedGetScale", conds
    bad = wait_for(lambda: (lambda c: c.get("ScalingActive", {}).get("status") == "False" and c)(
        hpa_conditions(node, "ss-bad")[0]), timeout=20, interval=1, what="ss-bad ScalingActive False")
    assert bad["ScalingActive"]["reason"] == "FailedGetContainerResourceMetric", bad
    assert "container nope not present in metrics" in bad["ScalingActive"]["message"], bad
    events = json.loads(node.kubectl("get", "events", "-o", "json").stdout)["items"]
    reasons = {(e["involvedObject"]["name"], e["reason"]) for e in events}
    assert ("ghost", "FailedGetScale") in reasons, reasons
    assert ("ss-bad", "FailedGetContainerResourceMetric") in reasons, reasons
    assert ("ss-bad", "FailedComputeMetricsReplicas") in reasons, reasons
    assert ("rs-v1", "SuccessfulRescale") in reasons or ("rs-mem", "SuccessfulRescale") in reasons, reasons
    node.kubectl("delete", "hpa", "rs-v1", "rs-mem", "ss-ctr", "ss-bad", "ghost")
    node.kubectl("delete", "replicaset", "rs")
    node.kubectl("delete", "statefulset", "ss")
