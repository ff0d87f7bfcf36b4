"""The container runtime end to end: securityContext as the container sees it (user and groups from `id`,
runAsNonRoot refused with CreateContainerConfigError, a read-only root, capabilities in /proc/1/status,
privileged), pod cgroups per QoS class with their limits read on the host, an OOM kill reported as OOMKilled,
and CRI log rotation with `kubectl logs` and `kubectl logs -f` still reading the current file."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

import imagetools as it
from conftest import CORACLE_BIN, Cluster, coracle, start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
NODE = "e2e-node"
CG = "/sys/fs/cgroup"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None or os.path.exists(CG + "/cgroup.controllers"),
                                reason="needs runc and a host with v1 cgroup controllers")


@pytest.fixture(scope="module")
def node(module_netns, request):
    """A server with its agent, small log files (2Ki, 3 kept) and a pids limit per pod."""
    c = start_agent_node(request, "coracle-runtime-", 6481,
                         extra_args=["--container-log-max-size", "2Ki", "--container-log-max-files", "3",
                                     "--pod-max-pids", "256"])
    return c


def ctr(name, command, sc=None, resources=None):
    c = {"name": name, "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", command]}
    if sc is not None:
        c["securityContext"] = sc
    if resources:
        c["resources"] = resources
    return c


def create(node, name, containers, pod_sc=None, restart="Never"):
    spec = {"nodeName": NODE, "restartPolicy": restart, "containers": containers,
            "terminationGracePeriodSeconds": 0}
    if pod_sc:
        spec["securityContext"] = pod_sc
    m = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}
    node.kubectl("apply", "-f", "-", input=json.dumps(m))


def get_pod(node, name):
    p = node.kubectl("get", "pod", name, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def statuses(pod):
    return {s["name"]: s for s in (pod or {}).get("status", {}).get("containerStatuses") or []}


def wait_phase(node, name, phase, timeout=60):
    return wait_for(lambda: (get_pod(node, name) or {}).get("status", {}).get("phase") == phase and get_pod(node, name),
                    timeout=timeout, interval=0.3, what="pod %s %s: %s" % (name, phase, get_pod(node, name)))


def logs(node, pod, container=None):
    args = ["logs", pod] + (["-c", container] if container else [])
    return node.kubectl(*args).stdout


def read(path):
    with open(path) as f:
        return f.read().strip()


def test_user_groups_and_no_new_privs(node):
    create(node, "ids", [ctr("c", "id; grep NoNewPrivs /proc/self/status",
                             sc={"runAsUser": 1001, "allowPrivilegeEscalation": False})],
           pod_sc={"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "supplementalGroups": [4000]})
    wait_phase(node, "ids", "Succeeded")
    out = logs(node, "ids")
    m = re.match(r"uid=(\d+)\S* gid=(\d+)\S* groups=(\S+)", out)
    assert m, out
    assert m.group(1) == "1001" and m.group(2) == "3000"  # the container's runAsUser over the pod's
    assert sorted(int(g.split("(")[0]) for g in m.group(3).split(",")) == [2000, 3000, 4000], out
    assert "NoNewPrivs:\t1" in out, out


def test_run_as_non_root_refused(node):
    create(node, "nonroot", [ctr("c", "sleep 3600", sc={"runAsNonRoot": True})], restart="Always")
    uid = wait_for(lambda: get_pod(node, "nonroot"), what="pod")["metadata"]["uid"]

    def refused():
        w = statuses(get_pod(node, "nonroot")).get("c", {}).get("state", {}).get("waiting", {})
        return w if w.get("reason") == "CreateContainerConfigError" else None
    w = wait_for(refused, timeout=30, what="CreateContainerConfigError")
    assert w["message"] == ("container has runAsNonRoot and image will run as root (pod: \"nonroot_default(%s)\", "
                            "container: c)" % uid), w
    row = node.kubectl("get", "pod", "nonroot").stdout.splitlines()[1].split()
    assert row[2] == "CreateContainerConfigError", row
    node.kubectl("delete", "pod", "nonroot", "--wait=false")


def test_read_only_root(node):
    create(node, "rofs", [ctr("c", "touch /x 2>&1; echo rc=$?; touch /tmp/y 2>&1; echo tmp=$?",
                              sc={"readOnlyRootFilesystem": True})])
    wait_phase(node, "rofs", "Succeeded")
    out = logs(node, "rofs")
    assert "Read-only file system" in out and "rc=1" in out and "tmp=1" in out, out


def test_capabilities(node):
    show = "grep CapEff /proc/1/status"
    create(node, "caps", [ctr("none", show, sc={"capabilities": {"drop": ["ALL"]}}),
                          ctr("one", show, sc={"capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN"]}}),
                          ctr("default", show),
                          ctr("nokill", show, sc={"capabilities": {"drop": ["CAP_KILL"]}})])
    wait_phase(node, "caps", "Succeeded")
    assert logs(node, "caps", "none") == "CapEff:\t0000000000000000\n"
    assert logs(node, "caps", "one") == "CapEff:\t%016x\n" % (1 << 12)
    assert logs(node, "caps", "default") == "CapEff:\t00000000a80425fb\n"  # containerd's default set
    assert logs(node, "caps", "nokill") == "CapEff:\t%016x\n" % (0xa80425fb & ~(1 << 5))


def test_privileged(node):
    with open("/proc/self/status") as f:
        host_bnd = int(re.search(r"CapBnd:\s+([0-9a-f]+)", f.read()).group(1), 16)
    cmd = ("grep CapEff /proc/1/status; echo masked=$(grep -c ' /proc/timer_list ' /proc/self/mountinfo); "
           "grep -q ' /sys rw' /proc/self/mountinfo && echo sys=rw; test -c /dev/kmsg && echo kmsg; true")
    create(node, "priv", [ctr("p", cmd, sc={"privileged": True}), ctr("u", cmd)])
    wait_phase(node, "priv", "Succeeded")
    p, u = logs(node, "priv", "p"), logs(node, "priv", "u")
    assert int(re.search(r"CapEff:\s+([0-9a-f]+)", p).group(1), 16) == host_bnd & ((1 << 41) - 1), p
    assert "masked=0" in p and "sys=rw" in p, p
    assert "masked=1" in u and "sys=rw" not in u, u
    if os.path.exists("/dev/kmsg"):
        assert "kmsg" in p and "kmsg" not in u, (p, u)


def test_qos_cgroups(node):
    create(node, "guaranteed", [ctr("c", "sleep 3600", resources={"limits": {"cpu": "500m", "memory": "64Mi"}})],
           restart="Always")
    create(node, "burstable", [ctr("c", "sleep 3600", resources={"requests": {"cpu": "100m"},
                                                                 "limits": {"memory": "128Mi"}}),
                               ctr("d", "sleep 3600", resources={"requests": {"cpu": "200m"}})], restart="Always")
    create(node, "besteffort", [ctr("c", "sleep 3600")], restart="Always")
    pods = {n: wait_phase(node, n, "Running") for n in ("guaranteed", "burstable", "besteffort")}
    assert {n: p["status"]["qosClass"] for n, p in pods.items()} == {
        "guaranteed": "Guaranteed", "burstable": "Burstable", "besteffort": "BestEffort"}
    g = "/coracle/pods/pod" + pods["guaranteed"]["metadata"]["uid"]
    b = "/coracle/pods/burstable/pod" + pods["burstable"]["metadata"]["uid"]
    e = "/coracle/pods/besteffort/pod" + pods["besteffort"]["metadata"]["uid"]
    # Guaranteed: the pod carries the summed limits, the container its own inside it.
    assert read(CG + "/cpu" + g + "/cpu.cfs_quota_us") == "50000"
    assert read(CG + "/cpu" + g + "/cpu.shares") == "512"
    assert read(CG + "/memory" + g + "/memory.limit_in_bytes") == str(64 << 20)
    assert read(CG + "/memory" + g + "/c/memory.limit_in_bytes") == str(64 << 20)
    assert read(CG + "/pids" + g + "/pids.max") == "256"
    # Burstable: shares from the summed requests (300m), no quota, no pod memory limit (one container has none).
    assert read(CG + "/cpu" + b + "/cpu.shares") == "307"
    assert read(CG + "/cpu" + b + "/cpu.cfs_quota_us") == "-1"
    assert int(read(CG + "/memory" + b + "/memory.limit_in_bytes")) > 1 << 60
    assert read(CG + "/memory" + b + "/c/memory.limit_in_bytes") == str(128 << 20)
    assert os.path.isdir(CG + "/cpu" + b + "/d")
    assert int(read(CG + "/cpu/coracle/pods/burstable/cpu.shares")) >= 307
    # BestEffort: the smallest weight, for the class and the pod.
    assert read(CG + "/cpu" + e + "/cpu.shares") == "2"
    assert read(CG + "/cpu/coracle/pods/besteffort/cpu.shares") == "2"
    assert os.path.isdir(CG + "/memory" + e + "/c")
    # The container's processes are in the container cgroup under the pod's.
    pid = int(read(CG + "/pids" + g + "/c/cgroup.procs").split()[0])
    with open("/proc/%d/cgroup" % pid) as f:
        assert ("memory:%s/c\n" % g) in f.read()
    # Deleting a pod removes its cgroup.
    node.kubectl("delete", "pod", "burstable", "besteffort", "--grace-period=0", "--wait=false")
    wait_for(lambda: not os.path.exists(CG + "/cpu" + b) and not os.path.exists(CG + "/memory" + e),
             timeout=30, what="pod cgroups removed")
    node.kubectl("delete", "pod", "guaranteed", "--grace-period=0", "--wait=false")


def test_oom_killed(node):
    create(node, "oom", [ctr("c", "echo started; exec dd if=/dev/zero of=/dev/null bs=100M count=1",
                             resources={"limits": {"memory": "32Mi"}})], restart="Always")

    def restarted_after_oom():
        s = statuses(get_pod(node, "oom")).get("c", {})
        return s if s.get("restartCount", 0) >= 1 and s.get("lastState", {}).get("terminated") else None
    s = wait_for(restarted_after_oom, timeout=60, interval=0.3, what="a restart after the OOM kill")
    t = s["lastState"]["terminated"]
    assert t["reason"] == "OOMKilled" and t["exitCode"] == 137, s
    node.kubectl("delete", "pod", "oom", "--grace-period=0", "--wait=false")


def test_log_rotation_and_follow(node):
    # ~70-byte records against 2Ki files: dozens of rotations while `kubectl logs -f` follows.
    writer = ("sleep 2; i=0; while [ $i -lt 300 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); "
              "[ $((i % 10)) = 0 ] && sleep 0.1; done; echo done; sleep 3600")
    create(node, "rotate", [ctr("c", writer)], restart="Always")
    pod = wait_phase(node, "rotate", "Running")
    follow = node.popen_kubectl("logs", "-f", "rotate")
    try:
        seen = []
        deadline = time.time() + 60
        while time.time() < deadline:
            line = follow.stdout.readline()
            if not line:
                break
            seen.append(line.rstrip("\n"))
            if line.startswith("done"):
                break
    finally:
        follow.kill()
        follow.wait()
    assert seen and seen[-1] == "done", seen[-5:]
    nums = [int(s.split("-")[1]) for s in seen[:-1]]
    assert nums == list(range(nums[0], 300)) and nums[0] < 50, nums[:10]  # no line lost across rotations
    d = os.path.join(node.logdir, "default_rotate_%s" % pod["metadata"]["uid"], "c")
    files = sorted(os.listdir(d))
    assert len(files) <= 3 and "0.log" in files, files
    rotated = [f for f in files if f.startswith("0.log.")]
    assert rotated and any(f.endswith(".gz") for f in rotated) and any(not f.endswith(".gz") for f in rotated), files
    assert all(os.path.getsize(os.path.join(d, f)) <= 2048 for f in files if not f.endswith(".gz")), files
    # kubectl logs reads the current file: the last records, ending with "done".
    out = logs(node, "rotate")
    assert out.endswith("done\n") and len(out) < 2048 and "line-0-" not in out, out[-200:]
    node.kubectl("delete", "pod", "rotate", "--grace-period=0", "--wait=false")
