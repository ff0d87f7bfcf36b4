"""Image garbage collection by the node agent (issue 4): with thresholds that make it act at once, an image
no container uses is removed (and leaves node.status.images), the image of a running pod stays, and a
collection that cannot free enough is reported as a Warning event ImageGCFailed on the Node, as the kubelet
does. Flags: --image-gc-high-threshold/--image-gc-low-threshold/--image-minimum-gc-age/--image-gc-period."""
import json
import os
import shutil

import pytest

import imagetools as it
from conftest import coracle, start_agent_node, wait_for

IMAGE = "docker.io/e2e/busybox:1.0"
OTHER = "docker.io/e2e/unused:2.0"
NODE = "e2e-node"
MIN_AGE = 15  # seconds: long enough for the busybox pod to be created and seen before its image qualifies

pytestmark = pytest.mark.skipif(shutil.which("runc") is None, reason="runc is not installed")


@pytest.fixture(scope="module")
def node(module_netns, request):
    return start_agent_node(request, "coracle-imagegc-", 6491,
                            ["--image-gc-high-threshold", "1", "--image-gc-low-threshold", "0",
                             "--image-minimum-gc-age", "%ds" % MIN_AGE, "--image-gc-period", "1s"])


def stored(node):
    out = coracle("images", "ls", "--data-dir", node.data_dir).stdout
    return out


def node_images(node):
    n = node.kubectl_json("get", "node", NODE)
    return [name for img in n["status"].get("images", []) for name in img.get("names", [])]


def test_unused_image_collected_used_image_kept(node):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "keeper", "namespace": "default"},
           "spec": {"nodeName": NODE, "containers": [{"name": "c", "image": IMAGE, "imagePullPolicy": "Never",
                                                      "command": ["sleep", "3600"]}]}}
    node.kubectl("apply", "-f", "-", input=json.dumps(pod))
    wait_for(lambda: node.kubectl_json("get", "pod", "keeper").get("status", {}).get("phase") == "Running",
             timeout=60, interval=0.3, what="pod keeper Running")

    # A second image, different content, nobody uses it.
    other = it.Image([it.Layer(it.tar_entries([("unused", "f", "nobody runs me\n", 0o644)]))], cmd=("/unused",))
    archive = os.path.join(node.workdir, "unused.tar")
    it.oci_archive(archive, [(other, {"io.containerd.image.name": OTHER})])
    coracle("images", "import", "--data-dir", node.data_dir, archive)
    assert "docker.io/e2e/unused" in stored(node)

    # Removed once it is older than the minimum age; the status lists it no more.
    wait_for(lambda: "docker.io/e2e/unused" not in stored(node), timeout=MIN_AGE + 30, interval=1,
             what="unused image collected")
    wait_for(lambda: not any("e2e/unused" in n for n in node_images(node)), timeout=15, interval=0.5,
             what="node.status.images without the collected image")
    # The running pod's image stays, well past its minimum age, and the pod keeps running.
    assert "docker.io/e2e/busybox" in stored(node)
    assert any("e2e/busybox" in n for n in node_images(node))
    assert node.kubectl_json("get", "pod", "keeper")["status"]["phase"] == "Running"
    assert "image garbage collection: removed image" in node.read_log()

    # High 1 % / low 0 % cannot be met: the kubelet's Warnings on the Node, FreeDiskSpaceFailed for each
    # pass, ImageGCFailed once it failed twice in a row.
    for reason in ("FreeDiskSpaceFailed", "ImageGCFailed"):
        def gc_failed():
            evs = node.kubectl_json("get", "events", "-n", "default", "--field-selector",
                                    "involvedObject.kind=Node,reason=" + reason)["items"]
            return evs and evs[0]
        ev = wait_for(gc_failed, timeout=20, interval=0.5, what=reason + " event")
        assert ev["type"] == "Warning"
        assert ev["involvedObject"]["name"] == NODE
        # Each pass's message differs (the bytes to free), so past ten of them client-go's correlator writes
        # the rest as one "(combined from similar events): ..." Event: either form may come first.
        msg = ev["message"]
        if msg.startswith("(combined from similar events): "):
            msg = msg[len("(combined from similar events): "):]
        assert msg.startswith("Failed to garbage collect required amount of images. Attempted to free "), msg
        assert ev["source"]["component"] == "kubelet"


def test_thresholds_validated():
    p = coracle("server", "--image-gc-high-threshold", "80", "--image-gc-low-threshold", "90", check=False)
    assert p.returncode == 2
    assert "must be less than" in p.stderr
    p = coracle("server", "--image-gc-high-threshold", "120", check=False)
    assert p.returncode == 2 and "0-100" in p.stderr
