"""The C client library (src/client) against a real coracle server in the test network namespace.

tests/unit/test-client-live.c does the client side (CRUD, informers, watches); this file starts the
servers, makes changes behind the client's back with plain HTTPS requests, restarts the server, waits for
compaction, and checks what the client reports. See the header of test-client-live.c for its modes.
"""
import json
import os
import queue
import subprocess
import threading
import time

import pytest

from conftest import CORACLE_BIN, SANITIZER_MARKS, Cluster, wait_for

LIVE_BIN = os.environ.get("CLIENT_LIVE_BIN") or os.path.join(
    os.path.dirname(os.path.abspath(CORACLE_BIN)), "tests", "unit", "test-client-live")


def _require_live():
    if not os.path.exists(LIVE_BIN):
        pytest.skip("test-client-live not built (%s)" % LIVE_BIN)


class Live:
    """A running test-client-live: lines of its stdout in a queue, commands on its stdin."""

    def __init__(self, cluster, *args, in_process=False):
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
        extra = ["--in-process", cluster.kubeconfig] if in_process else []
        self.proc = subprocess.Popen(
            [LIVE_BIN, "--data-dir", cluster.data_dir, "--server", "https://127.0.0.1:%d" % cluster.port]
            + extra + list(args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1, env=env)
        self.lines = queue.Queue()
        self.seen = []
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line.rstrip("\n"))
        q.put(None)

    def _pump_err(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def next_line(self, timeout=20):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no output from test-client-live within %ss; seen %r; stderr %s" %
                                 (timeout, self.seen, "".join(self.stderr)))
        if line is None:
            self.proc.wait(10)
            raise AssertionError("test-client-live exited (%s); seen %r; stderr %s" %
                                 (self.proc.returncode, self.seen, "".join(self.stderr)))
        self.seen.append(line)
        return line

    def expect(self, pred, timeout=20, what="line"):
        """Reads lines until pred(line); returns that line and the lines skipped before it."""
        skipped = []
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("timed out waiting for %s; skipped %r" % (what, skipped))
            line = self.next_line(left)
            if pred(line):
                return line, skipped
            skipped.append(line)

    def send(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def stats(self):
        self.send("stats")
        line, _ = self.expect(lambda l: l.startswith("stats "), what="stats")
        return dict(kv.split("=", 1) for kv in line.split()[1:])

    def finish(self, timeout=30):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.proc.wait(timeout)
        time.sleep(0.1)
        err = "".join(self.stderr)
        assert not any(m in err for m in SANITIZER_MARKS), "sanitizer report from test-client-live:\n" + err
        assert rc == 0, "test-client-live exited %s:\n%s" % (rc, err)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def live_procs():
    procs = []
    yield procs
    for p in procs:
        p.kill()


def start_live(live_procs, cluster, *args, in_process=False):
    _require_live()
    p = Live(cluster, *args, in_process=in_process)
    live_procs.append(p)
    return p


@pytest.fixture
def inproc(netns, tmp_path):
    """A Cluster whose server test-client-live runs itself (--in-process): raw() reaches it over HTTPS
    once its kubeconfig is written, while test-client-live's own client takes the in-process transport."""
    return Cluster(str(tmp_path), port=6514)


def start_inproc(live_procs, c, *args):
    p = start_live(live_procs, c, *args, in_process=True)
    wait_for(lambda: os.path.exists(c.kubeconfig) and c.raw("GET", "/readyz", auth=False)[0] == 200,
             what="the in-process server")
    return p


def make_ns(cluster, name):
    st, _, body = cluster.raw("POST", "/api/v1/namespaces",
                              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert st == 201, body


def put_cm(cluster, ns, name, value):
    """Creates or replaces a ConfigMap with data.k = value; returns its resourceVersion."""
    path = "/api/v1/namespaces/%s/configmaps" % ns
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}}
    st, _, body = cluster.raw("POST", path, obj)
    if st == 409:
        st, _, body = cluster.raw("PATCH", path + "/" + name, {"data": {"k": value}},
                                  content_type="application/merge-patch+json")
        assert st == 200, body
    else:
        assert st == 201, body
    return json.loads(body)["metadata"]["resourceVersion"]


