#!/usr/bin/python3
"""Per-packet CPU cost of the Service path, measured in CPU time rather than throughput (throughput on a
shared, loaded machine swings by more than the effect: see BENCHMARKS.md).

Two network namespaces: a "node" with a bridge and the proxy's table skeleton, a "pod" behind a veth with a
UDP socket that reads everything. A connected UDP socket in the node sends N datagrams (one established
conntrack flow) either straight to the pod or through a ClusterIP DNATed to it; the sender's system CPU time
per datagram covers the output hooks, conntrack, NAT and re-routing, the veth and the pod's receive path
(the veth hands packets over in the sender's softirq context). Table variants:
  nat-only      the proxy's current skeleton: only nat base chains (first packet of a flow only);
  with-filter   the former skeleton: also filter prerouting/output base chains at -110 evaluating
                `ct state new` on every packet;
  none          no table at all (no conntrack in the namespace: the direct path only).
Alternating runs, medians. Usage: bench-proxy-packet.py [N=200000] [RUNS=7]. Root; cleans up after itself."""
import ctypes
import os
import resource
import socket
import subprocess
import sys
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
TAG = "cbpp%d" % os.getpid()
NODE, POD = TAG + "-node", TAG + "-pod"
POD_IP, CIP = "10.42.0.11", "10.43.0.10"

SKELETON = """
add table ip coracle
delete table ip coracle
table ip coracle {
  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }
  map service-nodeports { type inet_proto . inet_service : verdict; }
  map no-endpoint-nodeports { type inet_proto . inet_service : verdict; }
  map hostports { type inet_proto . inet_service : verdict; }
  map hostports-ip { type ipv4_addr . inet_proto . inet_service : verdict; }
  chain mark-for-masquerade { meta mark set meta mark | 0x4000; }
  chain reject-chain { meta l4proto tcp reject with tcp reset; reject; }
  chain local-ports {
    meta l4proto . th dport vmap @no-endpoint-nodeports
    meta l4proto . th dport vmap @service-nodeports
    meta l4proto . th dport vmap @hostports
  }
  chain services {
    ip daddr . meta l4proto . th dport vmap @no-endpoint-services
    ip daddr . meta l4proto . th dport vmap @service-ips
    ip daddr . meta l4proto . th dport vmap @hostports-ip
    fib daddr type local goto local-ports
  }
  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }
  chain nat-output { type nat hook output priority -100; policy accept; jump services; }
  chain nat-postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    meta mark & 0x4000 == 0x4000 masquerade
    ip saddr 127.0.0.0/8 ct status dnat masquerade
    ip saddr 10.42.0.0/16 ip daddr != { 10.42.0.0/16, 224.0.0.0/4 } masquerade
  }
  chain ep-1 { ip saddr 10.42.0.11 jump mark-for-masquerade; meta l4proto udp dnat to 10.42.0.11:9000; }
  chain svc-1 { ip saddr != 10.42.0.0/16 jump mark-for-masquerade; numgen random mod 1 vmap { 0 : goto ep-1 }; }
}
add element ip coracle service-ips { 10.43.0.10 . udp . 53 : goto svc-1 }
"""
FILTER = """
table ip coracle {
  chain endpoints-check {
    ip daddr . meta l4proto . th dport vmap @no-endpoint-services
    fib daddr type local meta l4proto . th dport vmap @no-endpoint-nodeports
  }
  chain filter-prerouting { type filter hook prerouting priority -110; policy accept; ct state new jump endpoints-check; }
  chain filter-output { type filter hook output priority -110; policy accept; ct state new jump endpoints-check; }
}
"""


def sh(*args, ns=None, input=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    subprocess.run(cmd, check=True, input=input, text=True, capture_output=True)


CLONE_NEWNET = 0x40000000
LIBC = ctypes.CDLL(None, use_errno=True)


def setns_fd(fd):
    if LIBC.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")


def setns(name):
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    try:
        setns_fd(fd)
    finally:
        os.close(fd)


def send_cost(dst):
    """System CPU ns per datagram for N datagrams on one connected socket (one conntrack flow)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(dst)
    payload = b"x" * 64
    for _ in range(2000):  # the flow exists and the caches are warm before measuring
        s.send(payload)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(N):
        s.send(payload)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    s.close()
    return (r1.ru_stime - r0.ru_stime) * 1e9 / N


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def main():
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    sh("ip", "netns", "add", NODE)
    sh("ip", "netns", "add", POD)
    sink = None
    try:
        sh("ip", "link", "set", "lo", "up", ns=NODE)
        sh("ip", "link", "add", "br0", "type", "bridge", ns=NODE)
        sh("ip", "addr", "add", "10.42.0.1/24", "dev", "br0", ns=NODE)
        sh("ip", "link", "set", "br0", "up", ns=NODE)
        sh("ip", "link", "add", "v0", "type", "veth", "peer", "name", "eth0", "netns", POD, ns=NODE)
        sh("ip", "link", "set", "v0", "master", "br0", "up", ns=NODE)
        sh("ip", "route", "add", "10.43.0.0/16", "dev", "br0", ns=NODE)
        sh("ip", "link", "set", "lo", "up", ns=POD)
        sh("ip", "addr", "add", POD_IP + "/24", "dev", "eth0", ns=POD)
        sh("ip", "link", "set", "eth0", "up", ns=POD)
        sh("ip", "route", "add", "default", "via", "10.42.0.1", ns=POD)
        # The sink drains its socket so that datagrams are delivered, not dropped at a full queue.
        sink = subprocess.Popen(["ip", "netns", "exec", POD, "/usr/bin/python3", "-c",
                                 "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
                                 "s.bind(('0.0.0.0',9000))\nwhile True: s.recv(2048)"])
        time.sleep(0.3)
        setns(NODE)
        results = {}
        variants = [("none", None), ("nat-only", SKELETON), ("with-filter", SKELETON + FILTER)]
        for _ in range(RUNS):
            for name, script in variants:
                subprocess.run(["nft", "delete", "table", "ip", "coracle"], capture_output=True)
                if script:
                    subprocess.run(["nft", "-f", "-"], input=script, text=True, check=True)
                results.setdefault((name, "pod IP"), []).append(send_cost((POD_IP, 9000)))
                if script:
                    results.setdefault((name, "ClusterIP"), []).append(send_cost((CIP, 53)))
        subprocess.run(["nft", "delete", "table", "ip", "coracle"], capture_output=True)
        setns_fd(own)
        print("load average: %s; N=%d datagrams per run, %d runs, medians of system CPU ns per datagram"
              % (" ".join(open("/proc/loadavg").read().split()[:3]), N, RUNS))
        for name, _ in variants:
            d = median(results[(name, "pod IP")])
            line = "%-12s pod IP %6.0f ns" % (name, d)
            if (name, "ClusterIP") in results:
                c = median(results[(name, "ClusterIP")])
                line += " | ClusterIP %6.0f ns | ClusterIP/direct cost %.3f" % (c, c / d)
            print(line)
    finally:
        if sink:
            sink.kill()
            sink.wait()
        setns_fd(own)
        subprocess.run(["ip", "netns", "del", NODE], capture_output=True)
        subprocess.run(["ip", "netns", "del", POD], capture_output=True)


if __name__ == "__main__":
    main()
