"""Job, CronJob, DaemonSet and StatefulSet controllers against a real coracle server and the real kubectl.

A `coracle sim-nodes` process registers three simulated nodes that report pods Running at once; pods that
must finish carry the sim's annotations (sim.coracle.io/exit-code, run-seconds, fail-first) so Jobs
complete or fail without real containers.
"""
import json
import os
import signal
import subprocess
import time
import uuid

import pytest

from conftest import CORACLE_BIN, _make_cluster, wait_for

NODES = ["wl-0", "wl-1", "wl-2"]
IMAGE = "registry.k8s.io/pause:3.10"


@pytest.fixture(scope="module")
def cluster(netns, request):
    """A server of this module's own, so that DaemonSets see only these nodes."""
    return _make_cluster(request, 6446)


@pytest.fixture(scope="module")
def sim(cluster):
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    log = open(os.path.join(cluster.workdir, "sim.log"), "w+")
    proc = subprocess.Popen(
        [CORACLE_BIN, "sim-nodes", "--kubeconfig", cluster.kubeconfig, "--count", "3", "--prefix", "wl-"],
        stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    line = proc.stdout.readline()
    if not line.startswith("ready"):
        log.seek(0)
        raise AssertionError("sim-nodes did not start: %r %s" % (line, log.read()[-3000:]))
    yield proc
    os.kill(proc.pid, signal.SIGTERM)
    rc = proc.wait(30)
    log.seek(0)
    text = log.read()
    log.close()
    assert rc == 0, text
    assert "ERROR: AddressSanitizer" not in text, text


@pytest.fixture
def ns(cluster, sim):
    name = "wl-" + uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def apply(cluster, ns, obj):
    cluster.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(obj))


def get(cluster, ns, kind, name):
    return cluster.kubectl_json("-n", ns, "get", kind, name)


def pods(cluster, ns, selector):
    return cluster.kubectl_json("-n", ns, "get", "pods", "-l", selector)["items"]


def job_manifest(name, annotations, completions=1, parallelism=1, backoff=6, mode=None, restart="Never",
                 extra=None):
    spec = {"completions": completions, "parallelism": parallelism, "backoffLimit": backoff,
            "template": {"metadata": {"annotations": annotations},
                         "spec": {"restartPolicy": restart, "containers": [{"name": "c", "image": IMAGE}]}}}
    if mode:
        spec["completionMode"] = mode
    spec.update(extra or {})
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec}


def condition(obj, t):
    for c in obj.get("status", {}).get("conditions", []):
        if c["type"] == t and c["status"] == "True":
            return c
    return None


def test_job_completes_with_parallelism(cluster, ns):
    apply(cluster, ns, job_manifest("work", {"sim.coracle.io/exit-code": "0", "sim.coracle.io/run-seconds": "1"},
                                    completions=4, parallelism=2))
    job = get(cluster, ns, "job", "work")
    uid = job["metadata"]["uid"]
    # The API server defaulted the selector and the template labels from the Job's uid.
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert job["spec"]["template"]["metadata"]["labels"]["job-name"] == "work"
    # Never more than parallelism pods run at once.
    peak = 0
    deadline = time.time() + 30
    while time.time() < deadline:
        running = [p for p in pods(cluster, ns, "job-name=work") if p["status"].get("phase") in ("Pending", "Running")]
        peak = max(peak, len(running))
        job = get(cluster, ns, "job", "work")
        if condition(job, "Complete"):
            break
        time.sleep(0.2)
    assert condition(job, "Complete"), job["status"]
    assert condition(job, "SuccessCriteriaMet")
    assert job["status"]["succeeded"] == 4 and "active" not in job["status"]
    assert job["status"]["completionTime"] and job["status"]["startTime"]
    assert peak <= 2  # sampled: a pod may start and finish between two samples
    done = pods(cluster, ns, "job-name=work")
    assert len(done) == 4 and all(p["status"]["phase"] == "Succeeded" for p in done)
    assert all(p["metadata"]["ownerReferences"][0]["kind"] == "Job" for p in done)
    out = cluster.kubectl("-n", ns, "get", "jobs").stdout
    assert "COMPLETIONS" in out and "4/4" in out and "Complete" in out, out
    events = cluster.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name=work").stdout
    assert "SuccessfulCreate" in events and "Completed" in events, events


