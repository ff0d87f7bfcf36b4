"""The service proxy end to end: a coracle server with its node agent (and so its service proxy) runs in the
test's network namespace, which plays the node. Backends are small network namespaces bridged to the node
(busybox httpd, a Python UDP echo) that stand for pods; a "client" namespace behind a veth plays a machine
on the node's network (node address 192.168.77.1). Services without a selector get EndpointSlices written
by the test, so readiness is exactly what the test says. Checked as a user sees it: answers through
ClusterIP, NodePort (client and 127.0.0.1), externalIPs and LoadBalancer (EXTERNAL-IP in kubectl get svc),
spread over ready endpoints only, session affinity, fast refusal without endpoints, a backend reaching its
own Service (hairpin), UDP (and its stale conntrack entries cleaned up when an endpoint changes), a
LoadBalancer without nodePorts, deletion, rule convergence time, and kill -9 + restart."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest

import imagetools as it
from conftest import CORACLE_BIN, Cluster, wait_for

NODE = "e2e-node"
NODE_IP = "192.168.77.1"
CLIENT_IP = "192.168.77.2"
EXT_IP = "192.168.99.5"  # an externalIP routed to the node by the client
BRIDGE = "cp-br0"
# Hand-made "pods" on a bridge of their own, inside the cluster CIDR but apart from the agent's podCIDR.
BACKENDS = {"b1": "10.42.200.11", "b2": "10.42.200.12", "b3": "10.42.200.13", "b4": "10.42.200.14"}
IMAGE = "docker.io/e2e/busybox:1.0"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None or shutil.which("nft") is None,
                                reason="runc and nft are needed")

UDP_ECHO = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5353))
while True:
    data, addr = s.recvfrom(2048)
    s.sendto(sys.argv[1].encode() + b":" + data, addr)
"""


def sh(*args, check=True):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s %s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


