"""Persistent volumes end to end on a coracle server WITH its node agent: seed 004's kompose-style claims
(no storage class) bound by the built-in local-path provisioner as `kubectl get pvc` prints them, data that
outlives its pod, read-only claims and subPath, a StatefulSet's volumeClaimTemplates, pvc-protection while a
pod uses a claim and the Delete reclaim policy (PV and directory gone), a static PV chosen by a claim's
selector (smallest fit, Retain keeps it Released), and a pod whose claim does not exist (Pending with
kube-scheduler's message)."""
import json
import os
import shutil
import tempfile
import time

import pytest

from conftest import start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")


@pytest.fixture(scope="module")
def node(module_netns, request):
    return start_agent_node(request, "coracle-storage-", 6485)


def apply(node, *objs):
    node.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objs)}))


def pvc(name, size="1Gi", **spec):
    s = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}}
    s.update(spec)
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": s}


def pod(name, script, volumes, mounts, restart="Never"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": restart, "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sh", "-c", script], "volumeMounts": mounts}],
                     "volumes": volumes}}


def claim_vol(name, claim, **extra):
    v = {"claimName": claim}
    v.update(extra)
    return {"name": name, "persistentVolumeClaim": v}


def get(node, *args):
    p = node.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def phase_of(node, kind, name):
    o = get(node, kind, name)
    return o and o.get("status", {}).get("phase")


def wait_phase(node, kind, name, phase, timeout=30):
    return wait_for(lambda: phase_of(node, kind, name) == phase, timeout=timeout, interval=0.2,
                    what="%s/%s %s (now %s)" % (kind, name, phase, phase_of(node, kind, name)))


def logs(node, name):
    return node.kubectl("logs", name).stdout


def gone(node, *args):
    return node.kubectl("get", *args, check=False).returncode != 0


SEED_CLAIMS = {"api-pv": "1Gi", "broker-pv": "1Gi", "rdms-pv": "2Gi", "web-pv": "1Gi", "worker-pv": "100Mi"}


def test_seed004_claims_bound_by_default_class(node):
    sc = node.kubectl("get", "sc").stdout.splitlines()
    assert sc[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                             "ALLOWVOLUMEEXPANSION", "AGE"], sc
    assert sc[1].split()[:5] == ["local-path", "(default)", "rancher.io/local-path", "Delete", "Immediate"], sc
    d = tempfile.mkdtemp(prefix="coracle-pvcs-")
    try:
        files = []
        for name, size in SEED_CLAIMS.items():  # kompose's shape: io.kompose.service label, no class
            obj = pvc(name, size)
            obj["metadata"]["labels"] = {"io.kompose.service": name}
            path = os.path.join(d, "%s-persistentvolumeclaim.yaml" % name)
            with open(path, "w") as f:
                json.dump(obj, f)
            files += ["-f", path]
        out = node.kubectl("create", *files).stdout
        for name in SEED_CLAIMS:
            assert "persistentvolumeclaim/%s created" % name in out
    finally:
        shutil.rmtree(d)

    def all_bound():
        lines = node.kubectl("get", "pvc").stdout.splitlines()
        rows = [ln.split() for ln in lines[1:]]
        return lines if len(rows) == 5 and all(r[1] == "Bound" for r in rows) else None
    t0 = time.time()
    lines = wait_for(all_bound, timeout=15, interval=0.05, what="5 claims Bound")
    print("claims bound %.2f s after create" % (time.time() - t0))
    assert lines[0].split() == ["NAME", "STATUS", "VOLUME", "CAPACITY", "ACCESS", "MODES", "STORAGECLASS",
                                "VOLUMEATTRIBUTESCLASS", "AGE"], lines[0]
    for ln in lines[1:]:
        name, status, volume, cap, modes, klass = ln.split()[:6]
        obj = get(node, "pvc", name)
        assert volume == "pvc-" + obj["metadata"]["uid"]
        assert (cap, modes, klass) == (SEED_CLAIMS[name], "RWO", "local-path"), ln
        assert obj["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
        ann = obj["metadata"]["annotations"]
        assert ann["pv.kubernetes.io/bind-completed"] == "yes"
        assert ann["volume.kubernetes.io/selected-node"] == "e2e-node"
        pv = get(node, "pv", volume)
        assert pv["status"]["phase"] == "Bound"
        assert pv["spec"]["claimRef"]["uid"] == obj["metadata"]["uid"]
        assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"
        expr = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
        assert expr == {"key": "kubernetes.io/hostname", "operator": "In", "values": ["e2e-node"]}
        want = os.path.join(node.data_dir, "storage", "pvc-%s_default_%s" % (obj["metadata"]["uid"], name))
        assert pv["spec"]["hostPath"]["path"] == want and os.path.isdir(want)
    pvs = node.kubectl("get", "pv").stdout.splitlines()
    assert pvs[0].split()[:8] == ["NAME", "CAPACITY", "ACCESS", "MODES", "RECLAIM", "POLICY", "STATUS", "CLAIM"]
    assert sum("default/rdms-pv" in ln and "Bound" in ln for ln in pvs) == 1, pvs
    events = node.kubectl("get", "events", "--field-selector", "involvedObject.name=rdms-pv").stdout
    assert "ProvisioningSucceeded" in events, events


def test_data_outlives_its_pod(node):
    apply(node, pvc("keep", "100Mi"))
    wait_phase(node, "pvc", "keep", "Bound")
    apply(node, pod("writer", "echo hello-from-writer > /data/note && mkdir -p /data/sub && echo s > /data/sub/f",
                    [claim_vol("d", "keep")], [{"name": "d", "mountPath": "/data"}]))
    wait_phase(node, "pod", "writer", "Succeeded")
    node.kubectl("delete", "pod", "writer", "--wait=true")
    script = "cat /data/note; cat /sub/f; touch /data/x 2>/dev/null && echo writable || echo read-only"
    apply(node, pod("reader", script, [claim_vol("d", "keep", readOnly=True)],
                    [{"name": "d", "mountPath": "/data"}, {"name": "d", "mountPath": "/sub", "subPath": "sub"}]))
    wait_phase(node, "pod", "reader", "Succeeded")
    assert logs(node, "reader").split() == ["hello-from-writer", "s", "read-only"]
    node.kubectl("delete", "pod", "reader", "--wait=true")


def test_deployment_pod_replaced_keeps_data(node):
    """Seed 004's shape: a Deployment whose pod mounts a claim; its replacement pod sees what it wrote."""
    apply(node, pvc("broker-data", "100Mi"))
    script = "date +%s%N >> /data/starts; sleep 3600"
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "broker"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "broker"}},
                    "strategy": {"type": "Recreate"},
                    "template": {"metadata": {"labels": {"app": "broker"}},
                                 "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
                                     "name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sh", "-c", script],
                                     "volumeMounts": [{"name": "d", "mountPath": "/data"}]}],
                                     "volumes": [claim_vol("d", "broker-data")]}}}}
    apply(node, dep)
    claim = wait_for(lambda: (lambda c: c if c and c["status"].get("phase") == "Bound" else None)(
        get(node, "pvc", "broker-data")), timeout=20, what="broker-data Bound")
    starts = os.path.join(get(node, "pv", claim["spec"]["volumeName"])["spec"]["hostPath"]["path"], "starts")

    def lines():
        try:
            with open(starts) as f:
                return len(f.read().split())
        except OSError:
            return 0
    wait_for(lambda: lines() == 1, timeout=40, what="first pod started")
    first = get(node, "pods", "-l", "app=broker")["items"][0]["metadata"]["name"]
    node.kubectl("delete", "pod", first, "--wait=false")
    wait_for(lambda: lines() == 2, timeout=40, what="replacement pod appended to the same file")
    node.kubectl("delete", "deployment", "broker", "--wait=true", timeout=60)
    wait_for(lambda: not get(node, "pods", "-l", "app=broker")["items"], timeout=30, what="broker pods gone")


