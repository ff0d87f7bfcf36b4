"""The pod network end to end: a server with its node agent in the test's network namespace, the node given a
real address by a veth to a client namespace (conftest.ClientNetns, --node-ip 192.168.77.1). Checks what a user
sees: the Node's podCIDR from --cluster-cidr, pods' IPs from it (kubectl get -o wide), TCP pod→pod, node→pod and
client→pod (forwarding through the node), the address freed and reused after a delete, pods keeping their
addresses and connectivity over a kill -9 of the server, a hostNetwork pod on the node's address, and
`coracle uninstall` removing the bridge, veths, the nft table `ip coracle` and the sysctls it changed while
leaving another tool's bridge and table alone, and `coracle server --cleanup-on-exit` doing the same on SIGTERM."""
import ipaddress
import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from conftest import BUSYBOX_IMAGE as IMAGE, coracle, start_agent_node, wait_for

NODE = "e2e-node"
NODE_IP = "192.168.77.1"
POD_CIDR = "10.42.0.0/24"

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")


def sh(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def node(client_netns, request):
    # The session's netns may carry route_localnet=1 from earlier agents (killall leaves sysctls alone):
    # start from the kernel default so that uninstall has a value of ours to restore.
    with open("/proc/sys/net/ipv4/conf/all/route_localnet", "w") as f:
        f.write("0")

    def remove_others(c):
        sh("ip", "link", "del", "e2eother0")
        sh("nft", "delete", "table", "ip", "e2eother")

    c = start_agent_node(request, "coracle-net-", 6471, ["--node-ip", NODE_IP], teardown="uninstall",
                         after_stop=remove_others)
    c.client = client_netns
    return c


def web(name, port=8080, host_network=False):
    spec = {"nodeName": NODE, "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                              "command": ["httpd", "-f", "-p", str(port), "-h", "/www"]}],
            "terminationGracePeriodSeconds": 1}
    if host_network:
        spec["hostNetwork"] = True
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"}, "spec": spec}


def get_pod(node, name):
    p = node.kubectl("get", "pod", name, "-o", "json", check=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def running(node, name, timeout=60):
    def ok():
        p = get_pod(node, name)
        return p if p and p.get("status", {}).get("phase") == "Running" and p["status"].get("podIP") else None
    return wait_for(ok, timeout=timeout, interval=0.3, what="pod %s running with an IP: %s" % (name, get_pod(node, name)))


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wget_from_netns(netns_path, url):
    p = subprocess.run(["nsenter", "--net=" + netns_path, "timeout", "5", "busybox", "wget", "-q", "-O", "-", url],
                       capture_output=True, text=True, timeout=20)
    return p.stdout if p.returncode == 0 else None


def netns_of(pod):
    return "/run/netns/coracle-" + pod["metadata"]["uid"]


def test_pods_wait_for_a_pod_cidr(client_netns, request):
    """A cluster CIDR too small for one node's /24: the Node gets no podCIDR, its pods wait in ContainerCreating
    with a message saying so, while a hostNetwork pod (which needs none) runs."""
    c = start_agent_node(request, "coracle-net-wait-", 6472,
                         ["--node-ip", NODE_IP, "--cluster-cidr", "10.42.0.0/25", "--disable-scheduler"],
                         teardown="uninstall")
    c.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                    "items": [web("waits"), web("hostnet", 18081, True)]}))
    running(c, "hostnet")
    def waiting():
        p = get_pod(c, "waits")
        st = (p["status"].get("containerStatuses") or [{}])[0].get("state", {}).get("waiting", {})
        return p if "message" in st else None
    p = wait_for(waiting, timeout=30, interval=0.3, what="waits reported")
    w = p["status"]["containerStatuses"][0]["state"]["waiting"]
    assert w["reason"] == "ContainerCreating" and "no podCIDR" in w.get("message", ""), p["status"]
    assert p["status"]["phase"] == "Pending" and not p["status"].get("podIP")
    assert "podCIDR" not in c.kubectl_json("get", "node", NODE)["spec"]
    assert "coracle0" not in sh("ip", "-o", "link", "show").stdout
    c.kubectl("delete", "pod", "waits", "hostnet", "--wait=true", timeout=60)


def test_node_gets_pod_cidr(node):
    def cidr():
        p = node.kubectl("get", "node", NODE, "-o", "json", check=False)
        n = json.loads(p.stdout) if p.returncode == 0 else {}
        return n.get("spec", {}).get("podCIDR") and n
    n = wait_for(cidr, timeout=30, what="node podCIDR")
    assert n["spec"]["podCIDR"] == POD_CIDR, n["spec"]  # the first /24 of the default 10.42.0.0/16
    assert n["spec"]["podCIDRs"] == [POD_CIDR]
    assert {"type": "InternalIP", "address": NODE_IP} in n["status"]["addresses"]


