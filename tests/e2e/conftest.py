"""End-to-end harness: a real coracle inside a network namespace made for the test run, driven by the real
kubectl (the /usr/bin/kubectl dispatcher, which picks the client matching the server's minor version).

The pytest process itself joins the namespace (setns on its network namespace only, never `ip netns exec`,
which remounts /sys and hides the cgroup mounts), so every kubectl, curl or urllib call it makes reaches the
server on 127.0.0.1 and no packet can leave the namespace. Everything is cleaned up at the end: the server
by PID, the namespace, the temporary directories. A sanitizer report in the server's log fails the run.
"""
import base64
import ctypes
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

import imagetools as it

CORACLE_BIN = os.environ.get("CORACLE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "coracle")
KUBECTL = os.environ.get("KUBECTL", "/usr/bin/kubectl")
# (the last: CORACLE_VERIFY_CACHE found a published object changed by a reader)
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer", "was modified after publication")
CLONE_NEWNET = 0x40000000


def _setns(path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (path, os.strerror(err)))
    finally:
        os.close(fd)


class Cluster:
    """One coracle server and the kubectl configuration to reach it."""

    def __init__(self, workdir, port=6443, extra_args=(), agent=False):
        self.workdir = workdir
        self.agent = agent  # run the node agent (test_pods.py); the other suites keep --disable-agent
        self.data_dir = os.path.join(workdir, "data")
        self.kubeconfig = os.path.join(workdir, "kubeconfig.yaml")
        self.cache_dir = os.path.join(workdir, "kube-cache")
        self.log_path = os.path.join(workdir, "server.log")
        self.port = port
        self.extra_args = list(extra_args)
        self.proc = None
        self.logs = []
        self._certs = None

    # -- server lifecycle --
    def start(self, timeout=30):
        log = open(self.log_path, "ab")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        env.setdefault("CORACLE_VERIFY_CACHE", "1")  # a published object modified by a reader aborts
        self.proc = subprocess.Popen(
            [CORACLE_BIN, "server", "--data-dir", self.data_dir, "--write-kubeconfig", self.kubeconfig,
             "--https-listen-port", str(self.port), "--bind-address", "127.0.0.1", "--node-name", "e2e-node"]
            + ([] if self.agent else ["--disable-agent"]) + self.extra_args,
            stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("coracle exited with %s:\n%s" % (self.proc.returncode, self.read_log()))
            if os.path.exists(self.kubeconfig):
                try:
                    if self.raw("GET", "/readyz", auth=False)[0] == 200:
                        return
                except (OSError, urllib.error.URLError):
                    pass
            time.sleep(0.05)
        raise RuntimeError("coracle did not become ready:\n" + self.read_log())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            raise RuntimeError("coracle did not stop on signal %d:\n%s" % (sig, self.read_log()))
        return self.proc.returncode

    def kill9(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def read_log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def sanitizer_report(self):
        text = self.read_log()
        return [line for line in text.splitlines() if any(m in line for m in SANITIZER_MARKS)]

    # -- clients --
    def kubectl(self, *args, input=None, check=True, timeout=60, kubectl=None):
        cmd = [kubectl or KUBECTL, "--kubeconfig", self.kubeconfig, "--cache-dir", self.cache_dir] + list(args)
        p = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("kubectl %s failed (%d):\nstdout: %s\nstderr: %s" %
                                 (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def popen_kubectl(self, *args):
        cmd = [KUBECTL, "--kubeconfig", self.kubeconfig, "--cache-dir", self.cache_dir] + list(args)
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def _cert_files(self):
        if self._certs:
            return self._certs
        with open(self.kubeconfig) as f:
            text = f.read()
        vals = {}
        for line in text.splitlines():
            line = line.strip()
            for key in ("certificate-authority-data", "client-certificate-data", "client-key-data"):
                if line.startswith(key + ":"):
                    vals[key] = base64.b64decode(line.split(":", 1)[1].strip())
        paths = {}
        for key, data in vals.items():
            p = os.path.join(self.workdir, key + ".pem")
            with open(p, "wb") as f:
                f.write(data)
            os.chmod(p, 0o600)
            paths[key] = p
        self._certs = paths
        return paths

    def ssl_context(self, auth=True):
        certs = self._cert_files()
        ctx = ssl.create_default_context(cafile=certs["certificate-authority-data"])
        if auth:
            ctx.load_cert_chain(certs["client-certificate-data"], certs["client-key-data"])
        return ctx

    def raw(self, method, path, body=None, content_type="application/json", auth=True, headers=None,
            timeout=30):
        """One HTTPS request; returns (status, headers, body bytes)."""
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (self.port, path), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, context=self.ssl_context(auth), timeout=timeout) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="session")
def netns():
    name = "coracle-e2e-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        orig = os.open("/proc/self/ns/net", os.O_RDONLY)
        _setns("/run/netns/" + name)
        try:
            yield name
        finally:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.setns(orig, CLONE_NEWNET)
            os.close(orig)
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def _make_cluster(request, port, extra_args=()):
    workdir = tempfile.mkdtemp(prefix="coracle-e2e-")
    c = Cluster(workdir, port=port, extra_args=extra_args)
    c.start()

    def finish():
        rc = c.stop()
        reports = c.sanitizer_report()
        log = c.read_log()
        shutil.rmtree(workdir, ignore_errors=True)
        assert not reports, "sanitizer reports in the server log:\n" + "\n".join(reports) + "\n" + log[-4000:]
        assert rc == 0, "coracle exited with %s on SIGTERM:\n%s" % (rc, log[-4000:])

    request.addfinalizer(finish)
    return c


@pytest.fixture(scope="session")
def cluster(netns, request):
    """The shared cluster for tests that do not restart the server."""
    return _make_cluster(request, 6443, ["--etcd-compaction-interval", "1s"])


@pytest.fixture
def fresh_cluster(netns, request):
    """A cluster of the test's own (for kill -9 and restart tests)."""
    return _make_cluster(request, 6444)


def wait_for(fn, timeout=20, interval=0.1, what="condition"):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


class ClientNetns:
    """A second network namespace (the "client") joined to the current one (the node's) by a veth pair, so that
    the node has a real address and a default route (a fresh namespace has only `lo`): node side `uplink` with
    node_ip/24 and a default route via the client, client side `eth0` with client_ip/24 and a default route via
    the node. Pass `--node-ip <node_ip>` to the server; reach NodePorts, external IPs and pods from the client with
    run(). close() removes the namespace (and with it both ends of the pair)."""

    def __init__(self, name, node_ip="192.168.77.1", client_ip="192.168.77.2", uplink="e2e-uplink"):
        self.name, self.node_ip, self.client_ip, self.uplink = name, node_ip, client_ip, uplink
        self.path = "/run/netns/" + name
        steps = [
            ["ip", "netns", "add", name],
            ["ip", "-n", name, "link", "set", "lo", "up"],
            ["ip", "link", "add", uplink, "type", "veth", "peer", "name", "eth0", "netns", name],
            ["ip", "addr", "add", node_ip + "/24", "dev", uplink],
            ["ip", "link", "set", uplink, "up"],
            ["ip", "-n", name, "addr", "add", client_ip + "/24", "dev", "eth0"],
            ["ip", "-n", name, "link", "set", "eth0", "up"],
            ["ip", "-n", name, "route", "add", "default", "via", node_ip],
            ["ip", "route", "replace", "default", "via", client_ip],
        ]
        try:
            for s in steps:
                subprocess.run(s, check=True, capture_output=True)
        except subprocess.CalledProcessError as e:
            self.close()
            raise RuntimeError("client netns %s: %s failed: %s" % (name, " ".join(e.cmd), e.stderr))

    def run(self, *cmd, timeout=30, check=False):
        """Runs cmd inside the client namespace (nsenter keeps the mounts, unlike `ip netns exec`)."""
        return subprocess.run(["nsenter", "--net=" + self.path] + list(cmd), capture_output=True, text=True,
                              timeout=timeout, check=check)

    def close(self):
        subprocess.run(["ip", "route", "del", "default", "via", self.client_ip], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


_module_netns_count = [0]


@pytest.fixture(scope="module")
def module_netns(netns):
    """A fresh network namespace for one test module, entered for the module's duration (then back to the
    session's): modules that run the node agent get a node of their own, with no bridge, nft table, route or
    sysctl left behind by an earlier module's agent."""
    _module_netns_count[0] += 1
    name = "%s-m%d" % (netns, _module_netns_count[0])
    subprocess.run(["ip", "netns", "add", name], check=True)
    orig = os.open("/proc/self/ns/net", os.O_RDONLY)
    try:
        subprocess.run(["ip", "-n", name, "link", "set", "lo", "up"], check=True)
        _setns("/run/netns/" + name)
        yield name
    finally:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.setns(orig, CLONE_NEWNET)
        os.close(orig)
        subprocess.run(["ip", "netns", "del", name], check=False)


@pytest.fixture(scope="module")
def client_netns(module_netns):
    """The node's uplink to a client namespace (ClientNetns), for one module whose node is module_netns:
    192.168.77.1 is the node's address, 192.168.77.2 the client's."""
    c = ClientNetns(module_netns + "-client")
    yield c
    c.close()


BUSYBOX_IMAGE = "docker.io/e2e/busybox:1.0"


def coracle(*args, check=True, timeout=120):
    """Runs the coracle binary under test (images, killall, uninstall...)."""
    p = subprocess.run([CORACLE_BIN] + list(args), capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("coracle %s failed (%d): %s %s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def stop_and_check(c, workdir, teardown=None, after_stop=None):
    """The end of a test's own server: stopped, `coracle TEARDOWN` (killall, uninstall) run on its data
    directory if given, after_stop(c) called if given, WORKDIR removed (kept with CORACLE_KEEP set), and the
    test fails on any sanitizer report in the server log."""
    try:
        c.stop()
    finally:
        if teardown and os.path.exists(c.data_dir):
            coracle(teardown, "--data-dir", c.data_dir, check=False)
        if after_stop:
            after_stop(c)
        reports = c.sanitizer_report()
        log = c.read_log()
        if not os.environ.get("CORACLE_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
        assert not reports, "sanitizer reports:\n" + "\n".join(reports) + "\n" + log[-8000:]


def start_agent_node(request, prefix, port, extra_args=(), teardown="killall", after_stop=None):
    """A server WITH its node agent for one module (or one test: request is then the test's): container logs
    in WORKDIR/pod-logs (c.logdir), the busybox-static image (c.image) imported as BUSYBOX_IMAGE. At the end:
    stopped, `coracle TEARDOWN` run on its data directory (killall: every container killed; uninstall: the
    node's pod network removed too), after_stop(c) called if given, and the test fails on any sanitizer
    report in the server log."""
    workdir = tempfile.mkdtemp(prefix=prefix)
    logdir = os.path.join(workdir, "pod-logs")
    c = Cluster(workdir, port=port, agent=True, extra_args=["--pod-log-dir", logdir] + list(extra_args))
    c.workdir = workdir
    c.logdir = logdir
    c.image = it.Image([it.Layer(it.tar_entries(it.busybox_entries()))], cmd=("/bin/sh",))
    archive = os.path.join(workdir, "busybox.tar")
    it.oci_archive(archive, [(c.image, {"io.containerd.image.name": BUSYBOX_IMAGE})])
    coracle("images", "import", "--data-dir", c.data_dir, archive)

    request.addfinalizer(lambda: stop_and_check(c, workdir, teardown, after_stop))
    c.start()
    return c
