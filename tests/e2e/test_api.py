"""The API server through the real kubectl: CRUD of the core kinds, Tables, watches, conflicts, compaction,
authentication, request limits and durability across kill -9 (issue 2's acceptance points)."""
import base64
import json
import threading
import time

from conftest import wait_for


def test_version_and_discovery(cluster):
    out = cluster.kubectl("version", "-o", "json").stdout
    v = json.loads(out)
    assert v["serverVersion"]["major"] == "1"
    assert v["serverVersion"]["minor"] == "32"
    res = cluster.kubectl("api-resources").stdout
    for line in ("pods", "po", "deployments", "deploy", "horizontalpodautoscalers", "hpa", "namespaces"):
        assert line in res
    assert "apps/v1" in cluster.kubectl("api-versions").stdout


def test_builtin_namespaces_and_kubernetes_service(cluster):
    out = cluster.kubectl("get", "namespaces").stdout
    for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
        assert ns in out
    assert out.splitlines()[0].split() == ["NAME", "STATUS", "AGE"]
    svc = cluster.kubectl_json("get", "service", "kubernetes", "-n", "default")
    assert svc["spec"]["clusterIP"] == "10.43.0.1"
    all_out = cluster.kubectl("get", "all", "-A").stdout
    assert "service/kubernetes" in all_out
    assert "NAMESPACE" in all_out.splitlines()[0]


def test_namespace_lifecycle(cluster):
    assert "namespace/e2e-ns created" in cluster.kubectl("create", "namespace", "e2e-ns").stdout
    ns = cluster.kubectl_json("get", "namespace", "e2e-ns")
    assert ns["status"]["phase"] == "Active"
    assert ns["metadata"]["uid"]
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "e2e-ns"
    cluster.kubectl("create", "configmap", "inside", "--from-literal=a=b", "-n", "e2e-ns")
    cluster.kubectl("delete", "namespace", "e2e-ns", "--wait=true", timeout=60)
    p = cluster.kubectl("get", "namespace", "e2e-ns", check=False)
    assert p.returncode != 0 and "NotFound" in p.stderr
    # Writing into a namespace that does not exist is a 404 naming the namespace.
    p = cluster.kubectl("create", "configmap", "x", "--from-literal=a=b", "-n", "e2e-ns", check=False)
    assert p.returncode != 0
    assert 'namespaces "e2e-ns" not found' in p.stderr


def test_configmap_crud(cluster):
    cluster.kubectl("create", "configmap", "cm1", "--from-literal=a=b", "--from-literal=c=d")
    cm = cluster.kubectl_json("get", "configmap", "cm1")
    assert cm["data"] == {"a": "b", "c": "d"}
    assert int(cm["metadata"]["resourceVersion"]) > 0
    table = cluster.kubectl("get", "configmaps").stdout.splitlines()
    assert table[0].split() == ["NAME", "DATA", "AGE"]
    row = [l for l in table if l.startswith("cm1 ")][0].split()
    assert row[1] == "2"
    p = cluster.kubectl("create", "configmap", "cm1", "--from-literal=a=b", check=False)
    assert p.returncode != 0 and 'configmaps "cm1" already exists' in p.stderr
    cluster.kubectl("delete", "configmap", "cm1")
    p = cluster.kubectl("get", "configmap", "cm1", check=False)
    assert p.returncode != 0
    assert 'Error from server (NotFound): configmaps "cm1" not found' in p.stderr


def test_secret_crud(cluster):
    cluster.kubectl("create", "secret", "generic", "s1", "--from-literal=user=admin")
    s = cluster.kubectl_json("get", "secret", "s1")
    assert s["type"] == "Opaque"
    assert base64.b64decode(s["data"]["user"]) == b"admin"
    hdr = cluster.kubectl("get", "secrets").stdout.splitlines()[0].split()
    assert hdr == ["NAME", "TYPE", "DATA", "AGE"]
    cluster.kubectl("delete", "secret", "s1")