class Topology:
    def __init__(self):
        tag = "cp%d" % os.getpid()
        self.ns = {name: "%s-%s" % (tag, name) for name in list(BACKENDS) + ["client"]}
        self.procs = []
        self.dir = tempfile.mkdtemp(prefix="coracle-svc-")

    def up(self):
        sh("ip", "link", "add", BRIDGE, "type", "bridge")
        sh("ip", "addr", "add", "10.42.200.1/24", "dev", BRIDGE)
        sh("ip", "link", "set", BRIDGE, "up")
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1")
        for i, (name, ip) in enumerate(BACKENDS.items()):
            ns = self.ns[name]
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            host = "cpv%d" % i
            sh("ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "link", "set", host, "master", BRIDGE, "up")
            sh("bridge", "link", "set", "dev", host, "hairpin", "on")
            sh("ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "route", "add", "default", "via", "10.42.200.1")
            www = os.path.join(self.dir, name)
            os.makedirs(www)
            with open(os.path.join(www, "index.html"), "w") as f:
                f.write(name + "\n")
            self.procs.append(subprocess.Popen(["ip", "netns", "exec", ns, "busybox", "httpd", "-f", "-p", "8080",
                                                "-h", www]))
            self.procs.append(subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", UDP_ECHO, name]))
        ns = self.ns["client"]
        sh("ip", "netns", "add", ns)
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", "cpc0", "type", "veth", "peer", "name", "eth0", "netns", ns)
        sh("ip", "addr", "add", NODE_IP + "/24", "dev", "cpc0")
        sh("ip", "link", "set", "cpc0", "up")
        sh("ip", "-n", ns, "addr", "add", CLIENT_IP + "/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "route", "add", "192.168.99.0/24", "via", NODE_IP)
        # The node's default gateway (a real node has one): locally started connections to Service
        # addresses need a route before the output hook rewrites them.
        sh("ip", "route", "add", "default", "via", CLIENT_IP)

    def down(self):
        for p in self.procs:
            p.kill()
            p.wait()
        for ns in self.ns.values():
            sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", BRIDGE, check=False)
        sh("ip", "link", "del", "cpc0", check=False)
        sh("ip", "route", "del", "default", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def coracle(*args, check=True):
    p = subprocess.run([CORACLE_BIN] + list(args), capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("coracle %s failed (%d): %s %s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


@pytest.fixture(scope="module")
def env(module_netns, request):
    topo = Topology()
    try:
        topo.up()
    except BaseException:
        topo.down()  # a half-built topology must not leave namespaces behind
        raise
    workdir = tempfile.mkdtemp(prefix="coracle-svc-")
    c = Cluster(workdir, port=6460, agent=True,
                extra_args=["--node-ip", NODE_IP, "--cluster-cidr", "10.42.0.0/16",
                            "--pod-log-dir", os.path.join(workdir, "logs")])
    archive = os.path.join(workdir, "busybox.tar")
    img = it.Image([it.Layer(it.tar_entries(it.busybox_entries()))], cmd=("/bin/sh",))
    it.oci_archive(archive, [(img, {"io.containerd.image.name": IMAGE})])
    coracle("images", "import", "--data-dir", c.data_dir, archive)
    c.start()

    def finish():
        try:
            c.stop()
        finally:
            coracle("killall", "--data-dir", c.data_dir, check=False)
            topo.down()
            sh("nft", "delete", "table", "ip", "coracle", check=False)
            reports = c.sanitizer_report()
            log = c.read_log()
            shutil.rmtree(workdir, ignore_errors=True)
            assert not reports, "sanitizer reports:\n" + "\n".join(reports) + "\n" + log[-8000:]
            assert "rules not applied" not in log, log[-8000:]  # every nft transaction went through

    request.addfinalizer(finish)
    c.topo = topo
    wait_for(lambda: sh("nft", "list", "table", "ip", "coracle", check=False).returncode == 0, timeout=30,
             what="the proxy's table")
    return c


def apply(c, obj):
    c.kubectl("apply", "-f", "-", input=json.dumps(obj))


def service(name, ports, **spec):
    s = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": "default"},
         "spec": dict(ports=ports, **spec)}
    return s


def endpoint_slice(svc, ready, not_ready=(), port=8080, proto="TCP", pname="http", name=None):
    eps = [{"addresses": [BACKENDS[b]], "conditions": {"ready": True, "serving": True, "terminating": False},
            "nodeName": NODE} for b in ready]
    eps += [{"addresses": [BACKENDS[b]], "conditions": {"ready": False, "serving": False, "terminating": False},
             "nodeName": NODE} for b in not_ready]
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": name or svc + "-1", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": svc}},
            "addressType": "IPv4", "ports": [{"name": pname, "port": port, "protocol": proto}], "endpoints": eps}


def http_port(name="http", port=80):
    return [{"name": name, "port": port, "protocol": "TCP", "targetPort": 8080}]


def curl(url, ns=None, timeout=3):
    cmd = ["curl", "-s", "--max-time", str(timeout), url]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 5)
    return p.returncode, p.stdout.strip()


def cluster_ip(c, name):
    return c.kubectl_json("get", "svc", name)["spec"]["clusterIP"]


def answers(c, url, n, ns=None):
    seen = {}
    for _ in range(n):
        rc, out = curl(url, ns)
        assert rc == 0, "curl %s from %s: rc %d" % (url, ns or "the node", rc)
        seen[out] = seen.get(out, 0) + 1
    return seen


def wait_answer(url, ns=None, timeout=10):
    return wait_for(lambda: curl(url, ns, timeout=1)[0] == 0, timeout=timeout, interval=0.05, what="answer from " + url)


def test_cluster_ip_spread_ready_only(env):
    apply(env, service("web", http_port()))
    apply(env, endpoint_slice("web", ["b1", "b2", "b3"], not_ready=["b4"]))
    ip = cluster_ip(env, "web")
    wait_answer("http://%s/" % ip)
    seen = answers(env, "http://%s/" % ip, 30)
    assert set(seen) == {"b1", "b2", "b3"}, seen  # every ready endpoint, never the not-ready b4
    assert min(seen.values()) >= 3, seen
    # From a "pod" (b4's netns): other backends, and from b1 to its own Service (hairpin).
    seen = answers(env, "http://%s/" % ip, 15, ns=env.topo.ns["b4"])
    assert set(seen) <= {"b1", "b2", "b3"} and len(seen) >= 2, seen
    seen = answers(env, "http://%s/" % ip, 20, ns=env.topo.ns["b1"])
    assert "b1" in seen, seen  # hairpin: b1 reached itself through the Service


def test_nodeport_and_localhost(env):
    apply(env, service("np", http_port(), type="NodePort"))
    apply(env, endpoint_slice("np", ["b2"]))
    np = env.kubectl_json("get", "svc", "np")["spec"]["ports"][0]["nodePort"]
    assert 30000 <= np <= 32767
    url = "http://%s:%d/" % (NODE_IP, np)
    wait_answer(url, ns=env.topo.ns["client"])
    assert answers(env, url, 3, ns=env.topo.ns["client"]) == {"b2": 3}
    assert answers(env, url, 2) == {"b2": 2}  # from the node itself
    assert answers(env, "http://127.0.0.1:%d/" % np, 3) == {"b2": 3}
    assert answers(env, "http://10.42.200.1:%d/" % np, 2, ns=env.topo.ns["b1"]) == {"b2": 2}  # pod → node port


def test_external_ip(env):
    apply(env, service("ext", http_port(port=8088), externalIPs=[EXT_IP]))
    apply(env, endpoint_slice("ext", ["b3"]))
    url = "http://%s:8088/" % EXT_IP
    wait_answer(url, ns=env.topo.ns["client"])
    assert answers(env, url, 3, ns=env.topo.ns["client"]) == {"b3": 3}
    assert answers(env, url, 2) == {"b3": 2}


def test_load_balancer_external_ip(env):
    apply(env, service("lb", http_port(port=8090), type="LoadBalancer"))
    apply(env, endpoint_slice("lb", ["b1", "b2"]))

    def shown():
        out = env.kubectl("get", "svc", "lb").stdout
        return NODE_IP in out and out
    out = wait_for(shown, timeout=15, what="EXTERNAL-IP of lb")
    assert "LoadBalancer" in out and "<pending>" not in out, out
    ingress = env.kubectl_json("get", "svc", "lb")["status"]["loadBalancer"]["ingress"]
    assert ingress == [{"ip": NODE_IP, "ipMode": "VIP"}]
    url = "http://%s:8090/" % NODE_IP
    wait_answer(url, ns=env.topo.ns["client"])
    seen = answers(env, url, 20, ns=env.topo.ns["client"])
    assert set(seen) == {"b1", "b2"}, seen


def test_session_affinity(env):
    apply(env, service("sticky", http_port(), sessionAffinity="ClientIP",
                       sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}}))
    apply(env, endpoint_slice("sticky", ["b1", "b2", "b3"]))
    ip = cluster_ip(env, "sticky")
    wait_answer("http://%s/" % ip)
    seen = answers(env, "http://%s/" % ip, 12, ns=env.topo.ns["b4"])
    assert len(seen) == 1, seen  # one client, one backend