def test_pods_get_addresses_and_talk(node):
    node.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List",
                                                       "items": [web("web-a"), web("web-b")]}))
    a, b = running(node, "web-a"), running(node, "web-b")
    ips = [a["status"]["podIP"], b["status"]["podIP"]]
    net = ipaddress.ip_network(POD_CIDR)
    for p, ip in zip((a, b), ips):
        assert ipaddress.ip_address(ip) in net and ip not in ("10.42.0.0", "10.42.0.1", "10.42.0.255"), ip
        assert p["status"]["podIPs"] == [{"ip": ip}]
        assert p["status"]["hostIP"] == NODE_IP
    assert ips[0] != ips[1]
    wide = node.kubectl("get", "pods", "-o", "wide").stdout
    for ip in ips:
        assert ip in wide, wide
    # Inside the pod: eth0 with the address, default route via the bridge's gateway.
    addr = sh("ip", "-n", "coracle-" + a["metadata"]["uid"], "-4", "-o", "addr", "show", "eth0").stdout
    assert ips[0] + "/24" in addr, addr
    route = sh("ip", "-n", "coracle-" + a["metadata"]["uid"], "route", "show", "default").stdout
    assert route.startswith("default via 10.42.0.1 dev eth0"), route
    # The node side: the bridge holds the gateway, the pod's veth is a port of it with hairpin on.
    assert "10.42.0.1/24" in sh("ip", "-4", "-o", "addr", "show", "coracle0").stdout
    ports = sh("bridge", "-d", "link", "show", "master", "coracle0").stdout
    assert ports.count("hairpin on") >= 2, ports
    # pod → pod (TCP through the bridge), node → pod, client → pod (forwarded by the node).
    body = wait_for(lambda: wget_from_netns(netns_of(a), "http://%s:8080/" % ips[1]), timeout=20, what="a → b")
    assert "hello from busybox httpd" in body
    assert "hello from busybox httpd" in wait_for(lambda: wget_from_netns(netns_of(b), "http://%s:8080/" % ips[0]),
                                                  timeout=20, what="b → a")
    assert "hello from busybox httpd" in http_get("http://%s:8080/" % ips[0])
    c = node.client.run("timeout", "5", "busybox", "wget", "-q", "-O", "-", "http://%s:8080/" % ips[1])
    assert "hello from busybox httpd" in c.stdout, c
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read().strip() == "1"
    with open("/proc/sys/net/ipv4/conf/all/route_localnet") as f:
        assert f.read().strip() == "1"


def test_address_freed_and_reused(node):
    b = get_pod(node, "web-b")
    ip, uid = b["status"]["podIP"], b["metadata"]["uid"]
    record = os.path.join(node.data_dir, "agent", "net", "ipam", ip)
    with open(record) as f:
        assert f.read().strip() == uid
    veths_before = sh("ip", "-o", "link", "show", "master", "coracle0").stdout
    node.kubectl("delete", "pod", "web-b", "--wait=true", timeout=60)
    assert not os.path.exists(record)
    veths_after = sh("ip", "-o", "link", "show", "master", "coracle0").stdout
    assert veths_after.count("veth") == veths_before.count("veth") - 1, (veths_before, veths_after)
    node.kubectl("apply", "-f", "-", input=json.dumps(web("web-c")))
    c = running(node, "web-c")
    assert c["status"]["podIP"] == ip  # lowest free address: the one web-b gave back
    assert "hello from busybox httpd" in wait_for(lambda: wget_from_netns(netns_of(get_pod(node, "web-a")),
                                                                          "http://%s:8080/" % ip), timeout=20,
                                                  what="a → c")


def test_host_network_pod(node):
    node.kubectl("apply", "-f", "-", input=json.dumps(web("hostweb", port=18080, host_network=True)))
    p = running(node, "hostweb")
    assert p["status"]["podIP"] == NODE_IP and p["status"]["podIPs"] == [{"ip": NODE_IP}]
    assert not os.path.exists(netns_of(p))  # no namespace of its own
    assert "hello from busybox httpd" in wait_for(lambda: _try(http_get, "http://%s:18080/" % NODE_IP), timeout=20,
                                                  what="httpd on the node's address")
    # The node's address serves it to the client too.
    c = node.client.run("timeout", "5", "busybox", "wget", "-q", "-O", "-", "http://%s:18080/" % NODE_IP)
    assert "hello from busybox httpd" in c.stdout, c
    node.kubectl("delete", "pod", "hostweb", "--wait=true", timeout=60)


def _try(fn, *a):
    try:
        return fn(*a)
    except OSError:
        return None