def test_job_retries_then_succeeds(cluster, ns):
    apply(cluster, ns, job_manifest("flaky", {"sim.coracle.io/fail-first": "1", "sim.coracle.io/exit-code": "0"},
                                    backoff=3))
    job = wait_for(lambda: condition(get(cluster, ns, "job", "flaky"), "Complete") and get(cluster, ns, "job", "flaky"),
                   timeout=40, what="flaky job to complete after a retry")
    # Each pod's phase and container states in the messages: one Succeeded pod alone would mean a run ended
    # twice (Failed, then Succeeded), two creations in one sync an over-creation.
    summary = [(p["metadata"]["name"], p["status"].get("phase"),
                [c.get("state") for c in p["status"].get("containerStatuses", [])])
               for p in pods(cluster, ns, "job-name=flaky")]
    assert job["status"].get("failed") == 1 and job["status"].get("succeeded") == 1, (job["status"], summary)
    assert sorted(s[1] for s in summary) == ["Failed", "Succeeded"], summary  # the failed pod is kept


def test_job_fails_at_backoff_limit(cluster, ns):
    apply(cluster, ns, job_manifest("doomed", {"sim.coracle.io/exit-code": "3"}, backoff=0))
    job = wait_for(lambda: condition(get(cluster, ns, "job", "doomed"), "Failed") and get(cluster, ns, "job", "doomed"),
                   timeout=30, what="job to fail")
    c = condition(job, "Failed")
    assert c["reason"] == "BackoffLimitExceeded", c
    assert condition(job, "FailureTarget")
    assert job["status"]["failed"] == 1
    assert len(pods(cluster, ns, "job-name=doomed")) == 1  # no retry with backoffLimit 0
    out = cluster.kubectl("-n", ns, "get", "job", "doomed").stdout
    assert "0/1" in out and "Failed" in out, out


def test_job_deadline_and_ttl(cluster, ns):
    apply(cluster, ns, job_manifest("slow", {"sim.coracle.io/exit-code": "0", "sim.coracle.io/run-seconds": "600"},
                                    extra={"activeDeadlineSeconds": 2, "ttlSecondsAfterFinished": 2}))
    job = wait_for(lambda: condition(get(cluster, ns, "job", "slow"), "Failed") and get(cluster, ns, "job", "slow"),
                   timeout=20, what="deadline")
    assert condition(job, "Failed")["reason"] == "DeadlineExceeded"
    # The running pod was stopped, and the Job goes away after its TTL (its pods with it).
    wait_for(lambda: cluster.kubectl("-n", ns, "get", "job", "slow", check=False).returncode != 0, timeout=20,
             what="ttl deletion")
    wait_for(lambda: not pods(cluster, ns, "job-name=slow"), timeout=20, what="pods collected")


def test_indexed_job(cluster, ns):
    apply(cluster, ns, job_manifest("idx", {"sim.coracle.io/exit-code": "0"}, completions=3, parallelism=3,
                                    mode="Indexed"))
    job = wait_for(lambda: condition(get(cluster, ns, "job", "idx"), "Complete") and get(cluster, ns, "job", "idx"),
                   timeout=30, what="indexed job")
    assert job["status"]["completedIndexes"] == "0-2"
    ps = pods(cluster, ns, "job-name=idx")
    idx = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in ps)
    assert idx == ["0", "1", "2"]
    for p in ps:
        i = p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"]
        assert p["metadata"]["name"].startswith("idx-%s-" % i)
        assert p["spec"]["hostname"] == "idx-%s" % i
        assert p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] == i
        env = p["spec"]["containers"][0]["env"]
        assert env[0]["name"] == "JOB_COMPLETION_INDEX"


def test_job_suspend_and_resume(cluster, ns):
    apply(cluster, ns, job_manifest("later", {"sim.coracle.io/exit-code": "0"}, extra={"suspend": True}))
    job = wait_for(lambda: condition(get(cluster, ns, "job", "later"), "Suspended") and get(cluster, ns, "job", "later"),
                   timeout=15, what="suspended")
    assert not pods(cluster, ns, "job-name=later") and "startTime" not in job["status"]
    cluster.kubectl("-n", ns, "patch", "job", "later", "--type=merge", "-p", '{"spec":{"suspend":false}}')
    wait_for(lambda: condition(get(cluster, ns, "job", "later"), "Complete"), timeout=20, what="resumed job")


def test_job_restart_policy_validation(cluster, ns):
    bad = job_manifest("bad", {}, restart="Always")
    r = cluster.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(bad), check=False)
    assert r.returncode != 0 and "restartPolicy" in r.stderr, r.stderr