def test_pod_stays_pending(cluster):
    cluster.kubectl("run", "web", "--image=nginx:1.27", "--labels=app=web,tier=front")
    pod = cluster.kubectl_json("get", "pod", "web")
    assert pod["status"]["phase"] == "Pending"
    assert pod["spec"]["restartPolicy"] == "Always"
    assert pod["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    lines = cluster.kubectl("get", "pods", "-o", "wide").stdout.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE",
                                "READINESS", "GATES"]
    row = [l for l in lines if l.startswith("web ")][0].split()
    assert row[1:4] == ["0/1", "Pending", "0"]
    # Label selectors: equality, set-based and negation.
    assert "web" in cluster.kubectl("get", "pods", "-l", "app=web", "-o", "name").stdout
    assert "web" in cluster.kubectl("get", "pods", "-l", "tier in (front,back)", "-o", "name").stdout
    assert cluster.kubectl("get", "pods", "-l", "app!=web", "-o", "name").stdout.strip() == ""
    # Field selectors.
    assert "web" in cluster.kubectl("get", "pods", "--field-selector", "status.phase=Pending", "-o", "name").stdout
    p = cluster.kubectl("get", "pods", "--field-selector", "spec.bogus=x", check=False)
    assert p.returncode != 0 and "field label not supported" in p.stderr
    assert "web" in cluster.kubectl("get", "pods", "--show-labels").stdout
    cluster.kubectl("delete", "pod", "web")
    assert cluster.kubectl("get", "pod", "web", check=False).returncode != 0


def test_service_crud(cluster):
    cluster.kubectl("create", "service", "nodeport", "np1", "--tcp=80:8080")
    svc = cluster.kubectl_json("get", "service", "np1")
    ip = svc["spec"]["clusterIP"]
    assert ip.startswith("10.43.") and ip not in ("10.43.0.1", "10.43.0.10")
    port = svc["spec"]["ports"][0]
    assert 30000 <= port["nodePort"] <= 32767
    assert port["targetPort"] == 8080
    lines = cluster.kubectl("get", "svc", "-o", "wide").stdout.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"]
    row = [l for l in lines if l.startswith("np1 ")][0].split()
    assert row[1] == "NodePort" and row[2] == ip and row[4] == "80:%d/TCP" % port["nodePort"]
    # A second Service asking for a taken cluster IP is refused with the field path.
    manifest = json.dumps({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dup"},
                           "spec": {"clusterIP": ip, "ports": [{"port": 80}]}})
    p = cluster.kubectl("create", "-f", "-", input=manifest, check=False)
    assert p.returncode != 0 and "spec.clusterIPs" in p.stderr and "already allocated" in p.stderr
    cluster.kubectl("delete", "service", "np1")


def test_watch_sees_create_and_delete(cluster):
    w = cluster.popen_kubectl("get", "pods", "-w", "--output-watch-events", "--request-timeout=40s")
    try:
        time.sleep(1.5)
        cluster.kubectl("run", "watched", "--image=busybox:1.36")
        time.sleep(0.5)
        cluster.kubectl("delete", "pod", "watched", "--wait=false")
        lines = []

        def reader():
            for line in w.stdout:
                lines.append(line)
                if "DELETED" in line and "watched" in line:
                    return

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(20)
        text = "".join(lines)
        assert "ADDED" in text and "watched" in text, text
        assert "DELETED" in text, text
    finally:
        w.kill()
        w.wait()


def test_stale_update_conflicts(cluster):
    cluster.kubectl("create", "configmap", "conf", "--from-literal=v=1")
    obj = cluster.kubectl_json("get", "configmap", "conf")
    obj["data"]["v"] = "2"
    cluster.kubectl("replace", "-f", "-", input=json.dumps(obj))
    obj["data"]["v"] = "3"  # still carries the old resourceVersion
    p = cluster.kubectl("replace", "-f", "-", input=json.dumps(obj), check=False)
    assert p.returncode != 0
    assert "Conflict" in p.stderr and "the object has been modified" in p.stderr
    assert cluster.kubectl_json("get", "configmap", "conf")["data"]["v"] == "2"
    cluster.kubectl("delete", "configmap", "conf")