def test_no_endpoints_refused_at_once(env):
    apply(env, service("empty", http_port(), type="NodePort"))
    apply(env, endpoint_slice("empty", [], not_ready=["b1"]))
    ip = cluster_ip(env, "empty")
    np = env.kubectl_json("get", "svc", "empty")["spec"]["ports"][0]["nodePort"]
    for url, ns in (("http://%s/" % ip, None), ("http://%s/" % ip, env.topo.ns["b2"]),
                    ("http://%s:%d/" % (NODE_IP, np), env.topo.ns["client"])):
        def refused():
            t = time.monotonic()
            rc, _ = curl(url, ns, timeout=5)
            return rc == 7 and time.monotonic() - t < 1.0
        wait_for(refused, timeout=10, what="fast refusal of %s from %s" % (url, ns or "the node"))


def test_udp_service(env):
    apply(env, service("udp", [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 5353}]))
    apply(env, endpoint_slice("udp", ["b3"], port=5353, proto="UDP", pname="dns"))
    ip = cluster_ip(env, "udp")

    def ask():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.5)
        try:
            s.sendto(b"ping", (ip, 53))
            return s.recvfrom(2048)[0]
        except OSError:
            return None
        finally:
            s.close()
    assert wait_for(ask, timeout=10, what="UDP answer") == b"b3:ping"


class UdpClient:
    """One UDP socket that keeps its source port, like a long-lived DNS or game client: its datagrams share one
    conntrack entry for as long as it keeps sending."""

    def __init__(self, ip, port):
        self.addr = (ip, port)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(0.3)

    def ask(self, payload=b"x"):
        try:
            self.s.sendto(payload, self.addr)
            return self.s.recvfrom(2048)[0]
        except OSError:
            return None

    def close(self):
        self.s.close()