def cronjob(name, schedule="* * * * *", policy="Allow", run="0", **extra):
    spec = {"schedule": schedule, "concurrencyPolicy": policy,
            "jobTemplate": {"spec": {"template": {
                "metadata": {"annotations": {"sim.coracle.io/exit-code": "0", "sim.coracle.io/run-seconds": run}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": IMAGE}]}}}}}
    spec.update(extra)
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": name}, "spec": spec}


def test_cronjob_create_job_from(cluster, ns):
    apply(cluster, ns, cronjob("nightly", schedule="0 3 * * *"))
    cluster.kubectl("-n", ns, "create", "job", "manual-run", "--from=cronjob/nightly")
    job = get(cluster, ns, "job", "manual-run")
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    wait_for(lambda: condition(get(cluster, ns, "job", "manual-run"), "Complete"), timeout=20, what="manual job")
    out = cluster.kubectl("-n", ns, "get", "cronjob", "nightly").stdout
    assert "0 3 * * *" in out, out


def test_cronjob_fires(cluster, ns):
    """A missed run fires at once: the status says the last run was two minutes ago (as after a controller
    outage), so the every-minute CronJob starts the most recent missed one without waiting for the clock."""
    apply(cluster, ns, cronjob("tick", suspend=True))
    cj = get(cluster, ns, "cronjob", "tick")
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 120))
    cj["status"] = {"lastScheduleTime": past}
    code, _, data = cluster.raw("PUT", "/apis/batch/v1/namespaces/%s/cronjobs/tick/status" % ns, cj)
    assert code == 200, data
    assert not cluster.kubectl_json("-n", ns, "get", "jobs")["items"]  # suspended: nothing runs
    cluster.kubectl("-n", ns, "patch", "cronjob", "tick", "--type=merge", "-p", '{"spec":{"suspend":false}}')
    jobs = wait_for(lambda: cluster.kubectl_json("-n", ns, "get", "jobs")["items"], timeout=15, what="a run")
    assert len(jobs) == 1
    name = jobs[0]["metadata"]["name"]
    minute = int(name.rsplit("-", 1)[1])
    assert name == "tick-%d" % minute and abs(minute * 60 - time.time()) < 61
    assert jobs[0]["metadata"]["annotations"]["batch.kubernetes.io/cronjob-scheduled-timestamp"]
    assert jobs[0]["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
    wait_for(lambda: get(cluster, ns, "cronjob", "tick")["status"].get("lastSuccessfulTime"), timeout=20,
             what="lastSuccessfulTime")
    cj = get(cluster, ns, "cronjob", "tick")
    assert cj["status"]["lastScheduleTime"] == "%sZ" % time.strftime("%Y-%m-%dT%H:%M:00", time.gmtime(minute * 60))
    events = cluster.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name=tick").stdout
    assert "SuccessfulCreate" in events and "SawCompletedJob" in events, events
    out = cluster.kubectl("-n", ns, "get", "cronjobs").stdout
    assert "tick" in out and "* * * * *" in out, out


def test_cronjob_rejects_bad_schedule_and_tz(cluster, ns):
    r = cluster.kubectl("-n", ns, "apply", "-f", "-", input=json.dumps(cronjob("bad", schedule="61 * * * *")),
                        check=False)
    assert r.returncode != 0 and "schedule" in r.stderr, r.stderr


def ds_manifest(name, image=IMAGE, node_selector=None, tolerations=None, strategy=None):
    spec = {"containers": [{"name": "c", "image": image}]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    if tolerations:
        spec["tolerations"] = tolerations
    m = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
         "spec": {"selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}}, "spec": spec}}}
    if strategy:
        m["spec"]["updateStrategy"] = strategy
    return m


def ds_nodes(cluster, ns, name):
    return sorted(p["spec"].get("nodeName", "") for p in pods(cluster, ns, "app=" + name)
                  if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp"))


def test_daemonset_one_pod_per_node_and_rollout(cluster, ns):
    apply(cluster, ns, ds_manifest("agent"))
    wait_for(lambda: ds_nodes(cluster, ns, "agent") == NODES, timeout=20, what="one pod per node")
    p = pods(cluster, ns, "app=agent")[0]
    terms = p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"][0]["matchFields"][0]["key"] == "metadata.name"
    keys = {t["key"] for t in p["spec"]["tolerations"]}
    assert {"node.kubernetes.io/unreachable", "node.kubernetes.io/disk-pressure",
            "node.kubernetes.io/unschedulable"} <= keys
    ds = wait_for(lambda: (lambda d: d if d["status"].get("numberReady") == 3 else None)(get(cluster, ns, "ds", "agent")),
                  timeout=15, what="status")
    st = ds["status"]
    assert st["desiredNumberScheduled"] == 3 and st["currentNumberScheduled"] == 3
    assert st["updatedNumberScheduled"] == 3 and st["numberMisscheduled"] == 0
    # A deleted pod is replaced on its node.
    victim = pods(cluster, ns, "app=agent")[0]
    cluster.kubectl("-n", ns, "delete", "pod", victim["metadata"]["name"])
    wait_for(lambda: ds_nodes(cluster, ns, "agent") == NODES, timeout=20, what="replacement")
    # Rolling update to a new image, then rollout status / history / undo.
    cluster.kubectl("-n", ns, "set", "image", "ds/agent", "c=registry.k8s.io/pause:3.9")
    r = cluster.kubectl("-n", ns, "rollout", "status", "ds/agent", "--timeout=40s")
    assert "successfully rolled out" in r.stdout, r.stdout
    images = {p["spec"]["containers"][0]["image"] for p in pods(cluster, ns, "app=agent")
              if not p["metadata"].get("deletionTimestamp")}
    assert images == {"registry.k8s.io/pause:3.9"}
    hist = cluster.kubectl("-n", ns, "rollout", "history", "ds/agent").stdout
    assert "1" in hist and "2" in hist, hist
    revs = cluster.kubectl_json("-n", ns, "get", "controllerrevisions")["items"]
    assert sorted(r["revision"] for r in revs) == [1, 2]
    cluster.kubectl("-n", ns, "rollout", "undo", "ds/agent")
    cluster.kubectl("-n", ns, "rollout", "status", "ds/agent", "--timeout=40s")
    wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in pods(cluster, ns, "app=agent")
                      if not p["metadata"].get("deletionTimestamp")} == {IMAGE}, timeout=20, what="undo")
    revs = cluster.kubectl_json("-n", ns, "get", "controllerrevisions")["items"]
    assert sorted(r["revision"] for r in revs) == [2, 3]  # the first template came back as revision 3


def test_daemonset_node_selection_and_taints(cluster, ns):
    cluster.kubectl("label", "node", "wl-1", "role=edge", "--overwrite")
    cluster.kubectl("taint", "node", "wl-2", "dedicated=db:NoSchedule", "--overwrite")
    try:
        apply(cluster, ns, ds_manifest("edge", node_selector={"role": "edge"}))
        apply(cluster, ns, ds_manifest("plain"))
        apply(cluster, ns, ds_manifest("tol", tolerations=[{"key": "dedicated", "operator": "Exists"}]))
        wait_for(lambda: ds_nodes(cluster, ns, "edge") == ["wl-1"], timeout=20, what="selector")
        wait_for(lambda: ds_nodes(cluster, ns, "plain") == ["wl-0", "wl-1"], timeout=20, what="taint")
        wait_for(lambda: ds_nodes(cluster, ns, "tol") == NODES, timeout=20, what="toleration")
        # Removing the label removes the pod.
        cluster.kubectl("label", "node", "wl-1", "role-")
        wait_for(lambda: ds_nodes(cluster, ns, "edge") == [], timeout=20, what="unlabelled")
        wait_for(lambda: get(cluster, ns, "ds", "edge")["status"]["desiredNumberScheduled"] == 0, timeout=10,
                 what="desired 0")
    finally:
        cluster.kubectl("label", "node", "wl-1", "role-", check=False)
        cluster.kubectl("taint", "node", "wl-2", "dedicated-", check=False)


def sts_manifest(name, replicas=3, policy="OrderedReady", image=IMAGE, partition=None):
    m = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
         "spec": {"serviceName": name, "replicas": replicas, "podManagementPolicy": policy,
                  "selector": {"matchLabels": {"app": name}},
                  "template": {"metadata": {"labels": {"app": name}},
                               "spec": {"containers": [{"name": "c", "image": image}]}},
                  "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                            "spec": {"accessModes": ["ReadWriteOnce"],
                                                     "resources": {"requests": {"storage": "1Gi"}}}}]}}
    if partition is not None:
        m["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
    return m


def sts_pods(cluster, ns, name):
    return {p["metadata"]["name"]: p for p in pods(cluster, ns, "app=" + name)
            if not p["metadata"].get("deletionTimestamp")}


def test_statefulset_ordered_scale_and_update(cluster, ns):
    apply(cluster, ns, sts_manifest("db"))
    ready = wait_for(lambda: (lambda s: s if s["status"].get("readyReplicas") == 3 else None)(get(cluster, ns, "sts", "db")),
                     timeout=30, what="3 ready")
    ps = sts_pods(cluster, ns, "db")
    assert sorted(ps) == ["db-0", "db-1", "db-2"]
    # Ordered: each pod was created after the previous one.
    created = [ps["db-%d" % i]["metadata"]["creationTimestamp"] for i in range(3)]
    assert created == sorted(created)
    p0 = ps["db-0"]
    assert p0["spec"]["hostname"] == "db-0" and p0["spec"]["subdomain"] == "db"
    assert p0["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "db-0"
    assert p0["metadata"]["labels"]["controller-revision-hash"] == ready["status"]["updateRevision"]
    vols = {v["name"]: v for v in p0["spec"]["volumes"]}
    assert vols["data"]["persistentVolumeClaim"]["claimName"] == "data-db-0"
    pvcs = sorted(p["metadata"]["name"] for p in cluster.kubectl_json("-n", ns, "get", "pvc")["items"])
    assert pvcs == ["data-db-0", "data-db-1", "data-db-2"]
    # kubectl scale through the scale subresource; scale-down removes the highest ordinal.
    cluster.kubectl("-n", ns, "scale", "statefulset", "db", "--replicas=2")
    wait_for(lambda: sorted(sts_pods(cluster, ns, "db")) == ["db-0", "db-1"], timeout=20, what="scale down")
    cluster.kubectl("-n", ns, "scale", "statefulset", "db", "--replicas=3")
    wait_for(lambda: sorted(sts_pods(cluster, ns, "db")) == ["db-0", "db-1", "db-2"], timeout=20, what="scale up")
    # Rolling update, highest ordinal first, then rollout status/history/undo.
    cluster.kubectl("-n", ns, "set", "image", "sts/db", "c=registry.k8s.io/pause:3.9")
    r = cluster.kubectl("-n", ns, "rollout", "status", "sts/db", "--timeout=60s")
    # kubectl says "partitioned roll out complete" whenever rollingUpdate is set (partition defaults to 0).
    assert "roll out complete: 3 new pods" in r.stdout, r.stdout
    st = get(cluster, ns, "sts", "db")["status"]
    assert st["currentRevision"] == st["updateRevision"] and st["updatedReplicas"] == 3
    assert {p["spec"]["containers"][0]["image"] for p in sts_pods(cluster, ns, "db").values()} == \
        {"registry.k8s.io/pause:3.9"}
    hist = cluster.kubectl("-n", ns, "rollout", "history", "sts/db").stdout
    assert "REVISION" in hist and "2" in hist, hist
    cluster.kubectl("-n", ns, "rollout", "undo", "sts/db")
    cluster.kubectl("-n", ns, "rollout", "status", "sts/db", "--timeout=60s")
    wait_for(lambda: {p["spec"]["containers"][0]["image"] for p in sts_pods(cluster, ns, "db").values()} == {IMAGE},
             timeout=30, what="undo")


def test_statefulset_partition_and_parallel(cluster, ns):
    apply(cluster, ns, sts_manifest("par", replicas=3, policy="Parallel", partition=2))
    wait_for(lambda: get(cluster, ns, "sts", "par")["status"].get("readyReplicas") == 3, timeout=20, what="ready")
    old_rev = get(cluster, ns, "sts", "par")["status"]["updateRevision"]
    cluster.kubectl("-n", ns, "set", "image", "sts/par", "c=registry.k8s.io/pause:3.9")

    def revs():
        return {n: p["metadata"]["labels"]["controller-revision-hash"] for n, p in sts_pods(cluster, ns, "par").items()}
    wait_for(lambda: len(revs()) == 3 and revs()["par-2"] != old_rev, timeout=20, what="partitioned update")
    time.sleep(1)
    r = revs()
    assert r["par-0"] == old_rev and r["par-1"] == old_rev, r
    st = get(cluster, ns, "sts", "par")["status"]
    assert st["currentRevision"] == old_rev and st["updatedReplicas"] == 1
