"""Shared set-up of the Python benchmarks that run a real node: a coracle server with its agent in a work
directory, the e2e busybox image imported into its data directory (so cached: no registry, no pull)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import imagetools as it  # noqa: E402
from conftest import CORACLE_BIN, Cluster  # noqa: E402

IMAGE = "docker.io/e2e/busybox:1.0"


def node_with_busybox(workdir, port, log_level="warn"):
    """A Cluster (not started) with the agent, its pod logs under workdir, and IMAGE imported."""
    c = Cluster(workdir, port=port, agent=True, extra_args=["--pod-log-dir", os.path.join(workdir, "logs"),
                                                              "--log-level", log_level])
    archive = os.path.join(workdir, "busybox.tar")
    img = it.Image([it.Layer(it.tar_entries(it.busybox_entries()))], cmd=("/bin/sh",))
    it.oci_archive(archive, [(img, {"io.containerd.image.name": IMAGE})])
    subprocess.run([CORACLE_BIN, "images", "import", "--data-dir", c.data_dir, archive], check=True,
                   capture_output=True)
    return c