def test_udp_endpoint_replaced_flushes_conntrack(env):
    """kube-proxy's UDP conntrack cleanup: when the endpoint a client's datagrams were DNATed to leaves the
    Service, the stale conntrack entry is deleted, so the same socket reaches the new endpoint at once instead
    of the old one for as long as it keeps sending (b1 stays up: without the cleanup it would keep answering)."""
    apply(env, service("udpmove", [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 5353}]))
    apply(env, endpoint_slice("udpmove", ["b1"], port=5353, proto="UDP", pname="dns"))
    u = UdpClient(cluster_ip(env, "udpmove"), 53)
    try:
        assert wait_for(lambda: u.ask() == b"b1:x" or None, timeout=10, interval=0.05, what="b1 answers")
        apply(env, endpoint_slice("udpmove", ["b2"], port=5353, proto="UDP", pname="dns"))
        t = time.monotonic()
        wait_for(lambda: u.ask() == b"b2:x" or None, timeout=5, interval=0.05, what="b2 answers the same socket")
        print("UDP client moved to the new endpoint after %.3f s" % (time.monotonic() - t), file=sys.stderr)
        for _ in range(5):
            assert u.ask() == b"b2:x"
    finally:
        u.close()


def test_udp_service_address_used_before_it_had_rules(env):
    """Datagrams sent to a Service address before its rules exist leave an untranslated conntrack entry; when
    the Service gets its endpoint the entry is deleted and the same socket is answered."""
    ip = "10.43.200.53"
    u = UdpClient(ip, 53)
    try:
        assert u.ask() is None  # routed to the client namespace, which has nothing there
        apply(env, service("udplate", [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 5353}],
                           clusterIP=ip))
        apply(env, endpoint_slice("udplate", ["b3"], port=5353, proto="UDP", pname="dns"))
        wait_for(lambda: u.ask() == b"b3:x" or None, timeout=5, interval=0.05, what="b3 answers the same socket")
    finally:
        u.close()


def test_load_balancer_without_node_ports(env):
    """spec.allocateLoadBalancerNodePorts: false: no nodePort is allocated, the load-balancer address answers."""
    apply(env, service("lbnonp", http_port(port=8091), type="LoadBalancer", allocateLoadBalancerNodePorts=False))
    apply(env, endpoint_slice("lbnonp", ["b4"]))
    spec = env.kubectl_json("get", "svc", "lbnonp")["spec"]
    assert spec["allocateLoadBalancerNodePorts"] is False and "nodePort" not in spec["ports"][0], spec
    url = "http://%s:8091/" % NODE_IP
    wait_answer(url, ns=env.topo.ns["client"], timeout=15)
    assert answers(env, url, 3, ns=env.topo.ns["client"]) == {"b4": 3}
    # A nodePort the user gives is still kept.
    apply(env, service("lbnonp", [dict(http_port(port=8091)[0], nodePort=30991)], type="LoadBalancer",
                       allocateLoadBalancerNodePorts=False))
    assert env.kubectl_json("get", "svc", "lbnonp")["spec"]["ports"][0]["nodePort"] == 30991


def table():
    return sh("nft", "list", "table", "ip", "coracle").stdout


def svc_chain(text, name):
    """The rules of the cluster-IP chain of default/NAME in a table listing ("" when absent)."""
    start = text.find("/%s/tcp/http {" % name)
    return text[start:text.find("}", start)] if start >= 0 else ""


def test_convergence_and_delete(env):
    apply(env, service("conv", http_port()))
    apply(env, endpoint_slice("conv", ["b1"]))
    ip = cluster_ip(env, "conv")
    wait_answer("http://%s/" % ip)
    # An EndpointSlice change reaches the kernel within ~100 ms (API round trip included).
    lags = []
    for ready in (["b1", "b2"], ["b1"], ["b1", "b2", "b3"]):
        apply(env, endpoint_slice("conv", ready))
        t = time.monotonic()
        want = "numgen random mod %d" % len(ready)
        wait_for(lambda: want in svc_chain(table(), "conv"), timeout=5, interval=0.005, what=want)
        lags.append(time.monotonic() - t)
    print("convergence after kubectl apply returned (s):", ["%.3f" % x for x in lags], file=sys.stderr)
    assert max(lags) < 0.5, lags
    env.kubectl("delete", "svc", "conv")
    env.kubectl("delete", "endpointslice", "conv-1")
    wait_for(lambda: "/conv/" not in table(), timeout=5, interval=0.02, what="rules of conv removed")
    assert ip not in table()
    rc, _ = curl("http://%s/" % ip, timeout=2)
    assert rc != 0


