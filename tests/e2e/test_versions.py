"""Every kubectl the dispatcher may pick (1.27–1.33) against the same server, and the resources that are
served in two versions over one storage (core and events.k8s.io Events, autoscaling v1 and v2 HPAs)."""
import glob
import json
import os
import re

import pytest

CLIENTS = sorted(glob.glob("/usr/lib/google-cloud-sdk/bin/kubectl.1.[0-9][0-9]"))


@pytest.mark.parametrize("client", CLIENTS, ids=[os.path.basename(c) for c in CLIENTS])
def test_kubectl_versions(cluster, client):
    minor = int(re.search(r"kubectl\.1\.(\d+)$", client).group(1))
    name = "ver-%d" % minor

    def k(*args, **kw):
        return cluster.kubectl(*args, kubectl=client, **kw)

    assert "NAME" in k("get", "namespaces").stdout
    k("create", "namespace", name)  # protobuf body from 1.32 on, JSON before
    k("create", "configmap", "cfg", "--from-literal=a=b", "-n", name)
    lines = k("get", "cm", "-n", name).stdout.splitlines()
    assert lines[0].split() == ["NAME", "DATA", "AGE"]
    k("label", "cm", "cfg", "v=%d" % minor, "-n", name)
    assert json.loads(k("get", "cm", "cfg", "-n", name, "-o", "json").stdout)["metadata"]["labels"]["v"] == str(minor)
    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied", "namespace": name},
                           "data": {"k": "1"}})
    # Default validation: kubectl 1.27/1.28 check the manifest against OpenAPI v2 (protobuf), later ones
    # against v3.
    assert "created" in k("apply", "-f", "-", input=manifest).stdout
    manifest2 = manifest.replace('"k": "1"', '"k": "2"')
    assert "configured" in k("apply", "-f", "-", input=manifest2).stdout
    assert json.loads(k("get", "cm", "applied", "-n", name, "-o", "json").stdout)["data"] == {"k": "2"}
    k("delete", "namespace", name, timeout=60)


def test_events_in_both_versions(cluster):
    ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e2e-ev"},
          "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default"},
          "reason": "Scheduled", "message": "assigned default/web to node1", "type": "Normal",
          "source": {"component": "default-scheduler"}, "count": 1,
          "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:00:00Z"}
    cluster.kubectl("create", "-f", "-", input=json.dumps(ev))
    new = cluster.kubectl_json("get", "events.v1.events.k8s.io", "e2e-ev")
    assert new["apiVersion"] == "events.k8s.io/v1"
    assert new["regarding"]["name"] == "web" and new["note"] == "assigned default/web to node1"
    assert new["deprecatedSource"]["component"] == "default-scheduler"
    out = cluster.kubectl("get", "events", "--field-selector", "involvedObject.name=web").stdout
    assert "Scheduled" in out and "pod/web" in out
    cluster.kubectl("delete", "events.v1.events.k8s.io", "e2e-ev")
    assert cluster.kubectl("get", "event", "e2e-ev", check=False).returncode != 0


def test_hpa_v1_and_v2(cluster):
    cluster.kubectl("create", "deployment", "scaled", "--image=nginx:1.27")
    cluster.kubectl("autoscale", "deployment", "scaled", "--min=2", "--max=6", "--cpu-percent=50")
    v2 = cluster.kubectl_json("get", "hpa", "scaled")
    assert v2["apiVersion"] == "autoscaling/v2"
    m = v2["spec"]["metrics"][0]
    assert m["resource"]["name"] == "cpu" and m["resource"]["target"]["averageUtilization"] == 50
    status, _, body = cluster.raw("GET", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/scaled")
    assert status == 200
    v1 = json.loads(body)
    assert v1["apiVersion"] == "autoscaling/v1" and v1["spec"]["targetCPUUtilizationPercentage"] == 50
    header = cluster.kubectl("get", "hpa").stdout.splitlines()[0].split()
    assert header == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert "cpu: <unknown>/50%" in cluster.kubectl("get", "hpa", "scaled").stdout
    cluster.kubectl("delete", "hpa", "scaled")
    cluster.kubectl("delete", "deployment", "scaled")
