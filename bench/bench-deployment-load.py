#!/usr/bin/python3
"""Load of bench-scheduler.sh MODE=deployment: POSTs one Deployment with N replicas (10m CPU, 16Mi each) and
watches the namespace's pods and the Deployment until status.availableReplicas == N. Reports, from the POST's
201 answer: when the last pod was created (replicaset controller), bound (scheduler), Running (simulated
nodes) and when the Deployment reported N available (deployment controller's status). One process clock.

Usage: bench-deployment-load.py URL CA_FILE TOKEN_FILE N
Prints one line: replicas=N created_s=.. bound_s=.. running_s=.. available_s=..
"""
import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

url, ca, token_file, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
u = urllib.parse.urlparse(url)
token = open(token_file).read().strip()
ctx = ssl.create_default_context(cafile=ca)
NS = "bench"
HDR = {"Authorization": "Bearer " + token, "Content-Type": "application/json", "Accept": "application/json"}
TIMEOUT = 600


def conn():
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=TIMEOUT)


def request(c, method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=HDR)
    r = c.getresponse()
    return r.status, r.read()


c0 = conn()
request(c0, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
rv_pods = json.loads(request(c0, "GET", "/api/v1/namespaces/%s/pods?limit=1" % NS)[1])["metadata"]["resourceVersion"]

seen = {"created": set(), "bound": set(), "running": set()}
last = {"created": None, "bound": None, "running": None, "available": None}
lock = threading.Lock()
ready = threading.Event()  # set once both watches are open


def watch(path, on_event, opened):
    c = conn()
    c.request("GET", path, headers=HDR)
    r = c.getresponse()
    opened.set()
    while True:
        line = r.readline()
        if not line:
            return
        if on_event(json.loads(line).get("object", {}), time.monotonic()):
            return


def on_pod(obj, now):
    name = obj.get("metadata", {}).get("name")
    with lock:
        for what, yes in (("created", True), ("bound", bool(obj.get("spec", {}).get("nodeName"))),
                          ("running", obj.get("status", {}).get("phase") == "Running")):
            if yes and name not in seen[what]:
                seen[what].add(name)
                if len(seen[what]) == n:
                    last[what] = now
        return len(seen["running"]) >= n


def on_deploy(obj, now):
    if obj.get("metadata", {}).get("name") != "bench" or obj.get("status", {}).get("availableReplicas", 0) < n:
        return False
    with lock:
        last["available"] = now
    return True


o1, o2 = threading.Event(), threading.Event()
wp = threading.Thread(target=watch, args=("/api/v1/namespaces/%s/pods?watch=1&resourceVersion=%s" % (NS, rv_pods),
                                          on_pod, o1), daemon=True)
wp.start()
wd = threading.Thread(target=watch, args=("/apis/apps/v1/namespaces/%s/deployments?watch=1" % NS, on_deploy, o2),
                      daemon=True)
wd.start()
o1.wait(30)
o2.wait(30)
labels = {"app": "bench"}
dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bench"},
       "spec": {"replicas": n, "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels},
                             "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                                      "resources": {"requests": {"cpu": "10m",
                                                                                 "memory": "16Mi"}}}]}}}}
t_post = time.monotonic()
st, data = request(c0, "POST", "/apis/apps/v1/namespaces/%s/deployments" % NS, dep)
if st != 201:
    print("create deployment: %d %s" % (st, data[:300]), file=sys.stderr)
    sys.exit(1)
wd.join(TIMEOUT)
wp.join(10)


def rel(k):
    return "%.2f" % (last[k] - t_post) if last[k] is not None else "nan"


print("replicas=%d created_s=%s bound_s=%s running_s=%s available_s=%s pods_seen=%d/%d/%d" %
      (n, rel("created"), rel("bound"), rel("running"), rel("available"), len(seen["created"]), len(seen["bound"]),
       len(seen["running"])))