def test_kill9_restart_keeps_services(env):
    apply(env, service("survivor", http_port()))
    apply(env, endpoint_slice("survivor", ["b1", "b2"]))
    ip = cluster_ip(env, "survivor")
    wait_answer("http://%s/" % ip)
    env.kill9()
    # The table stays in the kernel while the agent is away.
    assert set(answers(env, "http://%s/" % ip, 10)) <= {"b1", "b2"}
    env.start()
    # A change made after the restart converges (the restarted proxy replaced the table atomically).
    apply(env, endpoint_slice("survivor", ["b3"]))
    wait_for(lambda: curl("http://%s/" % ip)[1] == "b3" and answers(env, "http://%s/" % ip, 5) == {"b3": 5},
             timeout=20, what="survivor answering from b3 after restart")


def test_after_restart_earlier_services_still_spread(env):
    ip = cluster_ip(env, "web")
    seen = answers(env, "http://%s/" % ip, 30)
    assert set(seen) == {"b1", "b2", "b3"}, seen


# ---- real pods (the agent's pod network: bridge coracle0, podCIDR from the Node) ----

def web_container(readiness, ports=None):
    return {"name": "web", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
            "command": ["sh", "-c", "mkdir -p /srv; echo $POD_NAME > /srv/index.html; exec httpd -f -p 8080 -h /srv"],
            "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "ports": ports or [{"name": "http", "containerPort": 8080}],
            "readinessProbe": dict(readiness, periodSeconds=1)}


def pod_obj(name, labels, containers):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default", "labels": labels},
            "spec": {"containers": containers, "terminationGracePeriodSeconds": 1}}


def pod_wget(c, pod_name, url):
    uid = c.kubectl_json("get", "pod", pod_name)["metadata"]["uid"]
    p = subprocess.run(["timeout", "3", "nsenter", "--net=/run/netns/coracle-" + uid, "busybox", "wget", "-q", "-O",
                        "-", url], capture_output=True, text=True, timeout=10)
    return p.returncode, p.stdout.strip()


@pytest.fixture(scope="module")
def pods(env):
    ready = {"tcpSocket": {"port": 8080}}
    apply(env, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "pweb", "namespace": "default"},
                "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "pweb"}},
                         "template": {"metadata": {"labels": {"app": "pweb"}},
                                      "spec": {"containers": [web_container(ready)],
                                               "terminationGracePeriodSeconds": 1}}}})
    # Same labels, never ready: must receive nothing.
    apply(env, pod_obj("pweb-unready", {"app": "pweb"}, [web_container({"exec": {"command": ["test", "-f", "/nope"]}})]))
    apply(env, pod_obj("phost", {"app": "phost"}, [web_container(ready, ports=[
        {"name": "http", "containerPort": 8080, "hostPort": 8085}])]))
    apply(env, pod_obj("pclient", {"app": "pclient"}, [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                                         "command": ["sleep", "3600"]}]))
    apply(env, service("pweb", [{"name": "http", "port": 80, "targetPort": "http"}], selector={"app": "pweb"}))

    def running(name):
        p = env.kubectl("get", "pod", name, "-o", "json", check=False)
        return p.returncode == 0 and json.loads(p.stdout)["status"].get("phase") == "Running" and json.loads(p.stdout)
    pc = wait_for(lambda: running("pclient"), timeout=60, what="pclient running")
    if not pc["status"].get("podIP"):
        pytest.skip("no pod network on this agent yet (pclient has no status.podIP)")

    def ready_endpoints():
        items = env.kubectl_json("get", "endpointslices", "-l", "kubernetes.io/service-name=pweb")["items"]
        eps = [e for s in items for e in s.get("endpoints") or [] if e["conditions"].get("ready")]
        return len(eps) == 3 and eps
    wait_for(ready_endpoints, timeout=90, interval=0.5, what="3 ready pweb endpoints")
    wait_for(lambda: running("phost") and running("pweb-unready"), timeout=60, what="phost and pweb-unready running")
    return env


def test_pods_cluster_ip_spread_not_ready_excluded(pods):
    ip = cluster_ip(pods, "pweb")
    wait_for(lambda: pod_wget(pods, "pclient", "http://%s/" % ip)[0] == 0, timeout=10, what="pclient → pweb")
    seen = {}
    for _ in range(24):
        rc, out = pod_wget(pods, "pclient", "http://%s/" % ip)
        assert rc == 0, rc
        seen[out] = seen.get(out, 0) + 1
    assert len(seen) == 3 and all(n.startswith("pweb-") for n in seen), seen
    assert "pweb-unready" not in seen, seen
    # From the node too.
    assert set(answers(pods, "http://%s/" % ip, 9)) <= set(seen)


