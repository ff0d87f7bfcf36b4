"""The protobuf OpenAPI v2 document (/openapi/v2) as kubectl 1.27 and 1.28 use it: they validate `apply -f`
and `create -f` manifests against it on the client side before sending anything, and 1.27's `explain`
reads it. Without it these clients need --validate=false."""
import json
import os

import pytest

BIN = "/usr/lib/google-cloud-sdk/bin/kubectl.1.%d"
OLD_CLIENTS = [BIN % m for m in (27, 28) if os.path.exists(BIN % m)]
PROTOBUF = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"
# kube-apiserver answers with a dot for the '@', which Go's mime parser refuses.
PROTOBUF_REPLY = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"


def app(name, ns, spec_key="replicas"):
    labels = {"app": name}
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
              "spec": {spec_key: 2, "selector": {"matchLabels": labels},
                       "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
                       "template": {"metadata": {"labels": labels},
                                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                             "ports": [{"containerPort": 80}],
                                                             "resources": {"requests": {"cpu": "100m",
                                                                                        "memory": "64Mi"}}}]}}}}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
           "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 80, "protocol": "TCP"}]}}
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [deploy, svc]})


def test_v2_served_only_as_protobuf(cluster):
    status, headers, body = cluster.raw("GET", "/openapi/v2", headers={"Accept": PROTOBUF})
    assert status == 200
    assert headers["Content-Type"] == PROTOBUF_REPLY
    assert body.startswith(b"\x0a\x032.0")  # Document.swagger = "2.0"
    assert b"io.k8s.api.apps.v1.Deployment" in body
    # kubectl never asks for v2 JSON; coracle does not produce it.
    status, _, _ = cluster.raw("GET", "/openapi/v2", headers={"Accept": "application/json"})
    assert status == 404


@pytest.mark.parametrize("client", OLD_CLIENTS, ids=[os.path.basename(c) for c in OLD_CLIENTS])
def test_apply_validates_on_client(cluster, client):
    ns = "oa2-" + client.rsplit(".", 1)[1]

    def k(*args, **kw):
        return cluster.kubectl(*args, kubectl=client, **kw)

    k("create", "namespace", ns)
    out = k("apply", "-f", "-", input=app("web", ns)).stdout
    assert "deployment.apps/web created" in out and "service/web created" in out
    # A second apply patches with the patch strategies of the v2 document (containers merge on name).
    p = k("apply", "-f", "-", input=app("web", ns).replace("nginx:1.27", "nginx:1.28"))
    assert "deployment.apps/web configured" in p.stdout
    assert "error calculating patch" not in p.stderr
    d = json.loads(k("get", "deployment", "web", "-n", ns, "-o", "json").stdout)
    assert [c["image"] for c in d["spec"]["template"]["spec"]["containers"]] == ["nginx:1.28"]
    assert d["spec"]["replicas"] == 2

    bad = k("apply", "-f", "-", input=app("bad", ns, spec_key="replica"), check=False)
    assert bad.returncode != 0
    assert ('error validating data: ValidationError(Deployment.spec): unknown field "replica" in '
            'io.k8s.api.apps.v1.DeploymentSpec') in bad.stderr
    # Rejected before anything was sent: not even the valid Service of the same file.
    assert k("get", "service", "bad", "-n", ns, check=False).returncode != 0

    bad = k("create", "-f", "-", input=app("bad", ns).replace('"replicas": 2', '"replicas": "two"'), check=False)
    assert bad.returncode != 0
    assert "ValidationError(Deployment.spec.replicas): invalid type for io.k8s.api.apps.v1.DeploymentSpec.replicas" \
        in bad.stderr
    k("delete", "namespace", ns, timeout=60)


@pytest.mark.skipif(not os.path.exists(BIN % 27), reason="no kubectl 1.27")
def test_explain_127(cluster):
    out = cluster.kubectl("explain", "deployment.spec.strategy", kubectl=BIN % 27).stdout
    assert "KIND:" in out and "Deployment" in out
    assert "rollingUpdate" in out and "type" in out
    out = cluster.kubectl("explain", "pods.spec.containers.resources", kubectl=BIN % 27).stdout
    assert "limits" in out and "requests" in out


def test_apply_patch_with_current_kubectl(cluster):
    """Later kubectl versions read v2 too, for the patch strategies of a client-side apply on an existing
    object: a sidecar added to the live object survives a re-apply (containers merge on name)."""
    ns = "oa2-current"
    cluster.kubectl("create", "namespace", ns)
    cluster.kubectl("apply", "-f", "-", input=app("web", ns))
    cluster.kubectl("patch", "deployment", "web", "-n", ns, "-p",
                    '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}')
    p = cluster.kubectl("apply", "-f", "-", input=app("web", ns).replace("nginx:1.27", "nginx:1.28"))
    assert "deployment.apps/web configured" in p.stdout
    assert "error calculating patch" not in p.stderr
    d = cluster.kubectl_json("get", "deployment", "web", "-n", ns)
    images = {c["name"]: c["image"] for c in d["spec"]["template"]["spec"]["containers"]}
    assert images == {"web": "nginx:1.28", "side": "busybox:1.36"}
    cluster.kubectl("delete", "namespace", ns, timeout=60)
