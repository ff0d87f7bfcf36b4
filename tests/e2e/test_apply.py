"""Server-side apply through the real kubectl (`kubectl apply --server-side`): creation, unchanged
re-apply, edits, removal of fields the manager stopped applying, conflicts with another field manager
(`kubectl scale`) and --force-conflicts, managedFields as `--show-managed-fields` shows them, the raw
protocol's errors, and a seed manifest."""
import json

import pytest

NS = "ssa"

APP = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ssa
  labels:
    app: web
spec:
  replicas: REPLICAS
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
        env:
ENV
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ssa
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
"""


def manifest(replicas=2, env=(("A", "1"), ("B", "2"))):
    lines = "\n".join('        - name: %s\n          value: "%s"' % kv for kv in env)
    return APP.replace("REPLICAS", str(replicas)).replace("ENV", lines)


@pytest.fixture(scope="module")
def ns(cluster):
    cluster.kubectl("create", "namespace", NS, check=False)
    yield NS
    cluster.kubectl("delete", "namespace", NS, "--wait=false", check=False)


def ssa(cluster, path, *extra, check=True):
    return cluster.kubectl("apply", "--server-side", "-f", str(path), *extra, check=check)


def deploy(cluster, *extra):
    return json.loads(cluster.kubectl("get", "deploy", "web", "-n", NS, "-o", "json", *extra).stdout)


def env_of(d):
    return {e["name"]: e.get("value") for e in d["spec"]["template"]["spec"]["containers"][0].get("env", [])}


def test_apply_lifecycle(cluster, ns, tmp_path):
    f = tmp_path / "app.yaml"
    f.write_text(manifest())
    out = ssa(cluster, f).stdout
    assert "deployment.apps/web serverside-applied" in out
    assert "service/web serverside-applied" in out
    d = deploy(cluster)
    assert d["spec"]["replicas"] == 2 and env_of(d) == {"A": "1", "B": "2"}
    # Defaults ran on the created object, as for any create.
    assert d["spec"]["strategy"]["type"] == "RollingUpdate"
    assert cluster.kubectl_json("get", "svc", "web", "-n", ns)["spec"]["clusterIP"]

    # An unchanged re-apply writes nothing.
    rv = d["metadata"]["resourceVersion"]
    assert "serverside-applied" in ssa(cluster, f).stdout
    assert deploy(cluster)["metadata"]["resourceVersion"] == rv

    # Edits change exactly what changed.
    f.write_text(manifest(replicas=3, env=(("A", "10"), ("B", "2"))))
    ssa(cluster, f)
    d2 = deploy(cluster)
    assert d2["spec"]["replicas"] == 3 and env_of(d2) == {"A": "10", "B": "2"}
    assert d2["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"
    assert d2["metadata"]["labels"] == {"app": "web"}

    # A field the manager no longer applies is removed.
    f.write_text(manifest(replicas=3, env=(("A", "10"),)))
    ssa(cluster, f)
    assert env_of(deploy(cluster)) == {"A": "10"}

    # A label another manager added survives the apply (it is not ours to remove).
    cluster.kubectl("label", "deploy", "web", "-n", ns, "tier=front")
    ssa(cluster, f)
    assert deploy(cluster)["metadata"]["labels"] == {"app": "web", "tier": "front"}

    # managedFields: hidden by default, shown with --show-managed-fields.
    assert "managedFields" not in deploy(cluster)["metadata"]
    mf = deploy(cluster, "--show-managed-fields")["metadata"]["managedFields"]
    mine = [e for e in mf if e["manager"] == "kubectl" and e["operation"] == "Apply"]
    assert len(mine) == 1 and mine[0]["fieldsType"] == "FieldsV1" and mine[0]["apiVersion"] == "apps/v1"
    fields = mine[0]["fieldsV1"]
    assert "f:replicas" in fields["f:spec"]
    containers = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]
    item = containers['k:{"name":"web"}']
    assert "." in item and "f:image" in item and 'k:{"name":"A"}' in item["f:env"]
    assert 'k:{"name":"B"}' not in item["f:env"]
    yaml_out = cluster.kubectl("get", "deploy", "web", "-n", ns, "-o", "yaml", "--show-managed-fields").stdout
    assert "manager: kubectl" in yaml_out and "operation: Apply" in yaml_out


def test_apply_conflict_and_force(cluster, ns, tmp_path):
    f = tmp_path / "app.yaml"
    f.write_text(manifest(replicas=2))
    ssa(cluster, f)
    cluster.kubectl("scale", "deploy", "web", "-n", ns, "--replicas=5")
    assert deploy(cluster)["spec"]["replicas"] == 5
    f.write_text(manifest(replicas=4))
    p = ssa(cluster, f, check=False)
    assert p.returncode != 0
    assert "conflict" in p.stderr and ".spec.replicas" in p.stderr, p.stderr
    assert deploy(cluster)["spec"]["replicas"] == 5
    # Applying the live value is no conflict.
    f.write_text(manifest(replicas=5))
    ssa(cluster, f)
    f.write_text(manifest(replicas=4))
    assert ssa(cluster, f, check=False).returncode != 0
    ssa(cluster, f, "--force-conflicts")
    d = deploy(cluster, "--show-managed-fields")
    assert d["spec"]["replicas"] == 4
    for e in d["metadata"]["managedFields"]:
        if e["manager"] != "kubectl" or e["operation"] != "Apply":
            assert "f:replicas" not in e.get("fieldsV1", {}).get("f:spec", {}), e


def test_apply_raw_protocol(cluster, ns):
    path = "/apis/apps/v1/namespaces/%s/deployments/raw" % ns
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "raw"},
            "spec": {"selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}
    st, _, out = cluster.raw("PATCH", path, body, content_type="application/apply-patch+yaml")
    assert st == 422, out
    assert json.loads(out)["message"] == ('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required '
                                          'value: is required for apply patch')
    st, _, out = cluster.raw("PATCH", path + "?fieldManager=raw&force=false", body,
                             content_type="application/apply-patch+yaml")
    assert st == 201, out
    obj = json.loads(out)
    assert obj["metadata"]["managedFields"][0]["manager"] == "raw"
    # YAML bodies, and 200 on an update.
    yaml_body = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: raw\nspec:\n  replicas: 2\n"
                 "  selector:\n    matchLabels:\n      a: b\n  template:\n    metadata:\n      labels:\n"
                 "        a: b\n    spec:\n      containers:\n      - name: c\n        image: busybox\n")
    st, _, out = cluster.raw("PATCH", path + "?fieldManager=raw", yaml_body.encode(),
                             content_type="application/apply-patch+yaml")
    assert st == 200, out
    assert json.loads(out)["spec"]["replicas"] == 2
    # Strict field validation refuses unknown fields.
    body["spec"]["replica"] = 1
    st, _, out = cluster.raw("PATCH", path + "?fieldManager=raw&fieldValidation=Strict", body,
                             content_type="application/apply-patch+yaml")
    assert st == 400 and "spec.replica" in json.loads(out)["message"], out
    # dryRun changes nothing.
    del body["spec"]["replica"]
    body["spec"]["replicas"] = 7
    st, _, out = cluster.raw("PATCH", path + "?fieldManager=raw&dryRun=All", body,
                             content_type="application/apply-patch+yaml")
    assert st == 200 and json.loads(out)["spec"]["replicas"] == 7, out
    assert cluster.kubectl_json("get", "deploy", "raw", "-n", ns)["spec"]["replicas"] == 2


def test_apply_after_client_side_apply_and_seed(cluster, ns, tmp_path):
    # Seed 002's nginx Deployment, created by client-side apply and then taken over server-side.
    f = tmp_path / "nginx.yaml"
    f.write_text("""apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  namespace: ssa
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
""")
    assert "created" in cluster.kubectl("apply", "-f", str(f)).stdout
    assert "serverside-applied" in ssa(cluster, f).stdout
    f.write_text(f.read_text().replace("nginx:1.14.2", "nginx:1.16.1"))
    assert "serverside-applied" in ssa(cluster, f, "--force-conflicts").stdout
    d = cluster.kubectl_json("get", "deploy", "nginx-deployment", "-n", ns)
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.16.1"
    assert d["spec"]["replicas"] == 3
    # Fresh, server-side only.
    f.write_text(f.read_text().replace("nginx-deployment", "nginx-ssa"))
    assert "deployment.apps/nginx-ssa serverside-applied" in ssa(cluster, f).stdout
    assert cluster.kubectl_json("get", "deploy", "nginx-ssa", "-n", ns)["spec"]["replicas"] == 3
