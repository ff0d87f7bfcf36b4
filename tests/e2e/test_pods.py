"""The node agent end to end: a coracle server WITH its agent in the test's network namespace runs pods as real
runc containers from a busybox-static image imported into its data directory. Checks what a user sees through
kubectl (phase, container states, restart counts, logs, deletion with a grace period), the container from the
inside of its pod network namespace, that containers survive kill -9 of the server and are re-adopted, and that
`coracle killall` leaves no container, mount or namespace behind."""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import imagetools as it
from conftest import CORACLE_BIN, Cluster, coracle, start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
NODE = "e2e-node"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")


@pytest.fixture(scope="module")
def node(module_netns, request):
    """A server with its node agent, the busybox image imported, logs in a temporary directory."""
    c = start_agent_node(request, "coracle-pods-", 6452)
    return c


def pod_manifest(name, command, restart="Always", image=IMAGE, policy="IfNotPresent", grace=None, resources=None,
                 env=None):
    ctr = {"name": "c", "image": image, "imagePullPolicy": policy, "command": command}
    if resources:
        ctr["resources"] = resources
    if env:
        ctr["env"] = env
    spec = {"nodeName": NODE, "restartPolicy": restart, "containers": [ctr]}
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def create(node, manifest):
    node.kubectl("apply", "-f", "-", input=json.dumps(manifest))