def delete_cm(cluster, ns, name):
    st, _, body = cluster.raw("DELETE", "/api/v1/namespaces/%s/configmaps/%s" % (ns, name))
    assert st == 200, body


def test_crud(cluster, live_procs):
    p = start_live(live_procs, cluster, "crud", "client-crud")
    line = p.next_line(60)
    assert line == "ok", line
    p.finish()


def test_informer_sees_changes_in_order(fresh_cluster, live_procs):
    c = fresh_cluster
    make_ns(c, "inf")
    rv_pre = put_cm(c, "inf", "pre", "0")
    p = start_live(live_procs, c, "informer", "inf")
    _, before = p.expect(lambda l: l == "synced", what="synced")
    assert before == ["add pre %s" % rv_pre]

    check_changes_in_order(c, p, "inf")
    p.send("dump")
    line, _ = p.expect(lambda l: l.startswith("cache"), what="dump")
    assert line == "cache b=3 pre=0"
    check_prompt_stop(p)


def check_changes_in_order(c, p, ns):
    """Add, update, delete of a and add of b in ns, seen by test-client-live's informer mode in order."""
    rv1 = put_cm(c, ns, "a", "1")
    rv2 = put_cm(c, ns, "a", "2")
    delete_cm(c, ns, "a")
    rv3 = put_cm(c, ns, "b", "3")
    line, skipped = p.expect(lambda l: l.startswith("add b"), what="add b")
    got = skipped + [line]
    assert got[0] == "add a %s" % rv1
    assert got[1] == "update a %s %s" % (rv1, rv2)
    assert got[2].startswith("delete a ")
    assert int(got[2].split()[2]) > int(rv2)
    assert got[3] == "add b %s" % rv3
    assert len(got) == 4, got


def check_prompt_stop(p):
    """The informer stops within 100 ms of being asked."""
    p.send("quit")
    line, _ = p.expect(lambda l: l.startswith("stopped"), what="stopped")
    assert int(line.split("ms=")[1]) < 100, line
    p.finish()


def test_informer_survives_restart(fresh_cluster, live_procs):
    c = fresh_cluster
    make_ns(c, "rs")
    put_cm(c, "rs", "x", "1")
    rv_y = put_cm(c, "rs", "y", "1")
    p = start_live(live_procs, c, "informer", "rs")
    p.expect(lambda l: l == "synced", what="synced")
    assert p.stats()["lists"] == "1"

    c.stop()
    time.sleep(0.5)
    c.start()
    # Changes made while the informer is still reconnecting: it learns of them by re-listing or by
    # watching, either way as a delete of x and an update of y.
    delete_cm(c, "rs", "x")
    rv_y2 = put_cm(c, "rs", "y", "2")
    # A re-list reports updates before deletes, the watch in the order of the writes: accept either.
    wanted = {"delete x", "update y"}
    deadline = time.time() + 60
    while wanted:
        line = p.next_line(max(0.1, deadline - time.time()))
        if line.startswith("delete x "):
            wanted.discard("delete x")
        elif line.startswith("update y ") and line.endswith(" " + rv_y2):
            wanted.discard("update y")
    wait_for(lambda: int(p.stats()["lists"]) >= 2, timeout=60, what="a re-list after the restart")
    st = p.stats()
    assert int(st["failures"]) >= 1, st

    rv_z = put_cm(c, "rs", "z", "3")
    p.expect(lambda l: l == "add z %s" % rv_z, what="add z after the restart")
    p.send("dump")
    line, _ = p.expect(lambda l: l.startswith("cache"), what="dump")
    assert line == "cache y=2 z=3"
    assert rv_y != rv_y2
    check_prompt_stop(p)


def test_watch_and_continue_gone_after_compaction(cluster, live_procs):
    make_ns(cluster, "gone")
    put_cm(cluster, "gone", "a", "1")
    put_cm(cluster, "gone", "b", "1")
    p = start_live(live_procs, cluster, "gone", "gone")
    line = p.next_line()
    assert line.startswith("listed "), line
    # Move the revision on, then let two compaction intervals (1 s each) pass.
    for i in range(5):
        put_cm(cluster, "gone", "c", str(i))
    time.sleep(2.5)
    put_cm(cluster, "gone", "c", "last")
    time.sleep(1.5)
    p.send("go")
    line = p.next_line(30)
    assert line == "ok", line
    p.finish()


