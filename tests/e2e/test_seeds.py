"""The seed tutorials' manifests and commands through the real kubectl (issue 3's acceptance): apply,
re-apply with edits, diff, scale, expose, label, the HPA of seed 001, seed 003's demo.yaml and its broken
`replicas: 3e` variant, `kubectl delete -f` and `kubectl delete deploy,service --all`. Pods are not run
here (no agent): this is about the API's shape."""
import json

import pytest

from conftest import wait_for

SEED1_SVC_DEPLOY = """apiVersion: v1
kind: Service
metadata:
  name: gourmetgram-kube-svc
  namespace: kube-gourmetgram
spec:
  selector:
    app: gourmetgram-kube-app
  ports:
    - protocol: "TCP"
      port: 80          # Service port inside the cluster
      targetPort: 8000  # Forward to the pod's port 8000
  externalIPs:
    - 10.56.0.7
  type: ClusterIP
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: gourmetgram-kube-app
  namespace: kube-gourmetgram
spec:
  selector:
    matchLabels:
      app: gourmetgram-kube-app
  replicas: REPLICAS
  template:
    metadata:
      labels:
        app: gourmetgram-kube-app
    spec:
      containers:
      - name: gourmetgram-kube-app
        image: node1:5000/gourmetgram-app:latest
        imagePullPolicy: Always
        ports:
        - containerPort: 8000
        readinessProbe:
          httpGet:
            path: /test
            port: 8000
          periodSeconds: 5
          initialDelaySeconds: 5
          successThreshold: 3
        resources:
          limits:
            cpu: "0.5"
            memory: "500Mi"
          requests:
            cpu: "0.3"
            memory: "300Mi"
"""

SEED1_HPA = """---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: gourmetgram-kube-hpa
  namespace: kube-gourmetgram
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: gourmetgram-kube-app
  minReplicas: 2
  maxReplicas: 6
  metrics:
  - type: Resource
    resource:
      name: cpu
      target:
        type: Utilization
        averageUtilization: 50
"""

SEED3_DEMO = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: welcome-deploy # this is the name of the deployment that you'd specify on the kubectl create deploy command
spec:
  replicas: 3
  selector:
    matchLabels:
      app: welcome-deploy # This must match the app label below in the template
  template:
    metadata:
      labels:
        app: welcome-deploy # This must match the matchLabels app label above
    spec:
      containers:
      - name: welcome-pod
        image: docker/welcome-to-docker:latest
        ports:
        - containerPort: 80 # Specify the port the container is listening on.
---
apiVersion: v1
kind: Service
metadata:
  name: welcome-service
spec:
  type: LoadBalancer
  ports:
  - port: 80
  selector:
    app: welcome-deploy # this needs to be the name of your deployment
"""

SEED3_BROKEN = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: welcome-deploy
spec:
  replicas: 3e
  template:
    metadata:
      labels:
        app: welcome
    spec:
      containers:
      - name: welcome-container
        image: docker/welcome-to-docker:latest
        ports:
        - containerPort: 80
"""


