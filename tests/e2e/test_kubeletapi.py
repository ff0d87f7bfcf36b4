"""`kubectl logs` through the agent's own HTTPS endpoint, and fsGroup, end to end: a coracle server WITH its
node agent; the API server's pods/log proxies to GET https://NODE-IP:10250/containerLogs/NS/POD/CONTAINER
(client certificate required: a direct request without one gets 401). Covers -c with two containers, --tail,
--since, --since-time, --timestamps, --limit-bytes, -f (ends with the container's instance, and a client that
goes away leaves no stream behind), --previous, -l/--all-containers/--prefix and deploy/NAME, Kubernetes'
error messages, exec/attach/port-forward answering 501, and a pod with fsGroup whose non-root container
writes into its emptyDir and reads a 0400 secret through the group."""
import json
import os
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
NODE = "e2e-node"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")


@pytest.fixture(scope="module")
def node(module_netns, request):
    return start_agent_node(request, "coracle-kubeletapi-", 6497)


def ctr(name, command):
    return {"name": name, "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", command]}


def create(node, name, containers, restart="Never", node_name=NODE, labels=None, **spec):
    s = {"restartPolicy": restart, "containers": containers, "terminationGracePeriodSeconds": 0}
    if node_name:
        s["nodeName"] = node_name
    s.update(spec)
    meta = {"name": name, "namespace": "default", "labels": labels or {}}
    node.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                                                        "spec": s}))


def get_pod(node, name):
    p = node.kubectl("get", "pod", name, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def statuses(pod):
    return {s["name"]: s for s in (pod or {}).get("status", {}).get("containerStatuses") or []}


def api_log(node, pod, **query):
    q = "&".join("%s=%s" % kv for kv in query.items())
    code, _, body = node.raw("GET", "/api/v1/namespaces/default/pods/%s/log%s" % (pod, "?" + q if q else ""))
    return code, body.decode()


def status_of(body):
    st = json.loads(body)
    assert st["kind"] == "Status", st
    return st["code"], st.get("reason"), st["message"]


def node_ip(node):
    n = node.kubectl_json("get", "node", NODE)
    assert n["status"]["daemonEndpoints"]["kubeletEndpoint"]["Port"] == 10250
    return [a["address"] for a in n["status"]["addresses"] if a["type"] == "InternalIP"][0]


@pytest.fixture(scope="module")
def two(node):
    """A running pod with two containers whose logs are known."""
    create(node, "two", [ctr("a", "echo a-one; echo a-two; echo a-three; exec sleep 3600"),
                         ctr("b", "echo b-one >&2; exec sleep 3600")], labels={"app": "two"})
    wait_for(lambda: all("running" in s.get("state", {}) for s in statuses(get_pod(node, "two")).values())
             and len(statuses(get_pod(node, "two"))) == 2, timeout=60, interval=0.3, what="two running")
    wait_for(lambda: "a-three" in node.kubectl("logs", "two", "-c", "a").stdout, what="logs of a")
    return "two"


def test_logs_options_and_containers(node, two):
    assert node.kubectl("logs", two, "-c", "a").stdout == "a-one\na-two\na-three\n"
    assert node.kubectl("logs", two, "-c", "b").stdout == "b-one\n"
    assert node.kubectl("logs", two, "-c", "a", "--tail", "1").stdout == "a-three\n"
    assert node.kubectl("logs", two, "-c", "a", "--tail", "0").stdout == ""
    assert node.kubectl("logs", two, "-c", "a", "--since", "1h").stdout == "a-one\na-two\na-three\n"
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    assert node.kubectl("logs", two, "-c", "a", "--since-time", future).stdout == ""
    assert node.kubectl("logs", two, "-c", "a", "--limit-bytes", "5").stdout == "a-one"
    ts = node.kubectl("logs", two, "-c", "a", "--timestamps").stdout.splitlines()
    assert len(ts) == 3 and ts[2].endswith(" a-three") and ts[0][:4].isdigit() and "T" in ts[0].split()[0], ts
    # kubectl's own checks and the API server's, worded as Kubernetes words them. kubectl picks the first
    # container itself; the API server insists on a name.
    p = node.kubectl("logs", two)
    assert p.stdout == "a-one\na-two\na-three\n" and 'Defaulted container "a" out of: a, b' in p.stderr, p
    code, body = api_log(node, two)
    assert status_of(body) == (400, "BadRequest", "a container name must be specified for pod two, choose one of: [a b]")
    p = node.kubectl("logs", two, "-c", "nope", check=False)
    assert p.returncode != 0 and "container nope is not valid for pod two" in p.stderr, p.stderr
    code, body = api_log(node, two, container="nope")
    assert status_of(body) == (400, "BadRequest", "container nope is not valid for pod two")
    code, body = api_log(node, two, container="a", tailLines="-1")
    st = status_of(body)
    assert st[:2] == (422, "Invalid") and st[2].startswith('PodLogOptions "two" is invalid: tailLines'), st
    code, body = api_log(node, two, container="a", sinceSeconds="5", sinceTime=future)
    assert status_of(body)[:2] == (422, "Invalid")
    code, body = api_log(node, two, container="a", tailLines="x")
    assert status_of(body)[:2] == (400, "BadRequest")
    p = node.kubectl("logs", two, "-c", "a", "--previous", check=False)
    assert p.returncode != 0 and 'previous terminated container "a" in pod "two" not found' in p.stderr, p.stderr
    code, body = api_log(node, "nosuchpod", container="a")
    assert status_of(body)[:2] == (404, "NotFound")


def test_logs_selectors_prefix_and_deployment(node, two):
    out = node.kubectl("logs", "-l", "app=two", "--all-containers", "--prefix").stdout.splitlines()
    assert sorted(out) == sorted(["[pod/two/a] a-one", "[pod/two/a] a-two", "[pod/two/a] a-three",
                                  "[pod/two/b] b-one"]), out
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                    "template": {"metadata": {"labels": {"app": "web"}},
                                 "spec": {"terminationGracePeriodSeconds": 0,
                                          "containers": [ctr("web", "echo from-deploy; exec sleep 3600")]}}}}
    node.kubectl("apply", "-f", "-", input=json.dumps(dep))
    wait_for(lambda: node.kubectl("logs", "deploy/web", check=False).stdout == "from-deploy\n", timeout=60,
             interval=0.5, what="logs of deploy/web")
    node.kubectl("delete", "deployment", "web", "--wait=false")


