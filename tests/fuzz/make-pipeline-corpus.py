#!/usr/bin/python3
"""Writes the seed corpus of fuzz-pipeline (tests/fuzz/corpus-fuzz-pipeline/) from the seed manifests that
tests/e2e/test_seeds.py replays plus a few objects of the kinds with their own validation (storage,
networking, RBAC, secrets). Each input: selector byte, flags byte (bit 0 YAML, bits 1-2 patch flavour),
the object, NUL, a patch. Run from the repository root; the output is checked in."""
import json
import os
import sys

import yaml

sys.path.insert(0, "tests/e2e")
import test_seeds  # noqa: E402

OUT = "tests/fuzz/corpus-fuzz-pipeline"

docs = []
for text in (test_seeds.SEED1_SVC_DEPLOY.replace("REPLICAS", "2"), test_seeds.SEED1_HPA,
             test_seeds.SEED3_DEMO, test_seeds.SEED3_BROKEN):
    for d in yaml.safe_load_all(text):
        if d:
            docs.append(d)
docs += [
    {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"},
     "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
    {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"},
     "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "hostPath": {"path": "/tmp/pv1"}}},
    {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "local"},
     "provisioner": "rancher.io/local-path", "parameters": {"a": "b"}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"},
     "spec": {"ingressClassName": "nginx", "rules": [{"host": "a.example.com", "http": {"paths": [
         {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "deny"},
     "spec": {"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{"from": [{"ipBlock": {
         "cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}], "ports": [{"port": 80}]}]}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"},
     "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "rb"},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
     "subjects": [{"kind": "ServiceAccount", "name": "default"}, {"kind": "User", "name": "alice"}]},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "kubernetes.io/dockerconfigjson",
     "data": {".dockerconfigjson": "e30="}},
    {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "p"},
     "spec": {"minAvailable": "50%", "selector": {"matchLabels": {"app": "web"}}}},
    {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l"},
     "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}, "min": {"cpu": "100m"}}]}},
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n"},
     "spec": {"podCIDR": "10.42.0.0/24", "podCIDRs": ["10.42.0.0/24"], "taints": [{"key": "k", "effect": "NoSchedule"}]}},
]

patches = [
    (0, {"metadata": {"labels": {"x": "y"}}, "spec": {"replicas": 3}}),
    (1, [{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}, {"op": "remove", "path": "/spec"}]),
    (2, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                                         "ports": [{"containerPort": 80, "protocol": "UDP"}]}]}}}}),
    (3, {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": 6}}),
]

os.makedirs(OUT, exist_ok=True)
n = 0
for i, d in enumerate(docs):
    for yml in (False, True):
        body = (yaml.safe_dump(d) if yml else json.dumps(d)).encode()
        flavour, patch = patches[(i + yml) % len(patches)]
        data = bytes([i % 256, (1 if yml else 0) | (flavour << 1)]) + body + b"\0" + json.dumps(patch).encode()
        with open(os.path.join(OUT, "seed-%02d-%s" % (i, "yaml" if yml else "json")), "wb") as f:
            f.write(data)
        n += 1
print("wrote", n, "inputs to", OUT)
