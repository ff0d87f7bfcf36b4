"""Volumes, environment from objects and image pull secrets, end to end: a coracle server WITH its node agent
runs busybox pods that print what they see (their environment, files of their volumes with modes) to their
logs, read back with `kubectl logs`. Covers configMap and secret as env (valueFrom, envFrom) and as files
(items, defaultMode), a file updated in place after `kubectl patch cm`, emptyDir shared by two containers,
hostPath, downwardAPI, projected, service environment variables, a pod waiting for a missing ConfigMap, and a
pull from a registry that requires basic auth with a `kubectl create secret docker-registry` secret."""
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
    c = start_agent_node(request, "coracle-volumes-", 6470)
    return c


def apply(node, *objs):
    node.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)}))


def pod(name, containers, volumes=None, **spec):
    for ctr in containers:
        ctr.setdefault("image", IMAGE)
        ctr.setdefault("imagePullPolicy", "IfNotPresent")
    s = {"nodeName": NODE, "terminationGracePeriodSeconds": 0, "containers": containers}
    if volumes:
        s["volumes"] = volumes
    s.update(spec)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": s}


def get_pod(node, name):
    p = node.kubectl("get", "pod", name, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def statuses(p):
    return {s["name"]: s for s in ((p or {}).get("status", {}).get("containerStatuses") or [])}


def logs_with(node, name, marker, container=None, timeout=30):
    args = ["logs", name] + (["-c", container] if container else [])

    def get():
        p = node.kubectl(*args, check=False)
        return p.stdout if p.returncode == 0 and marker in p.stdout else None
    return wait_for(get, timeout=timeout, interval=0.3, what="%s in logs of %s: %s" % (
        marker, name, node.kubectl(*args, check=False).stdout + str(statuses(get_pod(node, name)))))


def kv_lines(text):
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k, v)
    return out


def cm(name, data):
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_configmap_and_secret_as_env_and_files(node):
    node.kubectl("create", "secret", "generic", "app-secret", "--from-literal=password=s3cr3t",
                 "--from-literal=user=admin")
    apply(node, cm("app-config", {"greeting": "hello", "game.properties": "lives=3\nlevel=7\n", "1st": "skipped"}))
    script = ("echo GREETING=$GREETING; echo PASSWORD=$PASSWORD; echo CFG_GREETING=$CFG_greeting; "
              "echo USER=$user; echo EXPANDED=$EXPANDED; echo FIRST=${CFG_1st:-unset}; "
              "echo GAME=$(cat /etc/cfg/game.cfg | tr '\\n' ' '); echo GAMEMODE=$(stat -L -c %a /etc/cfg/game.cfg); "
              "echo HELLOMODE=$(stat -L -c %a /etc/cfg/greeting); echo CFGFILES=$(ls /etc/cfg | tr '\\n' ' '); "
              "echo SECRET=$(cat /etc/sec/password); echo SECMODE=$(stat -L -c %a /etc/sec/password); "
              "echo SECFS=$(grep ' /etc/sec ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1); "
              "echo ONE=$(cat /etc/one); echo DONE; "
              "while true; do echo TICK=$(cat /etc/cfg/greeting); sleep 1; done")
    apply(node, pod("cfg", [{
        "name": "c", "command": ["sh", "-c", script],
        "env": [{"name": "GREETING", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "greeting"}}},
                {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "app-secret", "key": "password"}}},
                {"name": "EXPANDED", "value": "$(GREETING)-$(user)"},
                {"name": "NOPE", "valueFrom": {"configMapKeyRef": {"name": "absent", "key": "x", "optional": True}}}],
        "envFrom": [{"configMapRef": {"name": "app-config"}, "prefix": "CFG_"}, {"secretRef": {"name": "app-secret"}}],
        "volumeMounts": [{"name": "cfg", "mountPath": "/etc/cfg"}, {"name": "sec", "mountPath": "/etc/sec"},
                         {"name": "cfg", "mountPath": "/etc/one", "subPath": "greeting"}]}],
        volumes=[{"name": "cfg", "configMap": {"name": "app-config", "defaultMode": 0o600,
                                               "items": [{"key": "game.properties", "path": "game.cfg",
                                                          "mode": 0o640}, {"key": "greeting", "path": "greeting"}]}},
                 {"name": "sec", "secret": {"secretName": "app-secret", "defaultMode": 0o400}}]))
    out = kv_lines(logs_with(node, "cfg", "DONE"))
    assert out["GREETING"] == "hello" and out["PASSWORD"] == "s3cr3t", out
    assert out["CFG_GREETING"] == "hello" and out["USER"] == "admin", out
    assert out["EXPANDED"] == "hello-admin", out
    assert out["FIRST"] == "skipped", out  # "1st" alone is no valid name, "CFG_1st" is
    assert out["GAME"] == "lives=3 level=7", out
    assert out["GAMEMODE"] == "640" and out["HELLOMODE"] == "600", out
    assert out["CFGFILES"].split() == ["game.cfg", "greeting"], out
    assert out["SECRET"] == "s3cr3t" and out["SECMODE"] == "400" and out["SECFS"] == "ro", out
    assert out["ONE"] == "hello", out
    # The file follows the ConfigMap in place; the environment does not.
    t0 = time.time()
    node.kubectl("patch", "cm", "app-config", "-p", json.dumps({"data": {"greeting": "bonjour"}}))
    logs_with(node, "cfg", "TICK=bonjour", timeout=15)
    took = time.time() - t0
    print("configmap update visible in the container after %.1fs" % took)
    assert took < 10, "update took %.1fs" % took
    assert statuses(get_pod(node, "cfg"))["c"]["restartCount"] == 0


