"""`coracle scheduler`: the scheduler as a process of its own, for a server started with --disable-scheduler
(what bench/bench-scheduler.sh PRECREATE=1 uses). Without it a pod stays unbound; once it runs, the pod is
bound to a simulated node, gets its Scheduled event (sent asynchronously by the scheduler's event senders),
and the process stops cleanly on SIGTERM.
"""
import os
import signal
import subprocess
import time

import pytest

from conftest import CORACLE_BIN, _make_cluster, wait_for

PORT = 6501


@pytest.fixture(scope="module")
def cluster(netns, request):
    return _make_cluster(request, PORT, extra_args=["--disable-scheduler"])


def start(cluster, name, args):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    log = open(os.path.join(cluster.workdir, name + ".log"), "w+")
    proc = subprocess.Popen([CORACLE_BIN] + args, stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    return proc, log


def stop(proc, log):
    os.kill(proc.pid, signal.SIGTERM)
    rc = proc.wait(30)
    log.seek(0)
    text = log.read()
    log.close()
    assert rc == 0, text
    assert "ERROR: AddressSanitizer" not in text and "runtime error" not in text, text


def test_pod_waits_for_the_standalone_scheduler(cluster):
    sim, sim_log = start(cluster, "sim", ["sim-nodes", "--kubeconfig", cluster.kubeconfig, "--count", "2",
                                          "--prefix", "solo-"])
    sched = None
    try:
        assert sim.stdout.readline().startswith("ready")
        cluster.kubectl("run", "solo", "--image=registry.k8s.io/pause:3.10", "--restart=Never")
        time.sleep(2)
        pod = cluster.kubectl_json("get", "pod", "solo", "-o", "json")
        assert not pod["spec"].get("nodeName"), "bound although no scheduler runs"

        sched, sched_log = start(cluster, "scheduler", ["scheduler", "--data-dir", cluster.data_dir, "--server",
                                                        "https://127.0.0.1:%d" % PORT])

        def running():
            p = cluster.kubectl_json("get", "pod", "solo", "-o", "json")
            return p if p["status"].get("phase") == "Running" else None

        pod = wait_for(running, timeout=30, what="pod Running")
        node = pod["spec"]["nodeName"]
        assert node.startswith("solo-")

        def scheduled_event():
            out = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=solo", "-o",
                                  "custom-columns=R:.reason,M:.message,S:.source.component", "--no-headers").stdout
            return [line for line in out.splitlines() if line.startswith("Scheduled")]

        lines = wait_for(scheduled_event, timeout=20, what="Scheduled event")
        assert "Successfully assigned default/solo to %s" % node in lines[0]
        assert lines[0].split()[-1] == "default-scheduler"
        stop(sched, sched_log)
        sched = None
    finally:
        if sched:
            sched.kill()
        cluster.kubectl("delete", "pod", "solo", "--wait=false", check=False)
        stop(sim, sim_log)