def get_pod(node, name):
    p = node.kubectl("get", "pod", name, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def ctr_status(pod):
    st = (pod or {}).get("status", {}).get("containerStatuses") or [{}]
    return st[0]


def wait_phase(node, name, phase, timeout=60):
    return wait_for(lambda: (get_pod(node, name) or {}).get("status", {}).get("phase") == phase and get_pod(node, name),
                    timeout=timeout, interval=0.3, what="pod %s %s: %s" % (name, phase, get_pod(node, name)))


def netns_of(pod):
    return "/run/netns/coracle-" + pod["metadata"]["uid"]


def test_node_registered(node):
    def registered():
        n = json.loads(node.kubectl("get", "node", NODE, "-o", "json", check=False).stdout or "null")
        return n if n and n.get("status", {}).get("conditions") else None
    n = wait_for(registered, timeout=30, what="node with status")
    conds = {c["type"]: c for c in n["status"]["conditions"]}
    assert conds["Ready"]["status"] == "True" and conds["Ready"]["reason"] == "KubeletReady"
    for t in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        assert conds[t]["status"] == "False"
    info = n["status"]["nodeInfo"]
    assert info["containerRuntimeVersion"].startswith("runc://1.")
    assert info["kubeletVersion"] == "v1.32.0-coracle" and info["operatingSystem"] == "linux"
    assert n["status"]["capacity"]["pods"] == "110"
    assert any(a["type"] == "InternalIP" for a in n["status"]["addresses"])
    # The imported image, as the kubelet lists it: repository@digest and repository:tag, with its size.
    imgs = n["status"]["images"]
    busybox = [i for i in imgs if IMAGE in i["names"]]
    assert busybox and busybox[0]["sizeBytes"] > 0, imgs
    assert any(x.startswith("docker.io/e2e/busybox@sha256:") for x in busybox[0]["names"]), imgs
    lease = node.kubectl_json("get", "lease", "-n", "kube-node-lease", NODE)
    assert lease["spec"]["holderIdentity"] == NODE and lease["spec"]["renewTime"]
    out = node.kubectl("get", "nodes").stdout
    assert " Ready " in out, out


def test_pod_runs_logs_and_limits(node):
    create(node, pod_manifest("hello", ["sh", "-c", "echo hello $GREETING; echo oops >&2; exec sleep 3600"],
                              resources={"limits": {"cpu": "500m", "memory": "64Mi"}},
                              env=[{"name": "GREETING", "value": "world"},
                                   {"name": "MYPOD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]))
    pod = wait_phase(node, "hello", "Running")
    cs = ctr_status(pod)
    assert cs["ready"] and cs["restartCount"] == 0 and "running" in cs["state"]
    assert cs["containerID"].startswith("runc://") and cs["imageID"].startswith("docker.io/e2e/busybox@sha256:")
    conds = {c["type"]: c["status"] for c in pod["status"]["conditions"]}
    assert conds["Ready"] == "True" and conds["ContainersReady"] == "True" and conds["PodScheduled"] == "True"
    assert pod["status"]["hostIP"] and pod["status"]["startTime"]
    assert pod["status"]["qosClass"] == "Guaranteed"
    logs = wait_for(lambda: node.kubectl("logs", "hello").stdout if "oops" in node.kubectl("logs", "hello").stdout else None,
                    what="logs")
    assert logs == "hello world\noops\n", logs
    assert node.kubectl("logs", "hello", "-c", "c", "--tail", "1").stdout == "oops\n"
    ts = node.kubectl("logs", "hello", "--timestamps").stdout.splitlines()[0]
    assert ts.endswith(" hello world") and ts[:4].isdigit() and "T" in ts.split()[0]
    uid = pod["metadata"]["uid"]
    files = os.listdir(os.path.join(node.logdir, "default_hello_%s" % uid, "c"))
    assert files == ["0.log"]
    with open(os.path.join(node.logdir, "default_hello_%s" % uid, "c", "0.log")) as f:
        first = f.readline()
    assert first.split(" ", 3)[1:] == ["stdout", "F", "hello world\n"], first
    cg = "/coracle/pods/pod%s/c" % uid  # Guaranteed: directly under the pods' root (runtime/cgroup.h)
    with open("/sys/fs/cgroup/memory%s/memory.limit_in_bytes" % cg) as f:
        assert int(f.read()) == 64 * 1024 * 1024
    with open("/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us" % cg) as f:
        assert int(f.read()) == 50000
    # The environment and hostname inside the container.
    env = subprocess.run(["runc", "--root", os.path.join(node.data_dir, "agent", "runc"), "exec",
                          cs["containerID"][len("runc://"):], "sh", "-c", "echo $MYPOD $HOSTNAME; hostname"],
                         capture_output=True, text=True, timeout=30)
    assert env.stdout == "hello hello\nhello\n", env
    # kubectl get shows it.
    row = node.kubectl("get", "pod", "hello").stdout.splitlines()[1].split()
    assert row[1:4] == ["1/1", "Running", "0"], row


def test_logs_follow(node):
    create(node, pod_manifest("ticker", ["sh", "-c", "for i in 1 2 3; do echo tick $i; sleep 1; done"],
                              restart="Never"))
    wait_for(lambda: ctr_status(get_pod(node, "ticker")).get("containerID"), what="ticker started")
    p = node.kubectl("logs", "-f", "ticker", timeout=30)
    assert p.stdout == "tick 1\ntick 2\ntick 3\n", p.stdout
    pod = wait_phase(node, "ticker", "Succeeded")
    term = ctr_status(pod)["state"]["terminated"]
    assert term["exitCode"] == 0 and term["reason"] == "Completed"
    node.kubectl("delete", "pod", "ticker", "--wait=true")


def test_httpd_answers_in_pod_netns(node):
    create(node, pod_manifest("web", ["httpd", "-f", "-p", "8080", "-h", "/www"]))
    pod = wait_phase(node, "web", "Running")
    assert pod["status"]["podIP"].startswith("10.42.")  # from the node's podCIDR (test_network.py has the rest)
    def fetch():
        p = subprocess.run(["nsenter", "--net=" + netns_of(pod), "timeout", "5", "busybox", "wget", "-q", "-O", "-",
                            "http://127.0.0.1:8080/"], capture_output=True, text=True)
        return p.stdout if p.returncode == 0 else None
    assert "hello from busybox httpd" in wait_for(fetch, timeout=20, what="httpd answer")


def test_failed_and_succeeded(node):
    create(node, pod_manifest("fails", ["sh", "-c", "echo bye; exit 3"], restart="Never"))
    create(node, pod_manifest("works", ["true"], restart="OnFailure"))
    pod = wait_phase(node, "fails", "Failed")
    t = ctr_status(pod)["state"]["terminated"]
    assert t["exitCode"] == 3 and t["reason"] == "Error" and t["finishedAt"]
    assert node.kubectl("logs", "fails").stdout == "bye\n"
    wait_phase(node, "works", "Succeeded")
    node.kubectl("delete", "pod", "fails", "works", "--wait=true")


def test_crashloop_backoff(node):
    create(node, pod_manifest("crash", ["sh", "-c", "echo crashing; exit 2"]))
    def crashed():
        cs = ctr_status(get_pod(node, "crash"))
        w = cs.get("state", {}).get("waiting", {})
        return cs if cs.get("restartCount", 0) >= 1 and w.get("reason") == "CrashLoopBackOff" else None
    cs = wait_for(crashed, timeout=40, interval=0.3, what="CrashLoopBackOff")
    assert cs["lastState"]["terminated"]["exitCode"] == 2
    assert "back-off" in cs["state"]["waiting"]["message"]
    wait_for(lambda: ctr_status(get_pod(node, "crash")).get("restartCount", 0) >= 2, timeout=40, interval=0.5,
             what="a second restart after the back-off")
    assert get_pod(node, "crash")["status"]["phase"] == "Running"
    out = node.kubectl("logs", "crash", "--previous", check=False)
    assert out.stdout == "crashing\n", out
    node.kubectl("delete", "pod", "crash", "--wait=true")


def test_missing_image(node):
    create(node, pod_manifest("noimg", ["true"], image="127.0.0.1:1/e2e/nothere:1", policy="Always"))
    def reason():
        w = ctr_status(get_pod(node, "noimg")).get("state", {}).get("waiting", {})
        return w if w.get("reason") in ("ErrImagePull", "ImagePullBackOff") else None
    w = wait_for(reason, timeout=30, what="ErrImagePull")
    if w["reason"] == "ErrImagePull":
        assert "failed to pull image" in w["message"], w
    wait_for(lambda: ctr_status(get_pod(node, "noimg")).get("state", {}).get("waiting", {}).get("reason")
             == "ImagePullBackOff", timeout=30, what="ImagePullBackOff")
    assert get_pod(node, "noimg")["status"]["phase"] == "Pending"
    node.kubectl("delete", "pod", "noimg", "--wait=true")


def test_delete_honours_grace_period(node):
    # sleep as PID 1 ignores SIGTERM: the agent must wait for the grace period, then SIGKILL.
    create(node, pod_manifest("slow", ["sleep", "3600"], grace=3))
    pod = wait_phase(node, "slow", "Running")
    t0 = time.time()
    node.kubectl("delete", "pod", "slow", "--wait=true", timeout=60)
    took = time.time() - t0
    assert 2.5 <= took < 20, took
    assert not os.path.exists(netns_of(pod))
    assert get_pod(node, "slow") is None
    # A pod whose process handles SIGTERM goes at once.
    create(node, pod_manifest("quick", ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"], grace=30))
    wait_phase(node, "quick", "Running")
    t0 = time.time()
    node.kubectl("delete", "pod", "quick", "--wait=true", timeout=60)
    assert time.time() - t0 < 10


def test_kill9_server_keeps_containers(node):
    create(node, pod_manifest("survivor", ["sleep", "3600"]))
    pod = wait_phase(node, "survivor", "Running")
    before = ctr_status(pod)
    bundle = os.path.join(node.data_dir, "agent", "pods", pod["metadata"]["uid"], "c", "0")
    with open(os.path.join(bundle, "shim.pid")) as f:
        shim = int(f.read())
    # The monitor is the small coracle-shim beside the binary under test, not a re-exec of coracle.
    small = os.path.join(os.path.dirname(os.path.realpath(CORACLE_BIN)), "coracle-shim")
    assert os.readlink("/proc/%d/exe" % shim) == small
    node.kill9()
    with open(os.path.join(bundle, "container.pid")) as f:
        pid = int(f.read())
    assert os.path.exists("/proc/%d" % pid), "the container died with the server"
    assert os.path.exists("/proc/%d" % shim), "the monitor died with the server"
    node.start()
    time.sleep(3)
    pod = wait_phase(node, "survivor", "Running")
    after = ctr_status(pod)
    assert after["containerID"] == before["containerID"] and after["restartCount"] == before["restartCount"]
    assert os.path.exists("/proc/%d" % pid) and os.path.exists("/proc/%d" % shim)
    # hello from the first test was re-adopted too.
    assert ctr_status(get_pod(node, "hello"))["restartCount"] == 0


def test_killall_cleans_up(node):
    pods = node.kubectl_json("get", "pods")["items"]
    uids = [p["metadata"]["uid"] for p in pods]
    assert uids
    node.stop()
    out = coracle("killall", "--data-dir", node.data_dir).stdout
    assert out.startswith("Stopped "), out
    root = os.path.join(node.data_dir, "agent", "runc")
    listed = subprocess.run(["runc", "--root", root, "list", "-q"], capture_output=True, text=True).stdout.split()
    assert listed == []
    with open("/proc/self/mountinfo") as f:
        assert node.data_dir not in f.read()
    for uid in uids:
        assert not os.path.exists("/run/netns/coracle-" + uid)
        for qos in ("", "burstable/", "besteffort/"):
            assert not os.path.exists("/sys/fs/cgroup/memory/coracle/pods/%spod%s" % (qos, uid))
    node.start()  # the finalizer stops it again