def test_in_use_claim_is_protected_then_volume_deleted(node):
    apply(node, pvc("scratch", "200Mi"))
    wait_phase(node, "pvc", "scratch", "Bound")
    claim = get(node, "pvc", "scratch")
    volume = claim["spec"]["volumeName"]
    path = get(node, "pv", volume)["spec"]["hostPath"]["path"]
    apply(node, pod("user", "echo x > /d/f; sleep 3600", [claim_vol("d", "scratch")],
                    [{"name": "d", "mountPath": "/d"}], restart="Always"))
    wait_phase(node, "pod", "user", "Running")
    wait_for(lambda: os.path.exists(os.path.join(path, "f")), timeout=10, what="file written through the claim")
    node.kubectl("delete", "pvc", "scratch", "--wait=false")
    wait_for(lambda: "Terminating" in node.kubectl("get", "pvc", "scratch").stdout, timeout=10,
             what="claim Terminating")
    # still there while the pod runs: pvc-protection
    assert get(node, "pvc", "scratch")["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    node.kubectl("delete", "pod", "user", "--wait=true", timeout=60)
    wait_for(lambda: gone(node, "pvc", "scratch"), timeout=15, what="claim gone after its pod")
    wait_for(lambda: gone(node, "pv", volume), timeout=15, what="volume deleted (reclaim policy Delete)")
    assert not os.path.exists(path)


def test_statefulset_volume_claim_templates(node):
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"},
           "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
                    "template": {"metadata": {"labels": {"app": "db"}},
                                 "spec": {"terminationGracePeriodSeconds": 0, "containers": [{
                                     "name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sh", "-c", "hostname > /var/lib/db/who; sleep 3600"],
                                     "volumeMounts": [{"name": "data", "mountPath": "/var/lib/db"}]}]}},
                    "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Mi"}}}}]}}
    apply(node, sts)
    for i in (0, 1):
        wait_phase(node, "pvc", "data-db-%d" % i, "Bound", timeout=40)
        wait_phase(node, "pod", "db-%d" % i, "Running", timeout=40)
        claim = get(node, "pvc", "data-db-%d" % i)
        assert claim["metadata"]["labels"] == {"app": "db"}
        path = get(node, "pv", claim["spec"]["volumeName"])["spec"]["hostPath"]["path"]
        wait_for(lambda: os.path.exists(os.path.join(path, "who")), timeout=10, what="db-%d wrote" % i)
        with open(os.path.join(path, "who")) as f:
            assert f.read().strip() == "db-%d" % i
    node.kubectl("delete", "statefulset", "db", "--wait=true", timeout=60)
    wait_for(lambda: gone(node, "pod", "db-0") and gone(node, "pod", "db-1"), timeout=30, what="pods gone")
    # persistentVolumeClaimRetentionPolicy defaults to Retain: the claims stay bound
    for i in (0, 1):
        assert phase_of(node, "pvc", "data-db-%d" % i) == "Bound"