def test_patch_label_annotate(cluster):
    cluster.kubectl("create", "configmap", "lab", "--from-literal=v=1")
    cluster.kubectl("label", "configmap", "lab", "team=blue")
    cluster.kubectl("annotate", "configmap", "lab", "note=hello")
    cm = cluster.kubectl_json("get", "configmap", "lab")
    assert cm["metadata"]["labels"]["team"] == "blue"
    assert cm["metadata"]["annotations"]["note"] == "hello"
    cluster.kubectl("label", "configmap", "lab", "team-")
    assert "team" not in cluster.kubectl_json("get", "configmap", "lab")["metadata"].get("labels", {})
    cluster.kubectl("patch", "configmap", "lab", "--type=json", "-p", '[{"op":"replace","path":"/data/v","value":"9"}]')
    assert cluster.kubectl_json("get", "configmap", "lab")["data"]["v"] == "9"
    cluster.kubectl("delete", "configmap", "lab")


def test_watch_from_compacted_revision_is_gone(cluster):
    # The shared cluster compacts every second: history older than ~1 s is dropped.
    for i in range(3):
        cluster.kubectl("create", "configmap", "old-%d" % i, "--from-literal=a=b")
    time.sleep(3.5)
    cluster.kubectl("create", "configmap", "newer", "--from-literal=a=b")
    time.sleep(2.5)
    status, _, body = cluster.raw("GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2&timeoutSeconds=3")
    if status == 410:
        assert json.loads(body)["reason"] in ("Expired", "Gone")
    else:
        assert status == 200
        first = json.loads(body.splitlines()[0])
        assert first["type"] == "ERROR" and first["object"]["code"] == 410
    # A list continued from a compacted revision is 410 too; a fresh list works.
    status, _, body = cluster.raw("GET", "/api/v1/namespaces/default/configmaps?limit=1")
    assert status == 200
    for i in range(3):
        cluster.kubectl("delete", "configmap", "old-%d" % i)
    cluster.kubectl("delete", "configmap", "newer")


def test_pagination(cluster):
    for i in range(7):
        cluster.kubectl("create", "configmap", "page-%d" % i, "--from-literal=a=b", "-n", "kube-public")
    names, cont, pages = [], "", 0
    while True:
        q = "/api/v1/namespaces/kube-public/configmaps?limit=3" + ("&continue=" + cont if cont else "")
        status, _, body = cluster.raw("GET", q)
        assert status == 200
        lst = json.loads(body)
        names += [o["metadata"]["name"] for o in lst["items"]]
        pages += 1
        cont = lst["metadata"].get("continue", "")
        if not cont:
            break
    assert names == ["page-%d" % i for i in range(7)] and pages == 3
    # remainingItemCount counts what the later pages hold, as of the first page's revision: writes made
    # between pages (a new object, a changed one) show in neither the count nor the pages.
    status, _, body = cluster.raw("GET", "/api/v1/namespaces/kube-public/configmaps?limit=3")
    first = json.loads(body)
    assert status == 200 and first["metadata"]["remainingItemCount"] == 4
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "page-7"}, "data": {"a": "b"}}
    assert cluster.raw("POST", "/api/v1/namespaces/kube-public/configmaps", cm)[0] == 201
    assert cluster.raw("PATCH", "/api/v1/namespaces/kube-public/configmaps/page-4", {"data": {"a": "changed"}},
                       content_type="application/merge-patch+json")[0] == 200
    status, _, body = cluster.raw("GET", "/api/v1/namespaces/kube-public/configmaps?limit=3&continue="
                                  + first["metadata"]["continue"])
    second = json.loads(body)
    assert status == 200, body
    assert [o["metadata"]["name"] for o in second["items"]] == ["page-3", "page-4", "page-5"]
    assert second["items"][1]["data"]["a"] == "b"  # page-4 as it was at the first page's revision
    assert second["metadata"]["remainingItemCount"] == 1
    status, _, body = cluster.raw("GET", "/api/v1/namespaces/kube-public/configmaps?limit=3&continue="
                                  + second["metadata"]["continue"])
    last = json.loads(body)
    assert [o["metadata"]["name"] for o in last["items"]] == ["page-6"]
    assert "continue" not in last["metadata"] and "remainingItemCount" not in last["metadata"]
    # kubectl pages with limit=500 transparently.
    assert len(cluster.kubectl("get", "cm", "-n", "kube-public", "-o", "name").stdout.split()) == 8
    cluster.kubectl("delete", "configmap", "-n", "kube-public", "--all")
    assert cluster.kubectl("get", "cm", "-n", "kube-public", "-o", "name").stdout.strip() == ""


