"""Pod start latency of the node agent (issue 5's benchmark), run by bench-podstart.sh inside a network
namespace of its own: a `coracle server` with its agent and the e2e busybox image imported (so cached), then
bursts of 1 (ten times, one pod after the other), 10 and 100 pods created through the API (4 connections);
each pod's latency is from just before its create request to the first watch event that shows it Running.
The floor, in the same run: `runc run -d` of the very config.json the agent generated for a warm-up pod (its
overlay rootfs mounted fresh on the same layers, a new network namespace, its own cgroup): 20 starts one at a
time for the burst of 1; for a burst of N, N starts all due at once, os.cpu_count() at a time, each timed
from the burst's start. Also the server's RSS (API server + agent in one process) with no pods and with 100,
and the PSS of the 100 per-container monitors.
Usage: python3 bench/bench-podstart.py [BURSTS...]  (CORACLE_BIN: use an optimised build)"""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchutil import CORACLE_BIN, IMAGE, node_with_busybox  # noqa: E402

NODE = "e2e-node"
PORT = 6499


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def rss_kib(pid, key="VmRSS:", path="status"):
    try:
        with open("/proc/%d/%s" % (pid, path)) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kib(pid):
    """Proportional set size: shared library pages divided among the processes that map them."""
    return rss_kib(pid, "Pss:", "smaps_rollup")


class Api:
    def __init__(self, c):
        self.c = c
        self.ctx = c.ssl_context()

    def conn(self):
        return http.client.HTTPSConnection("127.0.0.1", self.c.port, context=self.ctx, timeout=120)


def pod(name):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": NODE, "restartPolicy": "Always", "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                                     "command": ["sleep", "3600"]}]}}