def test_waiting_and_unknown_node_errors(node):
    # A missing ConfigMap keeps the container ContainerCreating: the agent says so.
    create(node, "creating", [dict(ctr("c", "true"), volumeMounts=[{"name": "v", "mountPath": "/v"}])],
           volumes=[{"name": "v", "configMap": {"name": "does-not-exist"}}])
    def waiting():
        p = node.kubectl("logs", "creating", check=False)
        return p.stderr if p.returncode != 0 else None
    err = wait_for(waiting, what="an error for a container that did not start")
    assert 'container "c" in pod "creating" is waiting to start: ContainerCreating' in err, err
    code, body = api_log(node, "creating")
    assert status_of(body) == (400, "BadRequest", 'container "c" in pod "creating" is waiting to start: ContainerCreating')
    # A pod bound to a node that does not exist: no endpoint to ask.
    create(node, "ghost", [ctr("c", "true")], node_name="ghost-node")
    code, body = api_log(node, "ghost")
    assert status_of(body)[:3] == (404, "NotFound", 'nodes "ghost-node" not found')
    # A node whose endpoint does not answer: a 500 naming the URL, at once.
    far = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "far-node"}}
    node.kubectl("apply", "-f", "-", input=json.dumps(far))
    code, _, body = node.raw("PATCH", "/api/v1/nodes/far-node/status", content_type="application/merge-patch+json",
                             body={"status": {"addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
                                              "daemonEndpoints": {"kubeletEndpoint": {"Port": 1}}}})
    assert code == 200, body
    create(node, "farpod", [ctr("c", "true")], node_name="far-node")
    t0 = time.time()
    code, body = api_log(node, "farpod")
    st = status_of(body)
    assert st[0] == 500 and st[2].startswith('Get "https://127.0.0.1:1/containerLogs/default/farpod/c": '), st
    assert time.time() - t0 < 5
    code, body = api_log(node, "farpod", follow="true")
    assert status_of(body)[0] == 500
    node.kubectl("delete", "pod", "creating", "ghost", "farpod", "--wait=false", "--force", "--grace-period=0")
    node.kubectl("delete", "node", "far-node", "--wait=false")