def test_informer_relists_on_410(cluster, live_procs):
    make_ns(cluster, "relist")
    make_ns(cluster, "relist-noise")
    put_cm(cluster, "relist", "quiet", "1")
    # A resync every 1.5 s ends each watch early; it resumes from the list's resourceVersion, which
    # compaction (every 1 s) removes while writes elsewhere move the revision on: 410, then a re-list.
    p = start_live(live_procs, cluster, "informer", "relist", "1500")
    p.expect(lambda l: l == "synced", what="synced")
    deadline = time.time() + 30
    st = p.stats()
    n = 0
    while time.time() < deadline and int(st["gone"]) < 1:
        put_cm(cluster, "relist-noise", "n", str(n))
        n += 1
        time.sleep(0.1)
        if n % 10 == 0:
            st = p.stats()
    assert int(st["gone"]) >= 1, st
    wait_for(lambda: int(p.stats()["lists"]) >= 2, what="a re-list after 410")
    # The cache is still right, and changes still arrive.
    rv = put_cm(cluster, "relist", "after", "2")
    p.expect(lambda l: l == "add after %s" % rv, what="add after the re-list")
    p.send("dump")
    line, _ = p.expect(lambda l: l.startswith("cache"), what="dump")
    assert line == "cache after=2 quiet=1"
    p.send("quit")
    p.expect(lambda l: l.startswith("stopped"), what="stopped")
    p.finish()


def test_controller_pattern(cluster, live_procs):
    """informer -> handler -> work queue -> worker -> client update, as every controller does it."""
    make_ns(cluster, "echo")
    put_cm(cluster, "echo", "before", "0")
    p = start_live(live_procs, cluster, "controller", "echo")
    p.expect(lambda l: l == "synced", what="synced")
    p.expect(lambda l: l == "reconciled before 0", what="reconcile of an object listed at start")
    check_echo_controller(cluster, p, "echo")


def check_echo_controller(cluster, p, ns):
    """Changes seen by test-client-live's controller mode and its writes seen over HTTPS."""
    put_cm(cluster, ns, "a", "1")
    p.expect(lambda l: l == "reconciled a 1", what="reconcile of a new object")
    put_cm(cluster, ns, "a", "2")
    p.expect(lambda l: l == "reconciled a 2", what="reconcile of a change")

    def echoed():
        st, _, body = cluster.raw("GET", "/api/v1/namespaces/%s/configmaps/a" % ns)
        return st == 200 and json.loads(body)["data"].get("echo") == "2"
    wait_for(echoed, what="data.echo written by the controller")
    p.send("quit")
    p.expect(lambda l: l == "stopped", what="stopped")
    p.finish()


# The same client through the API server's in-process transport (apiserver/local.c), the path of the
# scheduler, controllers, agent and proxy inside `coracle server`.

def test_crud_in_process(inproc, live_procs):
    p = start_live(live_procs, inproc, "crud", "client-crud", in_process=True)
    line = p.next_line(60)
    assert line == "ok", line
    p.finish()


def test_informer_in_process(inproc, live_procs):
    c = inproc
    p = start_inproc(live_procs, c, "informer", "default")
    p.expect(lambda l: l == "synced", what="synced")
    check_changes_in_order(c, p, "default")
    p.send("dump")
    line, _ = p.expect(lambda l: l.startswith("cache"), what="dump")
    assert line == "cache b=3"
    # An idle in-process watch blocks in the watch cache; the informer's cancel must wake it at once
    # (not at the next 1 s poll).
    time.sleep(1.5)
    check_prompt_stop(p)


def test_controller_in_process(inproc, live_procs):
    c = inproc
    p = start_inproc(live_procs, c, "controller", "default")
    p.expect(lambda l: l == "synced", what="synced")
    check_echo_controller(c, p, "default")
