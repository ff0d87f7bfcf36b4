"""Probes, init containers, lifecycle hooks and events end to end, on a coracle server with its node agent in the
test's network namespace (as test_pods.py) and the locally built busybox image. What a user sees through kubectl:
READY 0/1 until a readiness probe passed successThreshold times, a liveness probe restarting a hung container,
a startup probe holding `started`, init containers run in order with Init:N/M, Init:Error and
Init:CrashLoopBackOff in STATUS, postStart and preStop hooks, and the kubelet's events in describe.
The pods are created together up front (the agent runs them in parallel), each test then waits on its own."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

import imagetools as it
from conftest import CORACLE_BIN, Cluster, coracle, start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
NODE = "e2e-node"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")


def ctr(name, command, **extra):
    c = {"name": name, "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": command}
    c.update(extra)
    return c


def pod(name, containers, init=None, restart="Always", grace=2):
    spec = {"nodeName": NODE, "restartPolicy": restart, "containers": containers,
            "terminationGracePeriodSeconds": grace}
    if init:
        spec["initContainers"] = init
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


PODS = [
    # Readiness over HTTP on a named port: /test appears after 6 s, then 3 successes in a row are needed.
    pod("ready-http", [ctr("web", ["sh", "-c", "mkdir -p /srv; (sleep 6; echo ok > /srv/test) & exec httpd -f -p 8000 -h /srv"],
                           ports=[{"name": "http", "containerPort": 8000}],
                           readinessProbe={"httpGet": {"path": "/test", "port": "http",
                                                       "httpHeaders": [{"name": "X-Probe", "value": "yes"}]},
                                           "periodSeconds": 1, "successThreshold": 3})]),
    # Readiness over TCP: the port opens after 3 s.
    pod("ready-tcp", [ctr("c", ["sh", "-c", "sleep 3; exec httpd -f -p 9000"],
                          readinessProbe={"tcpSocket": {"port": 9000}, "periodSeconds": 1})]),
    # Liveness by exec: healthy for 3 s, then hung (the file is gone, the process goes on).
    pod("live-exec", [ctr("c", ["sh", "-c", "touch /tmp/healthy; sleep 3; rm /tmp/healthy; exec sleep 3600"],
                          livenessProbe={"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 1, "timeoutSeconds": 5,
                                         "failureThreshold": 2})]),
    # Startup probe: started (and so ready) only once /tmp/up exists, after 3 s.
    pod("startup", [ctr("c", ["sh", "-c", "sleep 3; touch /tmp/up; exec sleep 3600"],
                        startupProbe={"exec": {"command": ["test", "-f", "/tmp/up"]}, "periodSeconds": 1, "timeoutSeconds": 5,
                                      "failureThreshold": 30})]),
    # Two init containers in order, then the app.
    pod("inits", [ctr("app", ["sleep", "3600"])],
        init=[ctr("first", ["sh", "-c", "echo first; sleep 3"]), ctr("second", ["sh", "-c", "echo second; sleep 3"])]),
    pod("init-fails-never", [ctr("app", ["sleep", "3600"])], init=[ctr("bad", ["sh", "-c", "exit 4"])],
        restart="Never"),
    pod("init-crashloop", [ctr("app", ["sleep", "3600"])], init=[ctr("bad", ["sh", "-c", "exit 1"])]),
    # Hooks: postStart and preStop write into the container's own log; the app logs SIGTERM.
    pod("hooks", [ctr("c", ["sh", "-c", "trap 'echo got-term; exit 0' TERM; echo app-up; while true; do sleep 0.2; done"],
                      lifecycle={"postStart": {"exec": {"command": ["sh", "-c", "echo post-start > /proc/1/fd/1"]}},
                                 "preStop": {"exec": {"command": ["sh", "-c", "sleep 1; echo pre-stop > /proc/1/fd/1"]}}})],
        grace=20),
    pod("poststart-fails", [ctr("c", ["sleep", "3600"],
                                lifecycle={"postStart": {"exec": {"command": ["sh", "-c", "echo nope; exit 7"]}}})]),
]


@pytest.fixture(scope="module")
def node(module_netns, request):
    c = start_agent_node(request, "coracle-probes-", 6468)
    wait_for(lambda: c.kubectl("get", "node", NODE, check=False).returncode == 0, timeout=30, what="node")
    # Every STATUS the init pod goes through, as `kubectl get -w` prints them.
    wait_for(lambda: c.kubectl("get", "serviceaccount", "default", check=False).returncode == 0, timeout=30,
             what="default service account")
    c.watch_inits = c.popen_kubectl("get", "pods", "-w", "--no-headers")
    request.addfinalizer(lambda: c.watch_inits.kill())
    c.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": PODS}))
    return c


def get_pod(node, name):
    p = node.kubectl("get", "pod", name, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def status_of(node, name, ctr_name=None, init=False):
    st = (get_pod(node, name) or {}).get("status", {})
    lst = st.get("initContainerStatuses" if init else "containerStatuses") or []
    for cs in lst:
        if ctr_name is None or cs["name"] == ctr_name:
            return cs
    return {}


def row(node, name):
    """READY, STATUS, RESTARTS of `kubectl get pod NAME`."""
    lines = node.kubectl("get", "pod", name, check=False).stdout.splitlines()
    return lines[1].split()[1:4] if len(lines) > 1 else None


def conditions(node, name):
    return {c["type"]: c for c in (get_pod(node, name) or {}).get("status", {}).get("conditions", [])}


def events(node, name):
    out = node.kubectl("get", "events", "--field-selector", "involvedObject.name=" + name, "-o", "json").stdout
    return json.loads(out)["items"]


def test_readiness_http_holds_ready_until_three_successes(node):
    cs = wait_for(lambda: status_of(node, "ready-http").get("state", {}).get("running") and status_of(node, "ready-http"),
                  timeout=30, what="ready-http running")
    assert cs["ready"] is False and cs["started"] is True, cs
    assert row(node, "ready-http")[:2] == ["0/1", "Running"]
    probe = get_pod(node, "ready-http")["spec"]["containers"][0]["readinessProbe"]  # the API's defaults
    assert (probe["timeoutSeconds"], probe["failureThreshold"], probe["httpGet"]["scheme"]) == (1, 3, "HTTP"), probe
    conds = conditions(node, "ready-http")
    assert conds["Ready"]["status"] == "False" and conds["ContainersReady"]["status"] == "False"
    assert conds["Ready"]["reason"] == "ContainersNotReady"
    # 404 while /test is missing: Unhealthy events with Kubernetes' message. (A probe that comes before httpd
    # listens gets "connection refused", an Unhealthy event of its own, as on a kubelet.)
    msg_404 = "Readiness probe failed: HTTP probe failed with statuscode: 404"
    ev = wait_for(lambda: [e for e in events(node, "ready-http") if e["reason"] == "Unhealthy" and
                           e["message"] == msg_404], timeout=20, what="Unhealthy event")
    assert ev[0]["type"] == "Warning" and ev[0]["message"] == msg_404
    assert ev[0]["involvedObject"]["fieldPath"] == "spec.containers{web}" and ev[0]["source"]["component"] == "kubelet"
    wait_for(lambda: row(node, "ready-http")[:2] == ["1/1", "Running"], timeout=40, interval=0.3, what="1/1")
    started = status_of(node, "ready-http")["state"]["running"]["startedAt"]
    became = time.time()
    # The file appears 6 s after the start; three successes one second apart make it at least ~8 s.
    start_s = time.mktime(time.strptime(started, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert became - start_s >= 7.5, (became, start_s)
    conds = conditions(node, "ready-http")
    assert conds["Ready"]["status"] == "True" and conds["ContainersReady"]["status"] == "True"
    # Events of the container's start, in describe as well.
    reasons = {e["reason"] for e in events(node, "ready-http")}
    assert {"Pulled", "Created", "Started", "Unhealthy"} <= reasons, reasons
    desc = node.kubectl("describe", "pod", "ready-http").stdout
    assert "Readiness probe failed: HTTP probe failed with statuscode: 404" in desc, desc
    assert "Started container web" in desc and "already present on machine" in desc, desc


def test_readiness_tcp(node):
    wait_for(lambda: status_of(node, "ready-tcp").get("state", {}).get("running"), timeout=30, what="running")
    wait_for(lambda: status_of(node, "ready-tcp").get("ready") is True, timeout=30, interval=0.3, what="tcp ready")
    ev = [e for e in events(node, "ready-tcp") if e["reason"] == "Unhealthy"]
    assert ev and "connect: connection refused" in ev[0]["message"], ev


def test_liveness_restarts_hung_container(node):
    cs = wait_for(lambda: status_of(node, "live-exec").get("restartCount", 0) >= 1 and status_of(node, "live-exec"),
                  timeout=40, interval=0.3, what="a restart by the liveness probe")
    last = cs["lastState"]["terminated"]
    assert last["exitCode"] == 137 and last["reason"] == "Error", last  # sh as PID 1 ignores SIGTERM
    evs = events(node, "live-exec")
    killing = [e for e in evs if e["reason"] == "Killing"]
    assert killing and killing[0]["message"] == "Container c failed liveness probe, will be restarted", killing
    unhealthy = [e for e in evs if e["reason"] == "Unhealthy"]
    assert any(e["message"].startswith("Liveness probe failed: cat: can't open '/tmp/healthy'") for e in unhealthy), \
        unhealthy
    # The new instance is healthy again for its first seconds.
    wait_for(lambda: status_of(node, "live-exec").get("state", {}).get("running"), timeout=30, what="running again")


def test_startup_probe_gates_started_and_ready(node):
    cs = wait_for(lambda: status_of(node, "startup").get("state", {}).get("running") and status_of(node, "startup"),
                  timeout=30, what="startup running")
    if cs["started"] is False:  # the window is 3 s; the test may come late
        assert cs["ready"] is False
    cs = wait_for(lambda: status_of(node, "startup").get("started") is True and status_of(node, "startup"),
                  timeout=30, interval=0.3, what="started")
    assert cs["ready"] is True and cs["restartCount"] == 0, cs


def test_init_containers_run_in_order(node):
    wait_for(lambda: row(node, "inits")[1] == "Running", timeout=60, interval=0.2, what="inits Running")
    time.sleep(0.5)
    node.watch_inits.terminate()
    out, _ = node.watch_inits.communicate(timeout=10)
    seen = [line.split()[2] for line in out.splitlines() if line.split()[:1] == ["inits"]]
    assert "Init:0/2" in seen and "Init:1/2" in seen and seen[-1] == "Running", seen
    assert seen.index("Init:0/2") < seen.index("Init:1/2"), seen
    p = get_pod(node, "inits")
    first, second = p["status"]["initContainerStatuses"]
    assert [first["name"], second["name"]] == ["first", "second"]
    for s in (first, second):
        t = s["state"]["terminated"]
        assert t["exitCode"] == 0 and t["reason"] == "Completed" and s["ready"] is True, s
    assert second["state"]["terminated"]["startedAt"] >= first["state"]["terminated"]["finishedAt"]
    conds = {c["type"]: c["status"] for c in p["status"]["conditions"]}
    assert conds["Initialized"] == "True" and conds["Ready"] == "True"
    assert node.kubectl("logs", "inits", "-c", "first").stdout == "first\n"
    assert node.kubectl("logs", "inits", "-c", "second").stdout == "second\n"
    fps = {e["involvedObject"].get("fieldPath") for e in events(node, "inits") if e["reason"] == "Started"}
    assert {"spec.initContainers{first}", "spec.initContainers{second}", "spec.containers{app}"} <= fps, fps


def test_init_failure(node):
    wait_for(lambda: (get_pod(node, "init-fails-never") or {}).get("status", {}).get("phase") == "Failed",
             timeout=40, what="Failed")
    assert row(node, "init-fails-never")[:2] == ["0/1", "Init:Error"]
    p = get_pod(node, "init-fails-never")
    assert p["status"]["initContainerStatuses"][0]["state"]["terminated"]["exitCode"] == 4
    assert p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "PodInitializing"
    init_cond = {c["type"]: c for c in p["status"]["conditions"]}["Initialized"]
    assert init_cond["status"] == "False" and init_cond["message"] == "containers with incomplete status: [bad]"
    wait_for(lambda: row(node, "init-crashloop")[1] == "Init:CrashLoopBackOff", timeout=40, interval=0.3,
             what="Init:CrashLoopBackOff")
    assert get_pod(node, "init-crashloop")["status"]["phase"] == "Pending"


def test_post_start_and_pre_stop(node):
    wait_for(lambda: "post-start" in node.kubectl("logs", "hooks").stdout, timeout=40, what="postStart ran")
    f = node.popen_kubectl("logs", "-f", "hooks")
    t0 = time.time()
    node.kubectl("delete", "pod", "hooks", "--wait=true", timeout=60)
    took = time.time() - t0
    out, _ = f.communicate(timeout=30)
    lines = out.split()
    assert "pre-stop" in lines and "got-term" in lines, out
    assert lines.index("pre-stop") < lines.index("got-term"), out  # preStop before SIGTERM
    assert 1 <= took < 15, took


def test_post_start_failure_kills_container(node):
    wait_for(lambda: status_of(node, "poststart-fails").get("restartCount", 0) >= 1, timeout=40, interval=0.3,
             what="a restart after the failed postStart hook")
    evs = events(node, "poststart-fails")
    failed = [e for e in evs if e["reason"] == "FailedPostStartHook"]
    assert failed and "nope" in failed[0]["message"], evs
    assert any(e["reason"] == "Killing" and e["message"] == "FailedPostStartHook" for e in evs)


def test_agent_restart_keeps_init_and_startup_results(node):
    before = get_pod(node, "inits")["status"]
    startup_before = status_of(node, "startup")
    assert startup_before["started"] is True
    node.kill9()
    node.start()
    time.sleep(3)  # a few syncs of the re-adopted pods
    after = wait_for(lambda: (get_pod(node, "inits") or {}).get("status"), what="inits status")
    for b, a in zip(before["initContainerStatuses"], after["initContainerStatuses"]):
        assert a["restartCount"] == 0 and a["state"]["terminated"]["containerID"] == b["state"]["terminated"]["containerID"], (b, a)
    assert after["containerStatuses"][0]["containerID"] == before["containerStatuses"][0]["containerID"]
    assert after["phase"] == "Running"
    s = status_of(node, "startup")
    assert s["containerID"] == startup_before["containerID"] and s["started"] is True, s
    wait_for(lambda: status_of(node, "startup").get("ready") is True, timeout=20, what="startup ready again")
