"""The cluster DNS end to end: a server with its node agent in the test's network namespace, the node given a
real address by conftest.ClientNetns (--node-ip 192.168.77.1), where the agent's DNS server listens on port 53.
A small DNS client written here (stdlib only: the query bytes are built by hand) asks it over UDP and TCP for
what a pod would: Service A records, SRV of named ports, headless Services' endpoints (from an EndpointSlice the
test writes), ExternalName CNAMEs, pod names, PTR records, NXDOMAIN against NODATA; a name outside the cluster is
forwarded to the host's resolvers, unreachable here, and must come back SERVFAIL within seconds. Also checks the
kube-dns Service of kube-system and its EndpointSlice listing the node, a pod's resolv.conf, and a busybox pod
resolving a Service through 10.43.0.10 (the service proxy's DNAT to the node)."""
import ipaddress
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import time

import pytest

import imagetools as it
from conftest import CORACLE_BIN, Cluster, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
NODE = "e2e-node"
NODE_IP = "192.168.77.1"
CLUSTER_DNS = "10.43.0.10"

A, NS, CNAME, SOA, PTR, TXT, AAAA, SRV, OPT = 1, 2, 5, 6, 12, 16, 28, 33, 41
NOERROR, SERVFAIL, NXDOMAIN = 0, 2, 3


# ---- a minimal DNS client ----

def build_query(name, qtype, qid, edns=0):
    labels = [l for l in name.rstrip(".").split(".") if l]
    q = b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\0" + struct.pack("!HH", qtype, 1)
    hdr = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 1 if edns else 0)
    opt = b"\0" + struct.pack("!HHIH", OPT, edns, 0, 0) if edns else b""
    return hdr + q + opt