def test_kill9_keeps_addresses(node):
    before = {n: get_pod(node, n)["status"]["podIP"] for n in ("web-a", "web-c")}
    node.kill9()
    # Pods keep their network while the server is away.
    assert "hello from busybox httpd" in http_get("http://%s:8080/" % before["web-a"])
    node.start()
    for n, ip in before.items():
        p = running(node, n)
        assert p["status"]["podIP"] == ip, (n, p["status"])
    node.kubectl("apply", "-f", "-", input=json.dumps(web("web-d")))
    d = running(node, "web-d")
    assert d["status"]["podIP"] not in before.values()
    body = wait_for(lambda: wget_from_netns(netns_of(d), "http://%s:8080/" % before["web-c"]), timeout=20,
                    what="d → c after the restart")
    assert "hello from busybox httpd" in body


def test_uninstall_removes_only_ours(node):
    pods = node.kubectl_json("get", "pods")["items"]
    veths = [line.split(":")[1].strip().split("@")[0]
             for line in sh("ip", "-o", "link", "show", "master", "coracle0").stdout.splitlines()]
    assert len(veths) == len(pods) == 3, (veths, pods)
    # Another tool's bridge and table, which must survive; the proxy's table (created here if it is not there).
    assert sh("ip", "link", "add", "e2eother0", "type", "bridge").returncode == 0
    assert sh("nft", "add", "table", "ip", "e2eother").returncode == 0
    assert sh("nft", "add", "table", "ip", "coracle").returncode == 0
    node.stop()
    out = coracle("uninstall", "--data-dir", node.data_dir).stdout
    assert "deleted bridge coracle0" in out and "deleted nftables table ip coracle" in out, out
    assert "restored net.ipv4.conf.all.route_localnet=0" in out, out
    links = sh("ip", "-o", "link", "show").stdout
    assert "coracle0" not in links, links
    for v in veths:
        assert v not in links, (v, links)
    assert "e2eother0" in links and node.client.uplink in links
    assert "10.42.0." not in sh("ip", "-4", "route", "show").stdout
    tables = sh("nft", "list", "tables").stdout
    assert "table ip coracle" not in tables and "table ip e2eother" in tables, tables
    with open("/proc/sys/net/ipv4/conf/all/route_localnet") as f:
        assert f.read().strip() == "0"
    for p in pods:
        assert not os.path.exists(netns_of(p))
    assert not os.path.exists(node.data_dir)


def _sysctl(name):
    with open("/proc/sys/net/ipv4/" + name) as f:
        return f.read().strip()


def _set_sysctl(name, value):
    with open("/proc/sys/net/ipv4/" + name, "w") as f:
        f.write(value)


def test_cleanup_on_exit(client_netns, request):
    """`coracle server --cleanup-on-exit`: SIGTERM stops the pods and leaves nothing of the pod network behind
    (bridge, veths, pod namespaces, routes, table ip coracle), with the sysctls it changed back to what they
    were; the data directory (images, store) stays. Runs after the module's node was uninstalled."""
    for name in ("conf/all/route_localnet", "ip_forward"):
        _set_sysctl(name, "0")
    c = start_agent_node(request, "coracle-net-clean-", 6473, ["--node-ip", NODE_IP, "--cleanup-on-exit"],
                         teardown="uninstall")
    pod = web("clean-a")
    pod["metadata"]["labels"] = {"app": "clean"}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "clean", "namespace": "default"},
           "spec": {"selector": {"app": "clean"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    c.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, svc]}))
    p = running(c, "clean-a")
    assert "hello from busybox httpd" in http_get("http://%s:8080/" % p["status"]["podIP"])
    cip = c.kubectl_json("get", "svc", "clean")["spec"]["clusterIP"]
    wait_for(lambda: p["status"]["podIP"] in sh("nft", "list", "table", "ip", "coracle").stdout, timeout=20,
             what="the Service's endpoint in table ip coracle")
    assert cip in sh("nft", "list", "table", "ip", "coracle").stdout
    veths = [line.split(":")[1].strip().split("@")[0]
             for line in sh("ip", "-o", "link", "show", "master", "coracle0").stdout.splitlines()]
    assert len(veths) == 1, veths
    assert _sysctl("conf/all/route_localnet") == "1" and _sysctl("ip_forward") == "1"

    assert c.stop() == 0
    log = c.read_log()
    assert "node network cleaned up" in log, log[-4000:]
    links = sh("ip", "-o", "link", "show").stdout
    assert "coracle0" not in links and veths[0] not in links, links
    assert "table ip coracle" not in sh("nft", "list", "tables").stdout
    assert "10.42.0." not in sh("ip", "-4", "route", "show").stdout
    assert not os.path.exists(netns_of(p))
    assert _try(http_get, "http://%s:8080/" % p["status"]["podIP"]) is None
    assert _sysctl("conf/all/route_localnet") == "0" and _sysctl("ip_forward") == "0"
    assert os.path.isdir(c.data_dir)  # images and the store stay