def test_pod_reaches_its_own_service(pods):
    ip = cluster_ip(pods, "pweb")
    me = [p["metadata"]["name"] for p in pods.kubectl_json("get", "pods", "-l", "app=pweb")["items"]
          if p["metadata"]["name"] != "pweb-unready"][0]
    seen = set()
    for _ in range(20):
        rc, out = pod_wget(pods, me, "http://%s/" % ip)
        assert rc == 0, rc
        seen.add(out)
    assert me in seen, seen  # hairpin: the pod answered itself through the Service


def test_host_port(pods):
    url = "http://%s:8085/" % NODE_IP
    wait_answer(url, ns=pods.topo.ns["client"])
    assert answers(pods, url, 3, ns=pods.topo.ns["client"]) == {"phost": 3}
    assert answers(pods, "http://127.0.0.1:8085/", 2) == {"phost": 2}


def test_pod_dns_over_udp_service(pods):
    """The cluster DNS (another component) is reached through its ClusterIP over UDP like any Service."""
    p = pods.kubectl("get", "svc", "-n", "kube-system", "kube-dns", "-o", "json", check=False)
    if p.returncode != 0:
        pytest.skip("no kube-system/kube-dns Service in this build")
    dns_ip = json.loads(p.stdout)["spec"]["clusterIP"]
    uid = pods.kubectl_json("get", "pod", "pclient")["metadata"]["uid"]

    def lookup():
        r = subprocess.run(["timeout", "3", "nsenter", "--net=/run/netns/coracle-" + uid, "busybox", "nslookup",
                            "pweb.default.svc.cluster.local", dns_ip], capture_output=True, text=True, timeout=10)
        return cluster_ip(pods, "pweb") in r.stdout and r.stdout
    wait_for(lookup, timeout=15, interval=0.5, what="pweb resolved through %s" % dns_ip)


def test_service_by_name_from_a_pod(pods):
    """A pod reaches the Service by its short name, with the namespace and by FQDN, through its own resolv.conf
    (search path, ndots:5), the cluster DNS behind 10.43.0.10, then the ClusterIP.
    1. Inside a busybox container: the test image's busybox is static glibc, whose wget and getaddrinfo crash in
       NSS, so its nslookup (busybox's own resolver, reading the pod's resolv.conf; it applies the search path
       to dotless names only) resolves and nc connects to the address.
    2. glibc's resolver, as in a glibc-based image: curl in the pod's network namespace with the pod's
       resolv.conf mounted over /etc/resolv.conf (a mount namespace of its own), for all three forms."""
    ip = cluster_ip(pods, "pweb")
    names = ["pweb", "pweb.default.svc.cluster.local"]
    script = "; ".join('a=$(nslookup %s | awk \'/^Address/ {a = $NF} END {print a}\'); '
                       'echo "%s $a $(printf \'GET / HTTP/1.0\\r\\n\\r\\n\' | nc -w 5 $a 80 | tail -n 1)"'
                       % (n, n) for n in names)
    apply(pods, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pnames", "namespace": "default"},
                 "spec": {"restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                          "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                          "command": ["sh", "-c", script]}]}})

    def done():
        p = pods.kubectl("get", "pod", "pnames", "-o", "json", check=False)
        return p.returncode == 0 and json.loads(p.stdout)["status"].get("phase") in ("Succeeded", "Failed")
    wait_for(done, timeout=60, what="the pnames pod to finish")
    out = pods.kubectl("logs", "pnames").stdout
    got = {f[0]: f[1:] for f in (line.split() for line in out.splitlines()) if len(f) == 3}
    assert set(got) == set(names), out
    assert all(a == ip and who.startswith("pweb-") and who != "pweb-unready" for a, who in got.values()), out
    pods.kubectl("delete", "pod", "pnames", "--wait=false")

    uid = pods.kubectl_json("get", "pod", "pclient")["metadata"]["uid"]
    resolv = os.path.join(pods.data_dir, "agent", "pods", uid, "resolv.conf")
    for name in ("pweb", "pweb.default", "pweb.default.svc.cluster.local"):
        p = subprocess.run(["nsenter", "--net=/run/netns/coracle-" + uid, "unshare", "-m", "sh", "-c",
                            'mount --bind "$0" /etc/resolv.conf && exec curl -s -m 5 "http://$1/"', resolv, name],
                           capture_output=True, text=True, timeout=20)
        assert p.returncode == 0 and p.stdout.startswith("pweb-") and "unready" not in p.stdout, (name, p)