def test_static_volume_selected_by_claim(node):
    d = tempfile.mkdtemp(prefix="coracle-static-pv-")
    try:
        def pv(name, size, labels):
            return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": labels},
                    "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce", "ReadOnlyMany"],
                             "storageClassName": "manual", "persistentVolumeReclaimPolicy": "Retain",
                             "hostPath": {"path": os.path.join(d, name), "type": "DirectoryOrCreate"}}}
        apply(node, pv("fast-big", "5Gi", {"tier": "fast"}), pv("fast-small", "1Gi", {"tier": "fast"}),
              pv("slow", "1Gi", {"tier": "slow"}))
        for name in ("fast-big", "fast-small", "slow"):
            wait_phase(node, "pv", name, "Available")
        apply(node, pvc("picky", "500Mi", storageClassName="manual", selector={"matchLabels": {"tier": "fast"}}))
        wait_phase(node, "pvc", "picky", "Bound")
        assert get(node, "pvc", "picky")["spec"]["volumeName"] == "fast-small"
        pv_obj = get(node, "pv", "fast-small")
        assert pv_obj["metadata"]["annotations"]["pv.kubernetes.io/bound-by-controller"] == "yes"
        assert pv_obj["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
        row = node.kubectl("get", "pvc", "picky").stdout.splitlines()[1].split()
        assert row[1:6] == ["Bound", "fast-small", "1Gi", "RWO,ROX", "manual"], row
        node.kubectl("delete", "pvc", "picky")
        wait_phase(node, "pv", "fast-small", "Released")  # Retain: kept, not reused
        assert phase_of(node, "pv", "fast-big") == "Available"
        node.kubectl("delete", "pv", "fast-big", "fast-small", "slow", "--wait=true")
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_pod_with_missing_claim_stays_pending(node):
    apply(node, pod("orphan", "true", [claim_vol("d", "nope")], [{"name": "d", "mountPath": "/d"}]))

    def message():
        p = get(node, "pod", "orphan")
        for c in (p or {}).get("status", {}).get("conditions", []):
            if c["type"] == "PodScheduled" and c["status"] == "False":
                return c.get("message")
        return None
    msg = wait_for(message, timeout=15, interval=0.2, what="PodScheduled False")
    assert msg == ('0/1 nodes are available: persistentvolumeclaim "nope" not found. preemption: 0/1 nodes are '
                   'available: 1 Preemption is not helpful for scheduling.'), msg
    assert phase_of(node, "pod", "orphan") == "Pending"
    # once the claim exists and is bound, the pod is scheduled and runs (the scheduler's back-off retries it)
    apply(node, pvc("nope", "10Mi"))
    wait_phase(node, "pod", "orphan", "Succeeded", timeout=40)
    node.kubectl("delete", "pod", "orphan", "--wait=true")


def test_pod_bound_to_node_waits_for_its_claim(node):
    """A pod placed by nodeName skips the scheduler: the kubelet keeps it ContainerCreating with FailedMount
    until its claim is bound (a claim of no class with no volume for it never is)."""
    apply(node, pvc("unbindable", "1Gi", storageClassName=""))
    p = pod("stuck", "true", [claim_vol("d", "unbindable")], [{"name": "d", "mountPath": "/d"}])
    p["spec"]["nodeName"] = "e2e-node"
    apply(node, p)

    def waiting():
        o = get(node, "pod", "stuck")
        st = ((o or {}).get("status", {}).get("containerStatuses") or [{}])[0]
        return st.get("state", {}).get("waiting", {}).get("reason")
    wait_for(lambda: waiting() == "ContainerCreating", timeout=20, what="ContainerCreating")
    want = ('MountVolume.SetUp failed for volume "d" : error processing PVC default/unbindable: '
            'PVC is not bound')
    wait_for(lambda: want in node.kubectl("get", "events", "--field-selector", "involvedObject.name=stuck").stdout,
             timeout=20, what="FailedMount event")
    claim_events = node.kubectl("get", "events", "--field-selector", "involvedObject.name=unbindable").stdout
    assert "no persistent volumes available for this claim and no storage class is set" in claim_events
    assert phase_of(node, "pvc", "unbindable") == "Pending"
    node.kubectl("delete", "pod", "stuck", "--wait=true")
    node.kubectl("delete", "pvc", "unbindable", "--wait=true")
