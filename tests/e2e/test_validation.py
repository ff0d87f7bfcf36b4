"""Validation and defaulting of the kinds beyond pods and workloads, as the real kubectl shows them:
PersistentVolumeClaims, PersistentVolumes and StorageClasses (required fields, immutable fields, defaults),
Ingress paths and backends, RBAC rules and roleRef, typed Secrets, PodDisruptionBudgets. Each refusal
must carry Kubernetes' 422 wording ("The X "name" is invalid: <path>: <message>")."""
import json

import pytest

NS = "validation"


@pytest.fixture(scope="module")
def ns(cluster):
    cluster.kubectl("create", "namespace", NS, check=False)
    yield NS
    cluster.kubectl("delete", "namespace", NS, "--wait=false", check=False)


def create(cluster, obj, *extra):
    return cluster.kubectl("create", "-n", NS, "-f", "-", *extra, input=json.dumps(obj), check=False)


def refused(cluster, obj, *extra):
    p = create(cluster, obj, *extra)
    assert p.returncode != 0, p.stdout
    return p.stderr


def test_pvc(cluster, ns):
    bad = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "bad"}, "spec": {}}
    err = refused(cluster, bad)
    assert 'The PersistentVolumeClaim "bad" is invalid' in err
    assert "spec.accessModes: Required value: at least 1 access mode is required" in err
    assert "spec.resources[storage]: Required value" in err

    good = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "",
                     "resources": {"requests": {"storage": "1Gi"}}}}
    assert create(cluster, good).returncode == 0
    pvc = cluster.kubectl_json("get", "pvc", "data", "-n", ns)
    assert pvc["spec"]["volumeMode"] == "Filesystem"
    # An unbound claim's spec is fixed, its request included.
    p = cluster.kubectl("patch", "pvc", "data", "-n", ns, "--type=merge",
                        "-p", '{"spec":{"accessModes":["ReadWriteMany"]}}', check=False)
    assert p.returncode != 0
    assert ("spec: Forbidden: spec is immutable after creation except resources.requests and "
            "volumeAttributesClassName for bound claims") in p.stderr


def test_pv_and_storage_class(cluster, ns):
    err = refused(cluster, {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "bad-pv"},
                            "spec": {}})
    assert "spec.capacity: Required value" in err
    assert "spec: Required value: must specify a volume type" in err
    pv = {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "validation-pv"},
          "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "none",
                   "hostPath": {"path": "/tmp/validation-pv"}}}
    assert create(cluster, pv).returncode == 0
    got = cluster.kubectl_json("get", "pv", "validation-pv")
    assert got["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert got["spec"]["volumeMode"] == "Filesystem"
    cluster.kubectl("delete", "pv", "validation-pv", "--wait=false", check=False)

    err = refused(cluster, {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                            "metadata": {"name": "bad-sc"}})
    assert "provisioner: Required value" in err
    sc = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "validation-sc"},
          "provisioner": "example.com/none", "parameters": {"speed": "slow"}}
    assert create(cluster, sc).returncode == 0
    got = cluster.kubectl_json("get", "storageclass", "validation-sc")
    assert got["reclaimPolicy"] == "Delete" and got["volumeBindingMode"] == "Immediate"
    p = cluster.kubectl("patch", "storageclass", "validation-sc", "--type=merge",
                        "-p", '{"provisioner":"example.com/other","parameters":{"speed":"fast"}}', check=False)
    assert p.returncode != 0
    assert "parameters: Forbidden: updates to parameters are forbidden." in p.stderr
    assert "provisioner: Forbidden: updates to provisioner are forbidden." in p.stderr
    cluster.kubectl("delete", "storageclass", "validation-sc", check=False)


def test_ingress(cluster, ns):
    ing = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
           "spec": {"rules": [{"host": "web.example.com", "http": {"paths": [
               {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
               {"path": "api", "pathType": "Prefix", "backend": {"service": {"name": "web"}}}]}}]}}
    err = refused(cluster, ing)
    assert 'The Ingress "web" is invalid' in err
    assert "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified" in err
    assert 'spec.rules[0].http.paths[1].path: Invalid value: "api": must be an absolute path' in err
    assert "spec.rules[0].http.paths[1].backend: Required value: port name or number is required" in err
    paths = ing["spec"]["rules"][0]["http"]["paths"]
    paths[0]["pathType"] = "Prefix"
    paths[1]["path"] = "/api"
    paths[1]["backend"]["service"]["port"] = {"name": "http"}
    assert create(cluster, ing).returncode == 0


def test_rbac_secret_pdb(cluster, ns):
    err = refused(cluster, {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                            "metadata": {"name": "r"}, "rules": [{"apiGroups": [""], "resources": ["pods"]}]})
    assert "rules[0].verbs: Required value: verbs must contain at least one value" in err
    cluster.kubectl("create", "rolebinding", "rb", "-n", ns, "--role=view", "--user=alice")
    p = cluster.kubectl("patch", "rolebinding", "rb", "-n", ns, "--type=merge",
                        "-p", '{"roleRef":{"name":"edit"}}', check=False)
    assert p.returncode != 0 and "cannot change roleRef" in p.stderr
    subj = cluster.kubectl_json("get", "rolebinding", "rb", "-n", ns)["subjects"][0]
    assert subj["apiGroup"] == "rbac.authorization.k8s.io"

    err = refused(cluster, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "reg"},
                            "type": "kubernetes.io/dockerconfigjson", "data": {"config": "e30="}})
    assert "data[.dockerconfigjson]: Required value" in err
    cluster.kubectl("create", "secret", "generic", "plain", "-n", ns, "--from-literal=a=b")
    p = cluster.kubectl("patch", "secret", "plain", "-n", ns, "--type=merge",
                        "-p", '{"type":"kubernetes.io/tls"}', check=False)
    assert p.returncode != 0 and 'type: Invalid value: "kubernetes.io/tls": field is immutable' in p.stderr

    err = refused(cluster, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
                            "spec": {"minAvailable": 1, "maxUnavailable": 1,
                                     "selector": {"matchLabels": {"app": "web"}}}})
    assert "minAvailable and maxUnavailable cannot be both set" in err


def test_priority_class(cluster, ns):
    def pc(name, value, default=False):
        return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name},
                "value": value, "globalDefault": default}

    err = refused(cluster, pc("validation-huge", 2000000000))
    assert "value: Forbidden: maximum allowed value of a user defined priority is 1000000000" in err
    try:
        assert create(cluster, pc("validation-default", 10, True)).returncode == 0
        got = cluster.kubectl_json("get", "priorityclass", "validation-default")
        assert got["preemptionPolicy"] == "PreemptLowerPriority"
        err = refused(cluster, pc("validation-second", 20, True))
        assert ('priorityclasses.scheduling.k8s.io "validation-second" is forbidden: PriorityClass '
                'validation-default is already marked as default. Only one default can exist') in err
        p = cluster.kubectl("patch", "priorityclass", "validation-default", "--type=merge", "-p", '{"value":11}',
                            check=False)
        assert p.returncode != 0 and "value: Forbidden: may not be changed in an update." in p.stderr
    finally:
        cluster.kubectl("delete", "priorityclass", "validation-default", "validation-second", "--ignore-not-found",
                        check=False)
