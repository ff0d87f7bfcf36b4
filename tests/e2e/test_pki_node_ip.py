"""The serving certificate names the node's detected address. Without --node-ip the server takes the node's
address from the interface of the default route (here the veth of conftest.ClientNetns, 192.168.77.1) and puts
it in its serving certificate's SANs, so kubectl with the kubeconfig's CA can use https://<that address>:PORT,
from the node and from another namespace. A certificate made for other addresses (an earlier --node-ip) is
re-issued on the next start, signed by the same CA."""
import os
import subprocess
import tempfile

import pytest

from conftest import KUBECTL, Cluster, stop_and_check

PORT = 6481


@pytest.fixture
def cluster(client_netns, request):
    workdir = tempfile.mkdtemp(prefix="coracle-pki-ip-")
    c = Cluster(workdir, port=PORT, extra_args=["--bind-address", "0.0.0.0"])
    request.addfinalizer(lambda: stop_and_check(c, workdir))
    return c


def kubectl_at(c, server, netns=None):
    cmd = [KUBECTL, "--kubeconfig", c.kubeconfig, "--cache-dir", c.cache_dir, "--server", server,
           "--request-timeout", "10s", "get", "namespace", "default", "-o", "name"]
    if netns:
        return netns.run(*cmd, timeout=30)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def ca_bytes(c):
    with open(os.path.join(c.data_dir, "server", "tls", "server-ca.crt"), "rb") as f:
        return f.read()


def test_detected_node_ip_in_serving_certificate(cluster, client_netns):
    c = cluster
    url = "https://%s:%d" % (client_netns.node_ip, PORT)
    # First an address given with --node-ip: the detected one is not named, TLS verification fails.
    c.extra_args += ["--node-ip", "10.99.0.1"]
    c.start()
    p = kubectl_at(c, url)
    assert p.returncode != 0, p.stdout
    assert "certificate" in p.stderr and client_netns.node_ip in p.stderr, p.stderr
    ca = ca_bytes(c)
    assert c.stop() == 0

    # Restarted without --node-ip: the certificate is re-issued for the detected address, same CA.
    c.extra_args = c.extra_args[:-2]
    c.start()
    assert ca_bytes(c) == ca
    p = kubectl_at(c, url)
    assert p.returncode == 0 and p.stdout.strip() == "namespace/default", p.stderr
    # A remote client in the other namespace, reaching the node through the veth.
    p = kubectl_at(c, url, netns=client_netns)
    assert p.returncode == 0 and p.stdout.strip() == "namespace/default", p.stderr
    # Loopback, the kubeconfig's own address, still works.
    assert c.kubectl("get", "namespace", "default", "-o", "name").stdout.strip() == "namespace/default"