class Watcher(threading.Thread):
    """First time each pod is seen Running (monotonic seconds)."""

    def __init__(self, api, rv):
        super().__init__(daemon=True)
        self.api, self.rv, self.running, self.cond = api, rv, {}, threading.Condition()

    def run(self):
        conn = self.api.conn()
        conn.request("GET", "/api/v1/namespaces/default/pods?watch=true&resourceVersion=%s" % self.rv)
        r = conn.getresponse()
        while True:
            line = r.readline()
            if not line:
                return
            ev = json.loads(line)
            o = ev.get("object", {})
            if o.get("status", {}).get("phase") == "Running":
                with self.cond:
                    self.running.setdefault(o["metadata"]["name"], time.monotonic())
                    self.cond.notify_all()

    def wait(self, names, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(n in self.running for n in names):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError("pods not Running: %s" % [n for n in names if n not in self.running][:5])
                self.cond.wait(left)


def create_burst(api, names, threads=4):
    created = {}
    chunks = [names[i::threads] for i in range(threads)]

    def work(chunk):
        conn = api.conn()
        for n in chunk:
            body = json.dumps(pod(n))
            t = time.monotonic()
            conn.request("POST", "/api/v1/namespaces/default/pods", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 201:
                raise RuntimeError("create %s: %d" % (n, r.status))
            created[n] = t
    ts = [threading.Thread(target=work, args=(c,)) for c in chunks if c]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return created


def delete_all(c):
    c.kubectl("delete", "pods", "--all", "--grace-period=0", "--wait=false")
    deadline = time.time() + 300
    while time.time() < deadline:
        if not c.kubectl_json("get", "pods")["items"] and not os.listdir(os.path.join(c.data_dir, "agent", "pods")):
            return
        time.sleep(0.5)
    raise RuntimeError("pods not deleted")


def runc_floor(c, uid, runs, burst=1):
    """`runc run -d` of the warm-up pod's own config.json on a fresh overlay of the same layers. burst 1:
    `runs` starts one after the other, each timed alone. burst N: N starts all due at once, os.cpu_count()
    at a time (runc is CPU-bound), each timed from the burst's start, as the pods of a burst are."""
    inst = os.path.join(c.data_dir, "agent", "pods", uid, "c", "0")
    with open(os.path.join(inst, "config.json")) as f:
        cfg = json.load(f)
    rootfs = cfg["root"]["path"]
    lower = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            if parts[4] == rootfs:
                lower = [o for o in line.split(" - ")[1].split()[2].split(",") if o.startswith("lowerdir=")][0]
    w = tempfile.mkdtemp(prefix="coracle-bench-runc-")
    root = os.path.join(w, "runc")
    n = runs if burst == 1 else burst
    bundles = []
    times = [0.0] * n
    try:
        for i in range(n):
            b = os.path.join(w, "b%d" % i)
            for d in ("rootfs", "upper", "work"):
                os.makedirs(os.path.join(b, d))
            subprocess.run(["mount", "-t", "overlay", "overlay", "-o", "%s,upperdir=%s/upper,workdir=%s/work"
                            % (lower, b, b), os.path.join(b, "rootfs")], check=True)
            cfg["root"]["path"] = os.path.join(b, "rootfs")
            cfg["linux"]["cgroupsPath"] = "/coracle-bench/floor%d" % i
            cfg["linux"]["namespaces"] = [x for x in cfg["linux"]["namespaces"] if x["type"] != "network"] + [
                {"type": "network"}]
            with open(os.path.join(b, "config.json"), "w") as f:
                json.dump(cfg, f)
            bundles.append(b)
        nul = open(os.devnull, "wb")

        def start(i):
            return subprocess.Popen(["runc", "--root", root, "run", "-d", "--bundle", bundles[i], "floor%d" % i],
                                    stdin=nul, stdout=nul, stderr=nul)
        if burst == 1:
            for i in range(n):
                t = time.monotonic()
                if start(i).wait() != 0:
                    raise RuntimeError("runc run failed")
                times[i] = time.monotonic() - t
        else:
            t0 = time.monotonic()
            running, nxt = {}, 0
            while nxt < n or running:
                while nxt < n and len(running) < (os.cpu_count() or 2):
                    running[nxt] = start(nxt)
                    nxt += 1
                for i, p in list(running.items()):
                    if p.poll() is not None:
                        if p.returncode != 0:
                            raise RuntimeError("runc run failed")
                        times[i] = time.monotonic() - t0
                        del running[i]
                time.sleep(0.001)
        nul.close()
    finally:
        for i in range(n):
            subprocess.run(["runc", "--root", root, "delete", "-f", "floor%d" % i], capture_output=True)
        for b in bundles:
            subprocess.run(["umount", os.path.join(b, "rootfs")], check=False)
        for ctl in ("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd",
                    "unified"):
            p = "/sys/fs/cgroup/%s/coracle-bench" % ctl
            if os.path.isdir(p):
                # Only the floor's own cgroups: another tool may have put a cgroup of its own here.
                for d in os.listdir(p):
                    if d.startswith("floor") and os.path.isdir(os.path.join(p, d)):
                        os.rmdir(os.path.join(p, d))
                try:
                    os.rmdir(p)
                except OSError:
                    pass
        shutil.rmtree(w, ignore_errors=True)
    return times


def main():
    bursts = [int(a) for a in sys.argv[1:]] or [1, 10, 100]
    workdir = tempfile.mkdtemp(prefix="coracle-bench-podstart-")
    c = node_with_busybox(workdir, PORT)
    c.start()
    try:
        api = Api(c)
        # Warm-up: the node registered with its pod CIDR, the image unpacked, a config.json for the floor.
        st, _, body = c.raw("GET", "/api/v1/namespaces/default/pods")
        w = Watcher(api, json.loads(body)["metadata"]["resourceVersion"])
        w.start()
        create_burst(api, ["warmup"], 1)
        w.wait(["warmup"], 120)
        uid = c.kubectl_json("get", "pod", "warmup")["metadata"]["uid"]
        floor = runc_floor(c, uid, 20)
        floors = {n: (floor if n == 1 else runc_floor(c, uid, 0, n)) for n in bursts}
        delete_all(c)
        base_rss = rss_kib(c.proc.pid)
        results = []
        for n in bursts:
            lat = []
            # A burst of 1 is repeated (10 pods one after the other) so that its p50 means something.
            for rep in range(10 if n == 1 else 1):
                names = ["b%d-%d-%d" % (n, rep, i) for i in range(n)]
                created = create_burst(api, names)
                w.wait(names, 600)
                lat += [w.running[x] - created[x] for x in names]
            extra = ""
            if n == max(bursts):
                shims = nshims = 0
                for p in os.listdir("/proc"):
                    if p.isdigit():
                        try:
                            with open("/proc/%s/cmdline" % p, "rb") as f:
                                cmd = f.read()
                        except OSError:
                            continue
                        if b"agent-shim" in cmd and c.data_dir.encode() in cmd:
                            shims += pss_kib(int(p))
                            nshims += 1
                extra = ("; server RSS %.1f MiB (%.1f MiB with no pods); %d monitors: PSS %.1f MiB in all" % (
                    rss_kib(c.proc.pid) / 1024, base_rss / 1024, nshims, shims / 1024))
            results.append((n, pct(lat, 50), pct(lat, 99), max(lat), extra))
            delete_all(c)
        print("floor = `runc run -d` of the agent's own config.json (fresh overlay, new netns); one at a time for "
              "burst 1 (n=%d), for burst N all N due at once, %d at a time" % (len(floor), os.cpu_count() or 2))
        for n, p50, p99, mx, extra in results:
            fp50, fp99 = pct(floors[n], 50), pct(floors[n], 99)
            print("burst %3d: create->Running p50 %.1f ms, p99 %.1f ms, max %.1f ms | floor p50 %.1f ms, p99 %.1f ms"
                  " | ratio p50 %.1fx, p99 %.1fx%s" % (n, p50 * 1e3, p99 * 1e3, mx * 1e3, fp50 * 1e3, fp99 * 1e3,
                                                       p50 / fp50, p99 / fp99, extra))
    finally:
        try:
            c.stop()
        finally:
            subprocess.run([CORACLE_BIN, "killall", "--data-dir", c.data_dir], capture_output=True)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