def test_env_from_invalid_keys_skipped(node):
    apply(node, cm("odd-keys", {"1st": "x", "ok": "y"}),
          pod("oddenv", [{"name": "c", "command": ["sh", "-c", "env | sort; echo DONE; sleep 3600"],
                          "envFrom": [{"configMapRef": {"name": "odd-keys"}}]}]))
    out = kv_lines(logs_with(node, "oddenv", "DONE"))
    assert out["ok"] == "y" and "1st" not in out, out


def test_emptydir_hostpath_downward_projected(node):
    host_dir = tempfile.mkdtemp(prefix="coracle-hostpath-")
    with open(os.path.join(host_dir, "host.txt"), "w") as f:
        f.write("from-the-host")
    created = os.path.join(host_dir, "made", "by", "kubelet")
    node.kubectl("create", "secret", "generic", "proj-secret", "--from-literal=token=t0k")
    apply(node, cm("proj-cm", {"color": "blue"}))
    reader = ("while [ ! -f /shared/msg ]; do sleep 0.2; done; echo MSG=$(cat /shared/msg); "
              "echo SHAREDFS=$(grep ' /shared ' /proc/mounts | cut -d' ' -f3); echo MEMFS=$(grep ' /mem ' /proc/mounts | cut -d' ' -f3); "
              "echo HOST=$(cat /host/host.txt); echo > /host/written-by-pod; "
              "echo LABELS=$(cat /info/labels | tr '\\n' ' '); echo NAME=$(cat /info/name); "
              "echo sub > /sub/f; echo SUBEXPR=$(cat /shared/by-vols/f); "
              "echo PCOLOR=$(cat /proj/color); echo PTOKEN=$(cat /proj/sec/token); echo PNS=$(cat /proj/ns); "
              "echo DONE; while true; do echo LBL=$(cat /info/labels | tr '\\n' ' '); sleep 1; done")
    p = pod("vols", [
        {"name": "writer", "command": ["sh", "-c", "echo from-writer > /shared/msg; sleep 3600"],
         "volumeMounts": [{"name": "shared", "mountPath": "/shared"}]},
        {"name": "reader", "command": ["sh", "-c", reader],
         "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
         "volumeMounts": [{"name": "shared", "mountPath": "/shared"},
                          {"name": "shared", "mountPath": "/sub", "subPathExpr": "by-$(POD_NAME)"}, {"name": "mem", "mountPath": "/mem"},
                          {"name": "host", "mountPath": "/host"}, {"name": "created", "mountPath": "/created"},
                          {"name": "info", "mountPath": "/info"}, {"name": "proj", "mountPath": "/proj"}]}],
        volumes=[{"name": "shared", "emptyDir": {}},
                 {"name": "mem", "emptyDir": {"medium": "Memory", "sizeLimit": "8Mi"}},
                 {"name": "host", "hostPath": {"path": host_dir, "type": "Directory"}},
                 {"name": "created", "hostPath": {"path": created, "type": "DirectoryOrCreate"}},
                 {"name": "info", "downwardAPI": {"items": [
                     {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                     {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}}]}},
                 {"name": "proj", "projected": {"sources": [
                     {"configMap": {"name": "proj-cm"}},
                     {"secret": {"name": "proj-secret", "items": [{"key": "token", "path": "sec/token"}]}},
                     {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}]}}])
    p["metadata"]["labels"] = {"app": "vols", "tier": "back"}
    try:
        apply(node, p)
        out = kv_lines(logs_with(node, "vols", "DONE", container="reader"))
        assert out["MSG"] == "from-writer", out
        assert out["SUBEXPR"] == "sub", out
        assert out["SHAREDFS"] != "tmpfs" and out["MEMFS"] == "tmpfs", out
        assert out["HOST"] == "from-the-host", out
        assert os.path.exists(os.path.join(host_dir, "written-by-pod"))
        assert os.path.isdir(created)
        assert out["LABELS"] == 'app="vols" tier="back"', out
        assert out["NAME"] == "vols", out
        assert out["PCOLOR"] == "blue" and out["PTOKEN"] == "t0k" and out["PNS"] == "default", out
        # downwardAPI files follow the pod's labels.
        node.kubectl("label", "pod", "vols", "extra=yes")
        logs_with(node, "vols", 'LBL=app="vols" extra="yes" tier="back"', container="reader", timeout=15)
        # The Memory emptyDir is a tmpfs of the asked size on the host side.
        uid = get_pod(node, "vols")["metadata"]["uid"]
        mem_dir = os.path.join(node.data_dir, "agent", "pods", uid, "volumes", "kubernetes.io~empty-dir", "mem")
        st = os.statvfs(mem_dir)
        assert st.f_blocks * st.f_frsize == 8 * 1024 * 1024
        # Both media are world-writable (0777) as a kubelet makes them, so that any user of the pod may write.
        for d in (mem_dir, os.path.join(os.path.dirname(mem_dir), "shared")):
            assert os.stat(d).st_mode & 0o7777 == 0o777, (d, oct(os.stat(d).st_mode))
        # Deleting the pod unmounts and removes its volumes, and leaves the host path alone.
        node.kubectl("delete", "pod", "vols", "--wait=true", timeout=60)
        wait_for(lambda: not os.path.exists(os.path.join(node.data_dir, "agent", "pods", uid)), timeout=20,
                 what="pod directory removed")
        with open("/proc/self/mountinfo") as f:
            assert uid not in f.read()
        assert open(os.path.join(host_dir, "host.txt")).read() == "from-the-host"
    finally:
        node.kubectl("delete", "pod", "vols", "--ignore-not-found", "--wait=false", check=False)
        shutil.rmtree(host_dir, ignore_errors=True)