def test_seed1_apply_edit_hpa(cluster, tmp_path):
    cluster.kubectl("create", "namespace", "kube-gourmetgram")
    f = tmp_path / "deployment.yaml"
    f.write_text(SEED1_SVC_DEPLOY.replace("REPLICAS", "1"))
    out = cluster.kubectl("apply", "-f", str(f)).stdout
    assert "service/gourmetgram-kube-svc created" in out
    assert "deployment.apps/gourmetgram-kube-app created" in out
    assert "unchanged" in cluster.kubectl("apply", "-f", str(f)).stdout
    d = cluster.kubectl_json("-n", "kube-gourmetgram", "get", "deploy", "gourmetgram-kube-app")
    c = d["spec"]["template"]["spec"]["containers"][0]
    # Defaults as Kubernetes fills them, and quantities in canonical form.
    assert d["spec"]["strategy"] == {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}
    assert d["spec"]["revisionHistoryLimit"] == 10 and d["spec"]["progressDeadlineSeconds"] == 600
    assert c["resources"]["limits"]["cpu"] == "500m" and c["resources"]["requests"]["cpu"] == "300m"
    assert c["readinessProbe"]["successThreshold"] == 3
    assert c["terminationMessagePath"] == "/dev/termination-log"
    assert d["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"
    svc = cluster.kubectl_json("-n", "kube-gourmetgram", "get", "svc", "gourmetgram-kube-svc")
    assert svc["spec"]["externalIPs"] == ["10.56.0.7"] and svc["spec"]["sessionAffinity"] == "None"
    row = cluster.kubectl("-n", "kube-gourmetgram", "get", "svc").stdout.splitlines()[1].split()
    assert row[1] == "ClusterIP" and row[3] == "10.56.0.7" and row[4] == "80/TCP"

    # Edit replicas 1 -> 6 and re-apply: only that changes; diff shows it first.
    f.write_text(SEED1_SVC_DEPLOY.replace("REPLICAS", "6"))
    p = cluster.kubectl("diff", "-f", str(f), check=False)
    assert p.returncode == 1 and "-  replicas: 1" in p.stdout and "+  replicas: 6" in p.stdout
    assert "deployment.apps/gourmetgram-kube-app configured" in cluster.kubectl("apply", "-f", str(f)).stdout
    d2 = cluster.kubectl_json("-n", "kube-gourmetgram", "get", "deploy", "gourmetgram-kube-app")
    assert d2["spec"]["replicas"] == 6 and d2["metadata"]["generation"] == d["metadata"]["generation"] + 1
    assert d2["spec"]["template"] == d["spec"]["template"]

    # Back to 1 and the HPA appended to the same file.
    f.write_text(SEED1_SVC_DEPLOY.replace("REPLICAS", "1") + SEED1_HPA)
    out = cluster.kubectl("apply", "-f", str(f)).stdout
    assert "horizontalpodautoscaler.autoscaling/gourmetgram-kube-hpa created" in out
    hdr, row = cluster.kubectl("-n", "kube-gourmetgram", "get", "hpa").stdout.splitlines()[:2]
    assert hdr.split() == ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert "Deployment/gourmetgram-kube-app" in row and "cpu: <unknown>/50%" in row
    # A strict-validation typo is reported with its path.
    p = cluster.kubectl("apply", "-f", "-", input=SEED1_HPA.replace("minReplicas", "minReplica"), check=False)
    assert p.returncode != 0 and 'unknown field "spec.minReplica"' in p.stderr
    out = cluster.kubectl("delete", "-f", str(f)).stdout
    assert "deployment.apps \"gourmetgram-kube-app\" deleted" in out
    assert "horizontalpodautoscaler.autoscaling \"gourmetgram-kube-hpa\" deleted" in out
    cluster.kubectl("delete", "namespace", "kube-gourmetgram", timeout=60)


def test_seed2_nginx_deployment(cluster, tmp_path):
    f = tmp_path / "nginx.yaml"
    f.write_text("""apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
""")
    cluster.kubectl("create", "-f", str(f))
    d = cluster.kubectl_json("get", "deploy", "nginx-deployment")
    assert d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    wide = cluster.kubectl("get", "deploy", "nginx-deployment", "-o", "wide").stdout.splitlines()
    assert wide[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES",
                               "SELECTOR"]
    assert wide[1].split()[-3:] == ["nginx", "nginx:1.14.2", "app=nginx"]
    cluster.kubectl("label", "deploy", "nginx-deployment", "tier=web")
    cluster.kubectl("set", "image", "deployment/nginx-deployment", "nginx=nginx:1.16.1")
    assert cluster.kubectl_json("get", "deploy", "nginx-deployment")["spec"]["template"]["spec"]["containers"][0][
        "image"] == "nginx:1.16.1"
    cluster.kubectl("delete", "-f", str(f))


def test_seed3_demo_and_broken_replicas(cluster, tmp_path):
    cluster.kubectl("create", "namespace", "seed3")
    broken = tmp_path / "broken.yaml"
    broken.write_text(SEED3_BROKEN)
    p = cluster.kubectl("-n", "seed3", "apply", "-f", str(broken), check=False)
    assert p.returncode != 0
    assert "cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32" in p.stderr
    assert cluster.kubectl("-n", "seed3", "get", "deploy", "welcome-deploy", check=False).returncode != 0

    demo = tmp_path / "demo.yaml"
    demo.write_text(SEED3_DEMO)
    out = cluster.kubectl("-n", "seed3", "apply", "-f", str(demo)).stdout
    assert "deployment.apps/welcome-deploy created" in out and "service/welcome-service created" in out
    svc = cluster.kubectl_json("-n", "seed3", "get", "svc", "welcome-service")
    assert svc["spec"]["type"] == "LoadBalancer" and 30000 <= svc["spec"]["ports"][0]["nodePort"] <= 32767
    assert svc["spec"]["ports"][0]["targetPort"] == 80
    cluster.kubectl("-n", "seed3", "scale", "deployment", "welcome-deploy", "--replicas=2")
    assert cluster.kubectl_json("-n", "seed3", "get", "deploy", "welcome-deploy")["spec"]["replicas"] == 2
    cluster.kubectl("-n", "seed3", "expose", "deployment", "welcome-deploy", "--name=welcome-np", "--type=NodePort",
                    "--port=80")
    assert cluster.kubectl_json("-n", "seed3", "get", "svc", "welcome-np")["spec"]["selector"] == {
        "app": "welcome-deploy"}
    # kubectl edit through an editor script: change the replicas in place.
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/^  replicas: 2$/  replicas: 4/' \"$1\"\n")
    editor.chmod(0o755)
    import os
    import subprocess
    env = dict(os.environ, KUBE_EDITOR=str(editor))
    p = subprocess.run(["/usr/bin/kubectl", "--kubeconfig", cluster.kubeconfig, "--cache-dir", cluster.cache_dir,
                        "-n", "seed3", "edit", "deployment", "welcome-deploy"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert cluster.kubectl_json("-n", "seed3", "get", "deploy", "welcome-deploy")["spec"]["replicas"] == 4
    out = cluster.kubectl("-n", "seed3", "delete", "deploy,service", "--all").stdout
    assert "welcome-deploy" in out and "welcome-service" in out and "welcome-np" in out
    assert cluster.kubectl("-n", "seed3", "get", "deploy,svc", "-o", "name").stdout.strip() == ""
    cluster.kubectl("delete", "namespace", "seed3", timeout=60)


def test_kubernetes_service_comes_back(cluster):
    # Seed 003's hint `kubectl delete deploy,service --all` also deletes default/kubernetes; Kubernetes puts
    # it back, and so does coracle.
    cluster.kubectl("delete", "service", "kubernetes")
    svc = wait_for(lambda: cluster.kubectl("get", "svc", "kubernetes", "-o", "json", check=False).returncode == 0
                   and cluster.kubectl_json("get", "svc", "kubernetes"), timeout=25, what="kubernetes Service back")
    assert svc["spec"]["clusterIP"] == "10.43.0.1"
