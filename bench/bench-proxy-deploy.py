"""Service rule convergence while a Deployment scales 1 -> 50 -> 1 (issue 7's benchmark), with real pods.

Runs in a network namespace of its own (it re-executes itself under `unshare -n`): a `coracle server` with its
agent (and so its proxy), the e2e busybox image imported (cached), a Deployment `conv` of busybox httpd pods
and a Service in front of it. Each run scales the Deployment from 1 to 50 replicas and back to 1 with kubectl.
Two threads record, with their times:
  - a watch of the Service's EndpointSlices (HTTPS, from this process): every ready-endpoint count published;
  - an nft poll (every 2 ms, one chain listed): every endpoint count the kernel's Service chain picks among.
Reported per direction (medians over the runs): the time from `kubectl scale` until the slice shows the final
count (pod start-up and readiness: the agent's work) and until the kernel does, and the proxy's own lag: for
every count the slice published, from the watch event to the first nft poll that shows it (counts the slice
passed through faster than a poll are skipped), p50 and p99 over all runs; and the proxy's own lag from its
debug log (informer event -> nft transaction committed), without the observers' overhead.
Usage: python3 bench/bench-proxy-deploy.py [RUNS]   (CORACLE_BIN: use an optimised build; runs as root)"""
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

if os.environ.get("BENCH_IN_NETNS") != "1":
    os.environ["BENCH_IN_NETNS"] = "1"
    os.execvp("unshare", ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable,
                          os.path.abspath(__file__)] + sys.argv[1:])

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import CORACLE_BIN, IMAGE, node_with_busybox  # noqa: E402

PORT = 6498
MOD = re.compile(rb"numgen random mod (\d+) ")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))] if v else float("nan")


class Recorder:
    """(time, count) series from the slice watch and from the kernel."""

    def __init__(self, c):
        self.c = c
        self.slice = []
        self.kernel = []
        self.stop = threading.Event()
        self.chain = None

    def find_chain(self):
        out = subprocess.run(["nft", "list", "table", "ip", "coracle"], capture_output=True).stdout
        m = re.search(rb"chain (svc-[0-9A-Fa-f]+-default/conv/tcp/http)", out)
        self.chain = m.group(1).decode() if m else None
        return self.chain

    def poll_kernel(self):
        last = None
        while not self.stop.is_set():
            out = subprocess.run(["nft", "list", "chain", "ip", "coracle", self.chain], capture_output=True).stdout
            m = MOD.search(out)
            n = int(m.group(1)) if m else 0
            if n != last:
                self.kernel.append((time.time(), n))
                last = n
            time.sleep(0.002)

    def watch_slices(self):
        conn = http.client.HTTPSConnection("127.0.0.1", self.c.port, context=self.c.ssl_context(), timeout=600)
        conn.request("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?watch=true"
                     "&labelSelector=kubernetes.io%2Fservice-name%3Dconv")
        r = conn.getresponse()
        last = None
        while not self.stop.is_set():
            line = r.readline()
            if not line:
                return
            eps = json.loads(line).get("object", {}).get("endpoints") or []
            n = sum(1 for e in eps if (e.get("conditions") or {}).get("ready"))
            if n != last:
                self.slice.append((time.time(), n))
                last = n

    def first(self, series, n, after):
        for t, k in series:
            if t >= after and k == n:
                return t
        return None


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    workdir = tempfile.mkdtemp(prefix="coracle-bench-proxy-deploy-")
    c = node_with_busybox(workdir, PORT, "debug")
    c.start()
    rec = Recorder(c)
    try:
        c.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "conv"},
             "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "conv"}},
                      "template": {"metadata": {"labels": {"app": "conv"}},
                                   "spec": {"terminationGracePeriodSeconds": 0,
                                            "containers": [{"name": "web", "image": IMAGE,
                                                            "imagePullPolicy": "IfNotPresent",
                                                            "command": ["httpd", "-f", "-p", "8080"]}]}}}},
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "conv"},
             "spec": {"selector": {"app": "conv"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}]}))
        deadline = time.time() + 120
        while not (rec.find_chain() and b"mod 1 " in subprocess.run(
                ["nft", "list", "chain", "ip", "coracle", rec.chain], capture_output=True).stdout):
            if time.time() > deadline:
                raise RuntimeError("the Service never reached 1 endpoint in the kernel")
            time.sleep(0.1)
        threads = [threading.Thread(target=rec.poll_kernel, daemon=True),
                   threading.Thread(target=rec.watch_slices, daemon=True)]
        for t in threads:
            t.start()
        time.sleep(1)
        results = {"up": [], "down": []}
        for _ in range(runs):
            for direction, n in (("up", 50), ("down", 1)):
                t0 = time.time()
                c.kubectl("scale", "deployment", "conv", "--replicas=%d" % n)
                deadline = t0 + 300
                while rec.first(rec.kernel, n, t0) is None or rec.first(rec.slice, n, t0) is None:
                    if time.time() > deadline:
                        raise RuntimeError("no convergence to %d" % n)
                    time.sleep(0.05)
                results[direction].append((rec.first(rec.slice, n, t0) - t0, rec.first(rec.kernel, n, t0) - t0, t0))
                time.sleep(2)
        rec.stop.set()
        # The proxy's lag for every count the slice published (from the event to the first poll showing it).
        lags = []
        for i, (t, n) in enumerate(rec.slice):
            nxt = rec.slice[i + 1][0] if i + 1 < len(rec.slice) else float("inf")
            seen = [tk for tk, k in rec.kernel if k == n and t - 0.5 <= tk < nxt + 0.5]
            if seen:
                lags.append(max(0.0, min(seen) - t))
        for direction, label in (("up", "1 -> 50"), ("down", "50 -> 1")):
            sl = [r[0] * 1000 for r in results[direction]]
            kn = [r[1] * 1000 for r in results[direction]]
            print("scale %s: kubectl scale -> slice shows all %s ms (runs: %s); -> kernel shows it %s ms "
                  "(runs: %s)" % (label, "%.0f" % pct(sl, 50), " ".join("%.0f" % x for x in sl), "%.0f" % pct(kn, 50),
                                  " ".join("%.0f" % x for x in kn)))
        print("proxy lag, EndpointSlice event -> kernel (every count published, %d samples over %d runs): "
              "p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (len(lags), runs, pct(lags, 50) * 1000,
                                                        pct(lags, 99) * 1000, max(lags) * 1000))
        # The proxy's own account (debug log): from the informer delivering the first change of a sync to its
        # transaction committed, for the syncs during the runs.
        with open(c.log_path, errors="replace") as f:
            own = [int(m.group(1)) / 1000.0 for m in re.finditer(r'msg="rules applied".*lag_usec=(\d+)', f.read())]
        own = own[-len(lags):] if len(own) > len(lags) else own
        print("proxy's own lag (informer event -> transaction committed, its debug log, %d syncs): p50 %.1f ms, "
              "p99 %.1f ms" % (len(own), pct(own, 50), pct(own, 99)))
    finally:
        rec.stop.set()
        try:
            c.kubectl("delete", "deployment", "conv", "--wait=false", check=False)
        except Exception:
            pass
        c.stop()
        subprocess.run([CORACLE_BIN, "killall", "--data-dir", c.data_dir], capture_output=True)
        subprocess.run(["nft", "delete", "table", "ip", "coracle"], capture_output=True)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