def test_service_environment_variables(node):
    node.kubectl("create", "service", "clusterip", "my-svc", "--tcp=8080:80")
    svc = node.kubectl_json("get", "service", "my-svc")
    ip = svc["spec"]["clusterIP"]
    kube_ip = node.kubectl_json("get", "service", "kubernetes")["spec"]["clusterIP"]
    apply(node, pod("svcenv", [{"name": "c", "command": ["sh", "-c", "env | sort; echo DONE; sleep 3600"]}]),
          pod("nolinks", [{"name": "c", "command": ["sh", "-c", "env | sort; echo DONE; sleep 3600"]}],
              enableServiceLinks=False))
    out = kv_lines(logs_with(node, "svcenv", "DONE"))
    assert out["MY_SVC_SERVICE_HOST"] == ip and out["MY_SVC_SERVICE_PORT"] == "8080", out
    assert out["MY_SVC_SERVICE_PORT_8080_80"] == "8080", out
    assert out["MY_SVC_PORT"] == "tcp://%s:8080" % ip and out["MY_SVC_PORT_8080_TCP_ADDR"] == ip, out
    assert out["KUBERNETES_SERVICE_HOST"] == kube_ip and out["KUBERNETES_SERVICE_PORT"] == "443", out
    assert out["KUBERNETES_PORT_443_TCP"] == "tcp://%s:443" % kube_ip, out
    out = kv_lines(logs_with(node, "nolinks", "DONE"))
    assert "MY_SVC_SERVICE_HOST" not in out and out["KUBERNETES_SERVICE_HOST"] == kube_ip, out