def test_unauthenticated_is_401(cluster):
    status, _, body = cluster.raw("GET", "/api/v1/namespaces", auth=False)
    assert status == 401
    st = json.loads(body)
    assert st["kind"] == "Status" and st["reason"] == "Unauthorized" and st["code"] == 401
    status, _, _ = cluster.raw("GET", "/api/v1/namespaces", auth=False, headers={"Authorization": "Bearer nope"})
    assert status == 401
    # The public health and version endpoints answer without credentials, as on Kubernetes.
    assert cluster.raw("GET", "/version", auth=False)[0] == 200
    assert cluster.raw("GET", "/readyz", auth=False)[0] == 200


def test_bad_input_gets_status(cluster):
    status, _, body = cluster.raw("POST", "/api/v1/namespaces/default/configmaps", body=b'{"metadata": ')
    assert status == 400
    st = json.loads(body)
    assert st["kind"] == "Status" and st["reason"] == "BadRequest"
    big = b'{"metadata":{"name":"big"},"data":{"x":"' + b"a" * (4 * 1024 * 1024) + b'"}}'
    status, _, body = cluster.raw("POST", "/api/v1/namespaces/default/configmaps", body=big)
    assert status == 413
    status, _, body = cluster.raw("POST", "/api/v1/namespaces/default/configmaps",
                                  body={"metadata": {"name": "Bad_Name"}})
    assert status == 422
    st = json.loads(body)
    assert st["reason"] == "Invalid"
    assert st["details"]["causes"][0]["field"] == "metadata.name"
    status, _, body = cluster.raw("POST", "/api/v1/namespaces/default/configmaps",
                                  body={"apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
    assert status == 400
    status, _, body = cluster.raw("GET", "/api/v1/nosuchthings")
    assert status == 404 and json.loads(body)["kind"] == "Status"
    # The server is still fine.
    assert cluster.raw("GET", "/readyz")[0] == 200


def test_kill9_keeps_acknowledged_creates(fresh_cluster):
    c = fresh_cluster
    acked, stop = [], threading.Event()

    def burst(worker):
        i = 0
        while not stop.is_set():
            name = "burst-%d-%d" % (worker, i)
            try:
                status, _, _ = c.raw("POST", "/api/v1/namespaces/default/configmaps",
                                     body={"metadata": {"name": name}, "data": {"i": str(i)}}, timeout=5)
            except OSError:
                return
            if status == 201:
                acked.append(name)
            i += 1

    threads = [threading.Thread(target=burst, args=(w,), daemon=True) for w in range(4)]
    for t in threads:
        t.start()
    wait_for(lambda: len(acked) >= 200, timeout=30, what="200 acknowledged creates")
    c.kill9()
    stop.set()
    for t in threads:
        t.join(10)
    c.start()
    names = set(c.kubectl("get", "configmaps", "-o", "name").stdout.split())
    missing = [n for n in acked if "configmap/" + n not in names]
    assert not missing, "%d acknowledged creates lost, e.g. %s" % (len(missing), missing[:5])


def test_invalid_objects_are_422_with_field_paths(cluster):
    bad = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
           "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "x"}},
                    "template": {"metadata": {"labels": {"app": "y"}},
                                 "spec": {"containers": [{"name": "web", "ports": [{"containerPort": 70000}]}]}}}}
    p = cluster.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert p.returncode != 0
    assert 'The Deployment "bad" is invalid' in p.stderr
    assert "spec.replicas: Invalid value: -1: must be greater than or equal to 0" in p.stderr
    assert "spec.template.spec.containers[0].image: Required value" in p.stderr
    assert "`selector` does not match template `labels`" in p.stderr
    assert "containerPort: Invalid value: 70000" in p.stderr
    assert cluster.kubectl("get", "deploy", "bad", check=False).returncode != 0
    # Immutable fields.
    cluster.kubectl("create", "deployment", "imm", "--image=nginx:1.27")
    p = cluster.kubectl("patch", "deployment", "imm", "--type=merge", "-p",
                        '{"spec":{"selector":{"matchLabels":{"app":"other"}},'
                        '"template":{"metadata":{"labels":{"app":"other"}}}}}', check=False)
    assert p.returncode != 0 and "spec.selector" in p.stderr and "field is immutable" in p.stderr
    cluster.kubectl("delete", "deployment", "imm")