def read_name(msg, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            jumped = True
            off = ((n & 0x3F) << 8) | msg[off + 1]
            continue
        if n == 0:
            return ".".join(labels), (end if jumped else off + 1)
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    raise AssertionError("compression loop")


def parse(msg):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    sections = []
    for count in (an, ns, ar):
        recs = []
        for _ in range(count):
            name, off = read_name(msg, off)
            rtype, _cls, ttl, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
            rd = off + 10
            if rtype == A:
                data = socket.inet_ntop(socket.AF_INET, msg[rd:rd + 4])
            elif rtype == AAAA:
                data = socket.inet_ntop(socket.AF_INET6, msg[rd:rd + 16])
            elif rtype in (CNAME, PTR, NS, SOA):
                data = read_name(msg, rd)[0]
            elif rtype == SRV:
                prio, weight, port = struct.unpack("!HHH", msg[rd:rd + 6])
                data = (port, read_name(msg, rd + 6)[0])
            else:
                data = msg[rd:rd + rdlen]
            recs.append((name, rtype, data, ttl))
            off = rd + rdlen
        sections.append(recs)
    assert off == len(msg), "trailing bytes in the answer"
    return {"id": qid, "flags": flags, "rcode": flags & 0xF, "tc": bool(flags & 0x200), "aa": bool(flags & 0x400),
            "answer": sections[0], "authority": sections[1], "additional": sections[2]}


def query(name, qtype=A, tcp=False, server=NODE_IP, port=53, timeout=5, edns=0):
    qid = random.randint(1, 65535)
    q = build_query(name, qtype, qid, edns)
    if tcp:
        with socket.create_connection((server, port), timeout=timeout) as s:
            s.sendall(struct.pack("!H", len(q)) + q)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                chunk = s.recv(65536)
                assert chunk, "connection closed early"
                buf += chunk
            msg = buf[2:2 + struct.unpack("!H", buf[:2])[0]]
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(q, (server, port))
            msg, _ = s.recvfrom(65535)
    r = parse(msg)
    assert r["id"] == qid
    return r


def values(r, rtype, section="answer"):
    return sorted(d for (_, t, d, _) in r[section] if t == rtype)


# ---- the cluster ----

def coracle(*args, check=True):
    p = subprocess.run([CORACLE_BIN] + list(args), capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError("coracle %s failed (%d): %s %s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


@pytest.fixture(scope="module")
def node(client_netns, request):
    workdir = tempfile.mkdtemp(prefix="coracle-dns-")
    c = Cluster(workdir, port=6475, agent=True,
                extra_args=["--pod-log-dir", os.path.join(workdir, "pod-logs"), "--node-ip", NODE_IP])
    archive = os.path.join(workdir, "busybox.tar")
    img = it.Image([it.Layer(it.tar_entries(it.busybox_entries()))], cmd=("/bin/sh",))
    it.oci_archive(archive, [(img, {"io.containerd.image.name": IMAGE})])
    coracle("images", "import", "--data-dir", c.data_dir, archive)
    c.start()

    def finish():
        try:
            c.stop()
        finally:
            if os.path.exists(c.data_dir):
                coracle("uninstall", "--data-dir", c.data_dir, check=False)
            reports = c.sanitizer_report()
            log = c.read_log()
            if not os.environ.get("CORACLE_KEEP"):
                shutil.rmtree(workdir, ignore_errors=True)
            assert not reports, "sanitizer reports:\n" + "\n".join(reports) + "\n" + log[-8000:]

    request.addfinalizer(finish)
    # The server answers once its informers have listed everything (SERVFAIL before).
    wait_for(lambda: _answers(), timeout=30, what="the DNS server to be synced")
    return c


def _answers():
    try:
        return query("kubernetes.default.svc.cluster.local", timeout=1)["rcode"] == NOERROR
    except OSError:
        return False


def apply(node, obj):
    node.kubectl("apply", "-f", "-", input=json.dumps(obj))


@pytest.fixture(scope="module")
def services(node):
    node.kubectl("create", "service", "clusterip", "web", "--tcp=80:8080")
    node.kubectl("create", "namespace", "db")
    apply(node, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "pg", "namespace": "db"},
                 "spec": {"clusterIP": "None", "ports": [{"name": "sql", "port": 5432}]}})
    apply(node, {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                 "metadata": {"name": "pg-manual", "namespace": "db",
                              "labels": {"kubernetes.io/service-name": "pg"}},
                 "addressType": "IPv4",
                 "ports": [{"name": "sql", "port": 5432, "protocol": "TCP"}],
                 "endpoints": [
                     {"addresses": ["10.42.0.31"], "hostname": "pg-0", "conditions": {"ready": True}},
                     {"addresses": ["10.42.0.32"], "hostname": "pg-1", "conditions": {"ready": True}},
                     {"addresses": ["10.42.0.33"], "hostname": "pg-2", "conditions": {"ready": False}}]})
    node.kubectl("create", "service", "externalname", "ext", "--external-name", "example.org")
    web = node.kubectl_json("get", "service", "web")
    # Informer events reach the index within moments.
    wait_for(lambda: query("ext.default.svc.cluster.local")["answer"] and
             values(query("pg.db.svc.cluster.local"), A), what="the Services in DNS")
    return web


# ---- kube-dns ----

def test_kube_dns_service(node):
    svc = node.kubectl_json("get", "service", "kube-dns", "-n", "kube-system")
    assert svc["spec"]["clusterIP"] == CLUSTER_DNS
    assert svc["metadata"]["labels"] == {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                         "kubernetes.io/name": "CoreDNS"}
    assert "selector" not in svc["spec"]
    ports = {(p["name"], p["port"], p["protocol"]) for p in svc["spec"]["ports"]}
    assert ports == {("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")}

    def slice_ips():
        p = node.kubectl("get", "endpointslice", "kube-dns", "-n", "kube-system", "-o", "json", check=False)
        if p.returncode != 0:
            return None
        sl = json.loads(p.stdout)
        return [a for e in sl.get("endpoints") or [] for a in e["addresses"]], sl
    ips, sl = wait_for(lambda: (slice_ips() or [None])[0] and slice_ips(), what="kube-dns EndpointSlice")
    assert ips == [NODE_IP]
    assert sl["metadata"]["labels"]["kubernetes.io/service-name"] == "kube-dns"
    assert sl["endpoints"][0]["nodeName"] == NODE
    assert {(p["name"], p["port"], p["protocol"]) for p in sl["ports"]} == {("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")}
    ep = node.kubectl_json("get", "endpoints", "kube-dns", "-n", "kube-system")
    assert [a["ip"] for a in ep["subsets"][0]["addresses"]] == [NODE_IP]
    # The DNS Service's own name resolves to its cluster IP.
    assert values(query("kube-dns.kube-system.svc.cluster.local"), A) == [CLUSTER_DNS]


# ---- records ----

def test_service_a_udp_and_tcp(node, services):
    ip = services["spec"]["clusterIP"]
    for tcp in (False, True):
        r = query("web.default.svc.cluster.local", tcp=tcp)
        assert r["rcode"] == NOERROR and r["aa"]
        assert values(r, A) == [ip]
        assert r["answer"][0][3] == 5  # TTL
    # Case does not matter, and the client's spelling comes back.
    r = query("WEB.Default.SVC.Cluster.Local")
    assert values(r, A) == [ip]
    assert r["answer"][0][0] == "WEB.Default.SVC.Cluster.Local"
    # The kubernetes Service too.
    assert values(query("kubernetes.default.svc.cluster.local"), A) == ["10.43.0.1"]


def test_nodata_and_nxdomain(node, services):
    r = query("web.default.svc.cluster.local", AAAA)
    assert r["rcode"] == NOERROR and r["answer"] == []
    assert values(r, SOA, "authority") == ["ns.dns.cluster.local"]
    for name in ("nope.default.svc.cluster.local", "web.nosuchns.svc.cluster.local", "*.default.svc.cluster.local",
                 "web.default.svc.cluster.local.default.svc.cluster.local", "something.cluster.local"):
        r = query(name)
        assert r["rcode"] == NXDOMAIN, name
        assert values(r, SOA, "authority") == ["ns.dns.cluster.local"], name
    r = query("db.svc.cluster.local")
    assert r["rcode"] == NOERROR and r["answer"] == []


def test_srv(node, services):
    r = query("_80-8080._tcp.web.default.svc.cluster.local", SRV)
    assert r["rcode"] == NOERROR
    assert values(r, SRV) == [(80, "web.default.svc.cluster.local")]
    assert values(r, A, "additional") == [services["spec"]["clusterIP"]]
    assert query("_80-8080._udp.web.default.svc.cluster.local", SRV)["rcode"] == NXDOMAIN
    r = query("_sql._tcp.pg.db.svc.cluster.local", SRV, tcp=True)
    assert values(r, SRV) == [(5432, "pg-0.pg.db.svc.cluster.local"), (5432, "pg-1.pg.db.svc.cluster.local")]
    assert values(r, A, "additional") == ["10.42.0.31", "10.42.0.32"]


def test_headless_and_hostnames(node, services):
    assert values(query("pg.db.svc.cluster.local"), A) == ["10.42.0.31", "10.42.0.32"]  # not the unready one
    assert values(query("pg-1.pg.db.svc.cluster.local"), A) == ["10.42.0.32"]
    assert query("pg-2.pg.db.svc.cluster.local")["rcode"] == NXDOMAIN
    # The endpoint follows the EndpointSlice.
    node.kubectl("patch", "endpointslice", "pg-manual", "-n", "db", "--type=json",
                 "-p", json.dumps([{"op": "replace", "path": "/endpoints/2/conditions/ready", "value": True}]))
    wait_for(lambda: values(query("pg.db.svc.cluster.local"), A) == ["10.42.0.31", "10.42.0.32", "10.42.0.33"],
             what="the third endpoint")


def test_external_name_pod_and_ptr(node, services):
    r = query("ext.default.svc.cluster.local")
    assert r["rcode"] == NOERROR and values(r, CNAME) == ["example.org"]
    assert values(query("10-42-0-77.default.pod.cluster.local"), A) == ["10.42.0.77"]
    assert query("10-42-0-77.nosuchns.pod.cluster.local")["rcode"] == NXDOMAIN
    ip = services["spec"]["clusterIP"]
    rev = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
    assert values(query(rev, PTR), PTR) == ["web.default.svc.cluster.local"]
    assert values(query("31.0.42.10.in-addr.arpa", PTR), PTR) == ["pg-0.pg.db.svc.cluster.local"]


def test_deleted_service_goes_away(node, services):
    node.kubectl("create", "service", "clusterip", "shortlived", "--tcp=81:81")
    wait_for(lambda: values(query("shortlived.default.svc.cluster.local"), A), what="shortlived in DNS")
    node.kubectl("delete", "service", "shortlived")
    wait_for(lambda: query("shortlived.default.svc.cluster.local")["rcode"] == NXDOMAIN, what="NXDOMAIN")


def test_forward_fails_fast(node):
    """Nothing upstream is reachable from the test namespace: SERVFAIL by the forwarder's deadline, never a hang."""
    for tcp in (False, True):
        t0 = time.monotonic()
        r = query("example.com", tcp=tcp, timeout=5)
        assert r["rcode"] == SERVFAIL
        assert time.monotonic() - t0 < 3.0
    # An unknown address's PTR falls through to the upstream resolvers too.
    assert query("4.3.2.1.in-addr.arpa", PTR)["rcode"] == SERVFAIL


def test_not_on_other_addresses(node):
    """The server listens on the node IP, not on every address of the host."""
    with pytest.raises(OSError):
        query("web.default.svc.cluster.local", server="127.0.0.1", timeout=1)


# ---- pods ----

def test_pod_resolv_conf_and_lookup(node, services):
    """A busybox pod: its resolv.conf points at the cluster DNS with the search path, and it resolves a Service
    through 10.43.0.10 (the service proxy's DNAT to the node's DNS server)."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "dnsclient", "namespace": "default"},
           "spec": {"nodeName": NODE, "restartPolicy": "Never", "terminationGracePeriodSeconds": 1,
                    "dnsConfig": {"options": [{"name": "timeout", "value": "2"}]},
                    "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                    "command": ["sh", "-c", "cat /etc/resolv.conf; echo ---; "
                                                "nslookup web.default.svc.cluster.local " + CLUSTER_DNS]}]}}
    apply(node, pod)

    def done():
        p = node.kubectl("get", "pod", "dnsclient", "-o", "json", check=False)
        return p.returncode == 0 and json.loads(p.stdout)["status"].get("phase") in ("Succeeded", "Failed")
    wait_for(done, timeout=60, what="the dnsclient pod to finish")
    out = node.kubectl("logs", "dnsclient").stdout
    conf, _, lookup = out.partition("---")
    assert "nameserver %s" % CLUSTER_DNS in conf
    assert "search default.svc.cluster.local svc.cluster.local cluster.local" in conf
    assert "options ndots:5 timeout:2" in conf
    assert services["spec"]["clusterIP"] in lookup, out
    node.kubectl("delete", "pod", "dnsclient", "--wait=false")


def test_kube_dns_comes_back(node):
    """Like the kubernetes Service, kube-dns is part of the cluster: deleted, it is re-created within seconds
    with the same cluster IP, and the controller fills its endpoints again."""
    node.kubectl("delete", "service", "kube-dns", "-n", "kube-system")

    def back():
        p = node.kubectl("get", "service", "kube-dns", "-n", "kube-system", "-o", "json", check=False)
        return p.returncode == 0 and json.loads(p.stdout)["spec"]["clusterIP"] == CLUSTER_DNS
    wait_for(back, timeout=25, interval=0.5, what="kube-dns re-created")

    def slice_ips():
        p = node.kubectl("get", "endpointslice", "kube-dns", "-n", "kube-system", "-o", "json", check=False)
        if p.returncode != 0:
            return None
        return [a for e in json.loads(p.stdout).get("endpoints") or [] for a in e["addresses"]]
    assert wait_for(slice_ips, timeout=20, what="kube-dns endpoints again") == [NODE_IP]