# The first restart is not delayed, so the instance the follower is tied to can end and be replaced (its
# directory removed) within one poll period of the follower: the stream must still end (it once hung here).
def test_follow_previous_and_restart(node):
    # Each instance prints three ticks and fails; -f follows one instance and ends with it.
    create(node, "ticker", [ctr("c", "for i in 1 2 3; do echo tick $i; sleep 1; done; exit 1")], restart="Always")
    wait_for(lambda: statuses(get_pod(node, "ticker")).get("c", {}).get("containerID"), what="ticker started")
    t0 = time.time()
    p = node.kubectl("logs", "-f", "ticker", timeout=30)
    assert p.stdout == "tick 1\ntick 2\ntick 3\n", p.stdout
    assert time.time() - t0 < 8
    wait_for(lambda: statuses(get_pod(node, "ticker")).get("c", {}).get("restartCount", 0) >= 1, timeout=40,
             interval=0.3, what="a restart")
    assert node.kubectl("logs", "ticker", "--previous").stdout == "tick 1\ntick 2\ntick 3\n"
    code, body = api_log(node, "ticker", previous="true", tailLines="1")
    assert (code, body) == (200, "tick 3\n")
    node.kubectl("delete", "pod", "ticker", "--wait=false")


def test_follow_before_any_output(node):
    # The stream opens before the container has written anything; its lines come as they are written.
    create(node, "quiet", [ctr("c", "sleep 2; echo late; sleep 1; echo later")])
    wait_for(lambda: statuses(get_pod(node, "quiet")).get("c", {}).get("containerID"), what="quiet started")
    # The answer's head comes at once, before any line exists (the API server relays the agent's head).
    t0 = time.time()
    req = urllib.request.Request("https://127.0.0.1:%d/api/v1/namespaces/default/pods/quiet/log?follow=true"
                                 % node.port)
    with urllib.request.urlopen(req, context=node.ssl_context(), timeout=10) as r:
        assert r.status == 200 and time.time() - t0 < 1.5, time.time() - t0
    t0 = time.time()
    f = node.popen_kubectl("logs", "-f", "quiet")
    try:
        assert f.stdout.readline() == "late\n"
        assert f.stdout.readline() == "later\n"
        assert f.wait(timeout=15) == 0 and f.stdout.read() == ""
    finally:
        f.kill()
        f.wait()
    assert time.time() - t0 < 12
    node.kubectl("delete", "pod", "quiet", "--wait=false")


def established(port):
    out = subprocess.run(["ss", "-Htn", "state", "established", "( sport = :%d or dport = :%d )" % (port, port)],
                         capture_output=True, text=True).stdout
    return len([l for l in out.splitlines() if l.strip()])


def threads(pid):
    with open("/proc/%d/status" % pid) as f:
        return int([l for l in f if l.startswith("Threads:")][0].split()[1])


def test_follow_client_gone_leaves_nothing(node, two):
    node.kubectl("logs", two, "-c", "a")
    time.sleep(1)
    base_conns, base_threads = established(10250), threads(node.proc.pid)
    followers = [node.popen_kubectl("logs", "-f", two, "-c", "a") for _ in range(3)]
    try:
        for f in followers:
            assert f.stdout.readline() == "a-one\n"
        assert established(10250) >= base_conns + 3
        assert threads(node.proc.pid) >= base_threads + 3
    finally:
        for f in followers:
            f.kill()
            f.wait()
    wait_for(lambda: established(10250) <= base_conns, timeout=10, what="the agent connections closed")
    wait_for(lambda: threads(node.proc.pid) <= base_threads, timeout=10, what="the stream threads gone")