def test_missing_configmap_waits(node):
    apply(node,
          pod("latevol", [{"name": "c", "command": ["sh", "-c", "echo V=$(cat /cfg/k); sleep 3600"],
                           "volumeMounts": [{"name": "v", "mountPath": "/cfg"}]}],
              volumes=[{"name": "v", "configMap": {"name": "late-vol"}}]),
          pod("lateenv", [{"name": "c", "command": ["sh", "-c", "echo E=$E; sleep 3600"],
                           "env": [{"name": "E", "valueFrom": {"configMapKeyRef": {"name": "late-env", "key": "k"}}}]}]))

    def waiting(name, reason):
        def f():
            st = statuses(get_pod(node, name)).get("c", {}).get("state", {}).get("waiting", {})
            return st if st.get("reason") == reason else None
        return f
    w = wait_for(waiting("latevol", "ContainerCreating"), timeout=20, what="latevol waiting")
    assert 'configmap "late-vol" not found' in w.get("message", ""), w
    w = wait_for(waiting("lateenv", "CreateContainerConfigError"), timeout=20, what="lateenv config error")
    assert w["message"] == 'configmap "late-env" not found', w
    time.sleep(2)
    assert get_pod(node, "latevol")["status"]["phase"] == "Pending"
    events = node.kubectl_json("get", "events")["items"]
    failed = [e for e in events if e["involvedObject"]["name"] == "latevol" and e["reason"] == "FailedMount"]
    assert failed and failed[0]["type"] == "Warning", events
    assert failed[0]["message"] == ('MountVolume.SetUp failed for volume "v" : configmap "late-vol" not found'), failed
    apply(node, cm("late-vol", {"k": "vol-ok"}), cm("late-env", {"k": "env-ok"}))
    assert "V=vol-ok" in logs_with(node, "latevol", "V=", timeout=20)
    assert "E=env-ok" in logs_with(node, "lateenv", "E=", timeout=30)


def test_image_pull_secret(node):
    workdir = tempfile.mkdtemp(prefix="coracle-regauth-")
    reg = it.DockerRegistry(workdir, htpasswd=it.htpasswd_file(os.path.join(workdir, "htpasswd"), "alice",
                                                                "wonderland")).start()
    try:
        it.RegistryClient(reg.url, auth=("alice", "wonderland")).push_image("private/app", "1", node.image)
        image = reg.host + "/private/app:1"
        ctr = {"name": "c", "image": image, "imagePullPolicy": "Always",
               "command": ["sh", "-c", "echo PULLED; sleep 3600"]}
        apply(node, pod("nosecret", [dict(ctr)]))

        def reason():
            st = statuses(get_pod(node, "nosecret")).get("c", {}).get("state", {}).get("waiting", {})
            return st if st.get("reason") in ("ErrImagePull", "ImagePullBackOff") else None
        w = wait_for(reason, timeout=30, what="ErrImagePull")
        # ErrImagePull carries the registry's answer for one sync; ImagePullBackOff follows.
        assert "authentication required" in w.get("message", "") or (
            'pod=default/nosecret container=c msg="image pull failed"' in node.read_log() and
            "authentication required" in node.read_log()), w
        node.kubectl("create", "secret", "docker-registry", "regcred", "--docker-server=" + reg.host,
                     "--docker-username=alice", "--docker-password=wonderland")
        apply(node, pod("withsecret", [dict(ctr)], imagePullSecrets=[{"name": "regcred"}]))
        assert "PULLED" in logs_with(node, "withsecret", "PULLED", timeout=40)
        assert statuses(get_pod(node, "withsecret"))["c"]["imageID"].startswith(reg.host + "/private/app@sha256:")
        # A wrong password in the secret is refused.
        node.kubectl("create", "secret", "docker-registry", "badcred", "--docker-server=" + reg.host,
                     "--docker-username=alice", "--docker-password=nope")
        apply(node, pod("badsecret", [dict(ctr)], imagePullSecrets=[{"name": "badcred"}]))
        wait_for(lambda: statuses(get_pod(node, "badsecret")).get("c", {}).get("state", {}).get("waiting", {})
                 .get("reason") in ("ErrImagePull", "ImagePullBackOff"), timeout=30, what="bad secret refused")
    finally:
        for name in ("nosecret", "withsecret", "badsecret"):
            node.kubectl("delete", "pod", name, "--ignore-not-found", "--wait=false", check=False)
        reg.stop()
        shutil.rmtree(workdir, ignore_errors=True)
