#!/usr/bin/python3
"""Load generator of bench-scheduler.sh: creates N pods as fast as THREADS connections allow (bearer token,
keep-alive HTTPS), watches the namespace's pods, and reports scheduling throughput (pods bound per second,
from the first create to the last binding seen) and create→bound latency percentiles (from the create's
201 answer to the watch event that shows spec.nodeName; both clocks are this process's).

With a SCHEDULER command line (the server then runs none), all N pods are created first, then the command
is started (and SIGTERMed at the end): bound_per_s then counts from its start to the last binding, scheduling
alone, and the latencies include the wait for the scheduler.

Usage: bench-scheduler-load.py URL CA_FILE TOKEN_FILE N THREADS [SCHEDULER...]
Prints one line: pods=N threads=T create_per_s=.. bound_per_s=.. p50_ms=.. p99_ms=.. max_ms=.. wall_s=..
[sched_cpu_s=..] loader_cpu_s=.. (this process's own CPU: it shares the machine with the server)
"""
import http.client
import resource
import json
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

url, ca, token_file, n, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sched_cmd = sys.argv[6:]
u = urllib.parse.urlparse(url)
token = open(token_file).read().strip()
ctx = ssl.create_default_context(cafile=ca)
NS = "bench"
HDR = {"Authorization": "Bearer " + token, "Content-Type": "application/json", "Accept": "application/json"}


def conn():
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=120)


def request(c, method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=HDR)
    r = c.getresponse()
    data = r.read()
    return r.status, data


c0 = conn()
request(c0, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
st, data = request(c0, "GET", "/api/v1/namespaces/%s/pods?limit=1" % NS)
rv = json.loads(data)["metadata"]["resourceVersion"]

created = {}  # name -> time the 201 arrived
bound = {}  # name -> time the binding was seen
lock = threading.Lock()
done = threading.Event()


def watcher():
    c = conn()
    c.request("GET", "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (NS, rv), headers=HDR)
    r = c.getresponse()
    while len(bound) < n:
        line = r.readline()
        if not line:
            break
        now = time.monotonic()
        ev = json.loads(line)
        obj = ev.get("object", {})
        name = obj.get("metadata", {}).get("name")
        if obj.get("spec", {}).get("nodeName") and name not in bound:
            with lock:
                bound[name] = now
    done.set()


def creator(idx):
    c = conn()
    for i in range(idx, n, threads):
        name = "p%05d" % i
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "bench"}},
                "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                         "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]}}
        st, data = request(c, "POST", "/api/v1/namespaces/%s/pods" % NS, body)
        if st != 201:
            print("create %s: %d %s" % (name, st, data[:200]), file=sys.stderr)
            continue
        with lock:
            created[name] = time.monotonic()


w = threading.Thread(target=watcher, daemon=True)
w.start()
t0 = t_create0 = time.monotonic()
ts = [threading.Thread(target=creator, args=(i,)) for i in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
t_created = time.monotonic()
sched = None
if sched_cmd:
    t0 = time.monotonic()  # scheduling alone: from the scheduler's start
    sched = subprocess.Popen(sched_cmd)
done.wait(300)
t_end = max(bound.values()) if bound else time.monotonic()
if sched:
    sched.terminate()
    sched.wait(60)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    extra = " sched_cpu_s=%.1f" % (ru.ru_utime + ru.ru_stime)
else:
    extra = ""
ru_self = resource.getrusage(resource.RUSAGE_SELF)
extra += " loader_cpu_s=%.1f" % (ru_self.ru_utime + ru_self.ru_stime)
lat = sorted((bound[k] - created[k]) * 1000 for k in bound if k in created)


def pct(p):
    return lat[min(len(lat) - 1, int(len(lat) * p))] if lat else float("nan")


print("pods=%d threads=%d bound=%d create_per_s=%.0f bound_per_s=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f "
      "wall_s=%.2f%s" % (n, threads, len(bound), len(created) / (t_created - t_create0), len(bound) / (t_end - t0),
                       pct(0.5), pct(0.99), lat[-1] if lat else float("nan"), t_end - t0,
                       extra))