def test_agent_endpoint_requires_a_client_certificate(node, two):
    url = "https://%s:10250/containerLogs/default/two/a?tailLines=1" % node_ip(node)
    ctx = node.ssl_context(auth=False)
    ctx.check_hostname = False
    try:
        urllib.request.urlopen(url, context=ctx, timeout=10)
        raise AssertionError("answered without a client certificate")
    except urllib.error.HTTPError as e:
        assert e.code == 401
    ctx = node.ssl_context(auth=True)
    ctx.check_hostname = False
    with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
        assert r.status == 200 and r.read() == b"a-three\n"
    code, body = http_error(url.replace("/two/a?", "/two/zz?"), ctx)
    assert code == 404 and body == 'container "zz" not found in pod "two"', body
    code, body = http_error(url.replace("tailLines=1", "tailLines=-1"), ctx)
    assert code == 422, body


def http_error(url, ctx):
    try:
        urllib.request.urlopen(url, context=ctx, timeout=10)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    raise AssertionError("no error from %s" % url)


def test_exec_attach_portforward_answer_not_implemented(node, two):
    for sub in ("exec?container=a&command=true&stdout=true", "attach?container=a&stdout=true", "portforward?ports=80"):
        code, _, body = node.raw("POST", "/api/v1/namespaces/default/pods/two/" + sub, body=b"")
        assert code == 501 and json.loads(body)["reason"] == "NotImplemented", (sub, code, body)
    for args in (("exec", two, "-c", "a", "--", "true"), ("attach", two, "-c", "a"),
                 ("port-forward", "pod/" + two, "18080:80")):
        t0 = time.time()
        p = node.kubectl(*args, check=False, timeout=30)
        print(args[0], "->", p.stderr.strip())
        assert p.returncode != 0 and time.time() - t0 < 20, p
        assert "not implemented" in p.stderr, p.stderr


def test_fsgroup_volumes(node):
    node.kubectl("create", "secret", "generic", "fs-secret", "--from-literal=password=s3cr3t")
    script = ("id; stat -c 'DATA=%g %a' /data; touch /data/f && stat -c 'FILE=%g' /data/f; "
              "echo SECRET=$(cat /sec/password); stat -Lc 'SECMODE=%g %a' /sec/password; echo DONE; exec sleep 3600")
    c = dict(ctr("c", script), volumeMounts=[{"name": "data", "mountPath": "/data"},
                                              {"name": "sec", "mountPath": "/sec"}])
    create(node, "fsg", [c], volumes=[{"name": "data", "emptyDir": {}},
                                      {"name": "sec", "secret": {"secretName": "fs-secret", "defaultMode": 0o400}}],
           securityContext={"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000})
    out = wait_for(lambda: (lambda o: o if "DONE" in o else None)(node.kubectl("logs", "fsg", check=False).stdout),
                   timeout=60, interval=0.3, what="fsg output")
    lines = out.splitlines()
    assert lines[0].startswith("uid=1000 gid=3000") and "2000" in lines[0].split("groups=")[1], out
    assert "DATA=2000 2777" in lines and "FILE=2000" in lines, out
    assert "SECRET=s3cr3t" in lines and "SECMODE=2000 440" in lines, out
    uid = get_pod(node, "fsg")["metadata"]["uid"]
    st = os.stat(os.path.join(node.data_dir, "agent", "pods", uid, "volumes", "kubernetes.io~empty-dir", "data"))
    assert st.st_gid == 2000 and st.st_mode & 0o2000


def test_server_stops_with_a_follow_open(node, two):
    # Last: the agent's stop ends its streams, and the API server's with them; the server exits cleanly.
    f = node.popen_kubectl("logs", "-f", two, "-c", "a")
    try:
        assert f.stdout.readline() == "a-one\n"
        t0 = time.time()
        assert node.stop() == 0
        assert time.time() - t0 < 10
        f.wait(timeout=10)
    finally:
        f.kill()
        f.wait()
    node.start()  # the finalizer stops it again
