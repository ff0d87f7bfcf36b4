"""`coracle images pull|import|ls|rm` against registries inside the test's network namespace: Debian's
docker-registry on 127.0.0.1 (plain, with basic auth, with TLS) serving images built here from busybox-static
(one layer; several layers with whiteouts and a zstd layer; a two-platform index; Docker schema 2), and a
small fake registry for bearer tokens, redirects and a download stopped halfway for kill -9. Each test
asserts on what a user sees: the command's output and exit code, the layers an overlay mount shows, and
that nothing half-written is ever left in the store."""
import hashlib
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

import imagetools as it

CORACLE_BIN = os.environ.get("CORACLE_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "coracle")
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer")


def coracle_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    return env


class Node:
    """A DATA_DIR and a registries.yaml for `coracle images`."""

    def __init__(self, workdir, registries=""):
        self.workdir = workdir
        self.data_dir = os.path.join(workdir, "data")
        self.store = os.path.join(self.data_dir, "agent", "images")
        self.registries = os.path.join(workdir, "registries.yaml")
        self.set_registries(registries)

    def set_registries(self, text):
        with open(self.registries, "w") as f:
            f.write(text)

    def argv(self, *args):
        return [CORACLE_BIN, "images", "--data-dir", self.data_dir, "--registries", self.registries] + list(args)

    def run(self, *args, check=True, timeout=120):
        p = subprocess.run(self.argv(*args), capture_output=True, text=True, timeout=timeout, env=coracle_env())
        bad = [l for l in p.stderr.splitlines() if any(m in l for m in SANITIZER_MARKS)]
        assert not bad, "sanitizer report:\n" + p.stderr
        if check and p.returncode != 0:
            raise AssertionError("coracle images %s failed (%d):\nstdout: %s\nstderr: %s" %
                                 (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def fail(self, *args):
        p = self.run(*args, check=False)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        return p.stderr.strip()

    def images(self):
        return json.loads(self.run("ls", "-o", "json").stdout)

    def image(self, name):
        for i in self.images():
            if i["name"] == name:
                return i
        raise AssertionError("no image %s in %s" % (name, [i["name"] for i in self.images()]))

    def layer_dir(self, diff_id):
        return os.path.join(self.store, "layers", "sha256", diff_id.split(":")[1])

    def blobs(self):
        d = os.path.join(self.store, "content", "blobs", "sha256")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def layers(self):
        d = os.path.join(self.store, "layers", "sha256")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def scratch(self):
        """What sits in the store's scratch directories (files of writers in progress or crashed)."""
        out = []
        for d in ("content/ingest", "layers/tmp"):
            p = os.path.join(self.store, d)
            out += [os.path.join(d, n) for n in os.listdir(p)] if os.path.isdir(p) else []
        return out

    def assert_store_sound(self):
        """Every blob hashes to its name; every record names blobs and layers that are present."""
        for name in self.blobs():
            with open(os.path.join(self.store, "content", "blobs", "sha256", name), "rb") as f:
                assert hashlib.sha256(f.read()).hexdigest() == name, "blob %s is corrupt" % name
        for img in self.images():
            assert img["id"].split(":")[1] in self.blobs()
            for l in img["layers"]:
                assert os.path.isdir(self.layer_dir(l["diffID"])), (img["name"], l)


@pytest.fixture
def node(request):
    workdir = tempfile.mkdtemp(prefix="coracle-images-")
    request.addfinalizer(lambda: it.rmtree(workdir))
    return Node(workdir)


# ---- images built once per session ----

class Images:
    def __init__(self):
        self.base = it.Layer(it.tar_entries(it.busybox_entries([
            ("data", "d", None, 0), ("data/a", "f", "a\n", 0), ("data/b", "f", "b\n", 0),
            ("opq", "d", None, 0), ("opq/x", "f", "x\n", 0), ("opq/y", "f", "y\n", 0)])))
        self.whiteouts = it.Layer(it.tar_entries([
            ("data", "d", None, 0), ("data/.wh.a", "f", "", 0),
            ("opq", "d", None, 0), ("opq/.wh..wh..opq", "f", "", 0), ("opq/z", "f", "z\n", 0),
            ("hello.txt", "f", "hello from layer 2\n", 0)]))
        self.zstd = it.Layer(it.tar_entries([("zstd.txt", "f", "this layer is zstd-compressed\n", 0)]), "zstd")
        self.one = it.Image([self.base])
        self.multi = it.Image([self.base, self.whiteouts, self.zstd])
        self.docker = it.Image([self.base, it.Layer(it.tar_entries([("docker.txt", "f", "schema 2\n", 0)]))],
                               fmt="docker")
        self.arm = it.Image([it.Layer(it.tar_entries([("arch", "f", "arm64\n", 0)]))], arch="arm64", variant="v8")
        self.index = it.Index([self.one, self.arm])


@pytest.fixture(scope="session")
def images():
    return Images()


@pytest.fixture(scope="session")
def registry(netns, images):
    """docker-registry with every test image pushed."""
    workdir = tempfile.mkdtemp(prefix="coracle-registry-")
    reg = it.DockerRegistry(workdir).start()
    try:
        c = it.RegistryClient(reg.url)
        c.push_image("e2e/busybox", "1.36", images.one)
        c.push_image("e2e/multi", "1", images.multi)
        c.push_image("e2e/docker", "1", images.docker)
        c.push_index("e2e/index", "1", images.index)
        c.push_image("library/busybox", "1.36", images.one)  # what a docker.io mirror serves
        c.push_image("mirror/busybox", "1.36", images.multi)  # for the rewrite test
        yield reg
    finally:
        reg.stop()
        it.rmtree(workdir)


# ---- pulls ----

def test_pull_multilayer_whiteouts_zstd(node, registry, images):
    ref = registry.host + "/e2e/multi:1"
    out = node.run("pull", ref).stdout
    assert out.startswith("Pulled %s (digest %s" % (ref, images.multi.digest)), out
    img = node.image(ref)
    assert img["digest"] == images.multi.digest
    assert img["id"] == images.multi.config_digest
    assert [l["diffID"] for l in img["layers"]] == [l.diff_id for l in images.multi.layers]
    assert img["size"] == len(images.multi.manifest) + len(images.multi.config) + sum(
        l.size for l in images.multi.layers)

    # Whiteouts became overlayfs ones in the layer cache.
    wh = node.layer_dir(images.whiteouts.diff_id)
    st = os.lstat(os.path.join(wh, "data", "a"))
    assert (st.st_mode & 0o170000) == 0o020000 and st.st_rdev == 0, "data/a is not a 0/0 character device"
    assert os.getxattr(os.path.join(wh, "opq"), "trusted.overlay.opaque") == b"y"
    assert not os.path.exists(os.path.join(wh, "data", ".wh.a"))
    with open(os.path.join(node.layer_dir(images.zstd.diff_id), "zstd.txt")) as f:
        assert f.read() == "this layer is zstd-compressed\n"

    # What a container would see: the layers stacked by overlayfs.
    merged = os.path.join(node.workdir, "merged")
    upper, work = os.path.join(node.workdir, "upper"), os.path.join(node.workdir, "work")
    for d in (merged, upper, work):
        os.makedirs(d)
    lower = ":".join(node.layer_dir(l.diff_id) for l in reversed(images.multi.layers))
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "lowerdir=%s,upperdir=%s,workdir=%s" % (lower, upper, work), merged], check=True)
    try:
        assert sorted(os.listdir(os.path.join(merged, "data"))) == ["b"]
        assert sorted(os.listdir(os.path.join(merged, "opq"))) == ["z"]
        assert os.path.exists(os.path.join(merged, "zstd.txt"))
        assert os.path.islink(os.path.join(merged, "bin", "sh"))
        assert subprocess.run(["chroot", merged, "/bin/sh", "-c", "cat /hello.txt"], capture_output=True,
                              text=True).stdout == "hello from layer 2\n"
    finally:
        subprocess.run(["umount", merged], check=True)
    node.assert_store_sound()
    assert node.scratch() == []

    # ls: one row per name, the columns of crictl.
    lines = node.run("ls").stdout.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "SIZE"]
    row = lines[1].split()
    assert row[:4] == [registry.host + "/e2e/multi", "1", images.multi.digest[7:19], images.multi.config_digest[7:19]]
    assert row[4].endswith("MB")


def test_pull_by_digest_and_again(node, registry, images):
    by_digest = "%s/e2e/busybox@%s" % (registry.host, images.one.digest)
    node.run("pull", by_digest)
    img = node.image(by_digest)
    assert img["tag"] is None
    row = [l.split() for l in node.run("ls").stdout.splitlines()[1:]]
    assert row == [[registry.host + "/e2e/busybox", "<none>", images.one.digest[7:19], images.one.config_digest[7:19],
                    row[0][4]]]
    # By tag too: the digest row is then shadowed by the tagged one in the table.
    node.run("pull", registry.host + "/e2e/busybox:1.36")
    assert len(node.run("ls").stdout.splitlines()) == 2
    assert len(node.images()) == 2
    # A digest that is stored needs no registry at all.
    registry.stop()
    try:
        node.run("pull", by_digest)
    finally:
        registry.start()
    # A tag is resolved anew each time; the blobs are not fetched again.
    blobs = node.blobs()
    node.run("pull", registry.host + "/e2e/busybox:1.36")
    assert node.blobs() == blobs
    # A digest that does not match what the registry holds.
    wrong = "%s/e2e/busybox@sha256:%s" % (registry.host, "0" * 64)
    assert node.fail("pull", wrong) == 'coracle images: failed to pull image "%s": manifest unknown' % wrong


def test_pull_index_picks_linux_amd64(node, registry, images):
    ref = registry.host + "/e2e/index:1"
    node.run("pull", ref)
    img = node.image(ref)
    assert img["digest"] == images.index.digest  # the repo digest is the index's
    assert img["manifest"] == images.one.digest  # the platform manifest is amd64's
    assert img["id"] == images.one.config_digest
    assert images.arm.config_digest.split(":")[1] not in node.blobs()
    err = node.fail("--platform", "linux/s390x", "pull", ref)
    assert err == ('coracle images: failed to pull image "%s": no image for linux/s390x in the image index '
                   '(it offers linux/amd64, linux/arm64/v8)' % ref)
    # Docker schema 2 with Docker media types.
    node.run("pull", registry.host + "/e2e/docker:1")
    assert node.image(registry.host + "/e2e/docker:1")["manifest"] == images.docker.digest
    node.assert_store_sound()


def test_docker_io_mirror_and_rewrite(node, registry, images):
    node.set_registries('mirrors:\n  docker.io:\n    endpoint:\n      - "http://%s"\n' % registry.host)
    out = node.run("pull", "busybox:1.36").stdout
    assert out.startswith("Pulled docker.io/library/busybox:1.36 (digest %s" % images.one.digest), out
    assert node.image("docker.io/library/busybox:1.36")["id"] == images.one.config_digest
    # With a rewrite the mirror is asked for another repository.
    node.set_registries('mirrors:\n  docker.io:\n    endpoint: ["http://%s"]\n'
                        '    rewrite:\n      "^library/(.*)": "mirror/$1"\n' % registry.host)
    node.run("pull", "docker.io/library/busybox:1.36")
    assert node.image("docker.io/library/busybox:1.36")["digest"] == images.multi.digest
    # A mirror that lacks the image falls through to the registry itself (unreachable here): the error
    # says what the mirror said.
    node.set_registries('mirrors:\n  docker.io:\n    endpoint: ["http://%s"]\n' % registry.host)
    err = node.fail("pull", "busybox:nosuchtag")
    assert err.startswith('coracle images: failed to pull image "busybox:nosuchtag": '), err
    # A broken registries.yaml is reported with the file and key.
    node.set_registries("mirrors:\n  docker.io:\n    endpoints: []\n")
    err = node.fail("ls")
    assert "unknown key mirrors[\"docker.io\"].endpoints" in err and node.registries in err


def test_errors_for_users(node, registry):
    ref = registry.host + "/e2e/nope:1"
    assert node.fail("pull", ref) == 'coracle images: failed to pull image "%s": manifest unknown' % ref
    assert node.fail("pull", "team/App:1") == ('coracle images: couldn\'t parse image name "team/App:1": '
                                              'invalid reference format: repository name must be lowercase')
    port = it.free_port()
    err = node.fail("pull", "127.0.0.1:%d/x:1" % port)
    assert err.startswith('coracle images: failed to pull image "127.0.0.1:%d/x:1": GET http://127.0.0.1:%d/v2/x/'
                          'manifests/1: ' % (port, port)), err
    assert "onnect" in err  # curl's "Couldn't connect to server"
    assert node.fail("rm", "e2e/none:1") == "coracle images: no such image: e2e/none:1"
    assert node.images() == []


def test_basic_auth(node, netns, images):
    workdir = tempfile.mkdtemp(prefix="coracle-registry-auth-")
    reg = it.DockerRegistry(workdir, htpasswd=it.htpasswd_file(os.path.join(workdir, "htpasswd"), "alice",
                                                                "wonderland")).start()
    try:
        it.RegistryClient(reg.url, auth=("alice", "wonderland")).push_image("private/app", "1", images.one)
        ref = reg.host + "/private/app:1"
        err = node.fail("pull", ref)
        assert err == ('coracle images: failed to pull image "%s": authentication required '
                       '(no credentials are configured for %s)' % (ref, reg.host)), err
        node.set_registries('configs:\n  "%s":\n    auth: {username: alice, password: wrong}\n' % reg.host)
        err = node.fail("pull", ref)
        assert "authentication required (the credentials configured for %s were refused)" % reg.host in err, err
        node.set_registries('configs:\n  "%s":\n    auth: {username: alice, password: wonderland}\n' % reg.host)
        node.run("pull", ref)
        assert node.image(ref)["id"] == images.one.config_digest
        # The base64 "auth" form works too.
        node.run("rm", ref)
        node.set_registries('configs:\n  "%s":\n    auth: {auth: "%s"}\n' %
                            (reg.host, it.base64.b64encode(b"alice:wonderland").decode()))
        node.run("pull", ref)
    finally:
        reg.stop()
        it.rmtree(workdir)


def test_tls_registry(node, netns, images):
    workdir = tempfile.mkdtemp(prefix="coracle-registry-tls-")
    crt, key = it.self_signed_cert(workdir)
    reg = it.DockerRegistry(workdir, tls=(crt, key)).start()
    try:
        import ssl
        ctx = ssl.create_default_context(cafile=crt)
        it.RegistryClient(reg.url, context=ctx).push_image("tls/app", "1", images.one)
        ref = reg.host + "/tls/app:1"
        mirror = 'mirrors:\n  "%s":\n    endpoint: ["https://%s"]\n' % (reg.host, reg.host)
        node.set_registries(mirror)
        err = node.fail("pull", ref)
        assert "tls.ca_file" in err, err  # an unknown CA, with the hint how to trust it
        node.set_registries(mirror + 'configs:\n  "%s":\n    tls: {ca_file: "%s"}\n' % (reg.host, crt))
        node.run("pull", ref)
        node.run("rm", ref)
        node.set_registries(mirror + 'configs:\n  "%s":\n    tls: {insecure_skip_verify: true}\n' % reg.host)
        node.run("pull", ref)
        assert node.image(ref)["id"] == images.one.config_digest
    finally:
        reg.stop()
        it.rmtree(workdir)


def test_tls_client_certificate(node, netns, images):
    """configs.<host>.tls.cert_file/key_file: a registry that requires a client certificate."""
    workdir = tempfile.mkdtemp(prefix="coracle-registry-mtls-")
    crt, key = it.self_signed_cert(workdir)
    clientca, ccrt, ckey = it.client_cert(workdir)
    reg = it.DockerRegistry(workdir, tls=(crt, key), clientcas=clientca).start()
    try:
        import ssl
        ctx = ssl.create_default_context(cafile=crt)
        ctx.load_cert_chain(ccrt, ckey)
        it.RegistryClient(reg.url, context=ctx).push_image("mtls/app", "1", images.one)
        ref = reg.host + "/mtls/app:1"
        mirror = 'mirrors:\n  "%s":\n    endpoint: ["https://%s"]\n' % (reg.host, reg.host)
        # Trusting the server is not enough: without a client certificate the handshake is refused.
        node.set_registries(mirror + 'configs:\n  "%s":\n    tls: {ca_file: "%s"}\n' % (reg.host, crt))
        err = node.fail("pull", ref)
        assert ref in err and "tls.cert_file" in err, err
        assert not node.run("ls").stdout.count("mtls/app")
        node.set_registries(mirror + 'configs:\n  "%s":\n    tls: {ca_file: "%s", cert_file: "%s", key_file: "%s"}\n'
                            % (reg.host, crt, ccrt, ckey))
        node.run("pull", ref)
        assert node.image(ref)["id"] == images.one.config_digest
    finally:
        reg.stop()
        it.rmtree(workdir)


def test_bearer_token_and_redirects(node, netns, images):
    fake = it.FakeRegistry(bearer=True, credentials=("robot$ci", "t0ken"), redirect=True).start()
    try:
        fake.add_image("team/app", "v1", images.multi)
        ref = fake.host + "/team/app:v1"
        err = node.fail("pull", ref)
        assert "bad credentials for the token service" in err and "no credentials are configured" in err, err
        node.set_registries('configs:\n  "%s":\n    auth: {username: "robot$ci", password: t0ken}\n' % fake.host)
        node.run("pull", ref)
        assert node.image(ref)["digest"] == images.multi.digest
        # The full Accept list on every manifest request, a token scoped to the repository, and no
        # credentials sent to the blob store redirected to.
        accepts = [h.get("Accept", "") for m, p, h in fake.requests if "/manifests/" in p]
        assert accepts and all(a.split(", ") == [it.OCI_INDEX, it.OCI_MANIFEST, it.DOCKER_LIST, it.DOCKER_MANIFEST]
                               for a in accepts), accepts
        assert any(t.endswith("repository_team/app_pull") for t in fake.tokens)
        assert any(p.startswith("/storage/") for m, p, h in fake.requests)
        assert fake.leaked_auth == []
        node.assert_store_sound()
    finally:
        fake.stop()


# ---- failures that must leave nothing behind ----

def test_corrupted_blob_rejected(node, netns, images):
    workdir = tempfile.mkdtemp(prefix="coracle-registry-corrupt-")
    reg = it.DockerRegistry(workdir).start()
    try:
        img = it.Image([it.Layer(it.tar_entries(it.busybox_entries([("corrupt-me", "f", "x" * 4096, 0)])))])
        it.RegistryClient(reg.url).push_image("e2e/corrupt", "1", img)
        layer = img.layers[0]
        path = reg.blob_file(layer.digest)
        with open(path, "r+b") as f:  # same size, one byte different
            f.seek(len(layer.blob) // 2)
            b = f.read(1)
            f.seek(len(layer.blob) // 2)
            f.write(bytes([b[0] ^ 0xff]))
        ref = reg.host + "/e2e/corrupt:1"
        err = node.fail("pull", ref)
        assert err.startswith('coracle images: failed to pull image "%s": layer %s: digest mismatch: the content of %s '
                              'hashes to sha256:' % (ref, layer.digest, layer.digest)), err
        assert node.images() == []
        assert layer.digest.split(":")[1] not in node.blobs()
        assert layer.diff_id.split(":")[1] not in node.layers()
        assert node.scratch() == []
        node.assert_store_sound()
    finally:
        reg.stop()
        it.rmtree(workdir)


def test_kill9_mid_pull_then_pull_again(node, netns, images):
    big = it.Layer(it.tar_entries([("random.bin", "f", os.urandom(8 << 20), 0)]))
    img = it.Image([images.base, big])
    fake = it.FakeRegistry().start()
    try:
        fake.add_image("e2e/big", "1", img)
        fake.gate_digest = big.digest
        ref = fake.host + "/e2e/big:1"
        p = subprocess.Popen(node.argv("pull", ref), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=coracle_env())
        try:
            assert fake.gate_reached.wait(60), "the pull never reached the big layer"
            time.sleep(0.2)  # let the first half land in the store's scratch space
            os.kill(p.pid, signal.SIGKILL)
        finally:
            p.wait()
        assert node.images() == []
        assert big.digest.split(":")[1] not in node.blobs()
        assert big.diff_id.split(":")[1] not in node.layers()
        assert any(s.startswith("content/ingest/") for s in node.scratch()), node.scratch()
        node.assert_store_sound()

        fake.gate_open.set()
        node.run("pull", ref)
        assert node.image(ref)["digest"] == img.digest
        assert node.scratch() == []  # the next pull cleared the dead one's leftovers
        node.assert_store_sound()
    finally:
        fake.stop()


def test_concurrent_pulls_of_one_image(node, registry, images):
    ref = registry.host + "/e2e/multi:1"
    procs = [subprocess.Popen(node.argv("pull", ref), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=coracle_env()) for _ in range(3)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert [i["name"] for i in node.images()] == [ref]
    node.assert_store_sound()
    assert node.scratch() == []


# ---- import ----

def test_import_oci_archive(node, images):
    path = os.path.join(node.workdir, "oci.tar")
    it.oci_archive(path, [
        (images.multi, {"io.containerd.image.name": "docker.io/library/multi:2",
                        "org.opencontainers.image.ref.name": "2"}),
        (images.index, {"org.opencontainers.image.ref.name": "registry.local/idx:3"}),
    ])
    out = node.run("import", path).stdout.split("\n")
    assert out[:2] == ["Imported docker.io/library/multi:2", "Imported registry.local/idx:3"], out
    assert node.image("docker.io/library/multi:2")["digest"] == images.multi.digest
    idx = node.image("registry.local/idx:3")
    assert idx["digest"] == images.index.digest and idx["manifest"] == images.one.digest
    # A name that is only a tag needs a base name.
    tag_only = os.path.join(node.workdir, "tag-only.tar")
    it.oci_archive(tag_only, [(images.docker, {"org.opencontainers.image.ref.name": "7"})])
    err = node.fail("import", tag_only)
    assert "--base-name" in err, err
    assert node.run("import", "--base-name", "team/tool", tag_only).stdout == "Imported docker.io/team/tool:7\n"
    # Compressed archives and standard input.
    gz = path + ".gz"
    subprocess.run("gzip -c %s > %s" % (path, gz), shell=True, check=True)
    node.run("rm", "docker.io/library/multi:2")
    with open(gz, "rb") as f:
        p = subprocess.run(node.argv("import", "-"), stdin=f, capture_output=True, text=True, env=coracle_env())
    assert p.returncode == 0, p.stderr
    node.assert_store_sound()
    # A tampered blob is refused and nothing of that image is recorded.
    bad = os.path.join(node.workdir, "bad.tar")
    img = it.Image([it.Layer(it.tar_entries([("f", "f", "original", 0)]))])
    it.oci_archive(bad, [(img, {"io.containerd.image.name": "bad/image:1"})])
    data = open(bad, "rb").read().replace(img.layers[0].blob, img.layers[0].blob[:-4] + b"XXXX")
    with open(bad, "wb") as f:
        f.write(data)
    err = node.fail("import", bad)
    assert "digest mismatch" in err and bad in err, err
    assert "docker.io/bad/image:1" not in [i["name"] for i in node.images()]
    assert img.layers[0].digest.split(":")[1] not in node.blobs()


def test_import_docker_save_archive(node, images):
    img = it.Image([images.base, images.base, images.whiteouts], fmt="docker")  # a repeated layer
    path = os.path.join(node.workdir, "saved.tar")
    it.docker_save_archive(path, img, ["saved/app:1", "saved/app:latest"], shared_link=True)
    out = node.run("import", path).stdout
    assert out == "Imported docker.io/saved/app:1\nImported docker.io/saved/app:latest\n", out
    rec = node.image("docker.io/saved/app:1")
    assert rec["id"] == img.config_digest
    assert [l["diffID"] for l in rec["layers"]] == [l.diff_id for l in img.layers]
    # Layers are stored uncompressed: their blob digest is their diff_id.
    assert [l["digest"] for l in rec["layers"]] == [l["diffID"] for l in rec["layers"]]
    st = os.lstat(os.path.join(node.layer_dir(images.whiteouts.diff_id), "data", "a"))
    assert (st.st_mode & 0o170000) == 0o020000
    node.assert_store_sound()


def test_skopeo_archives(node, registry, images):
    if not os.path.exists("/usr/bin/skopeo"):
        pytest.skip("skopeo is not installed")
    # skopeo cannot put zstd layers in a docker archive: that one gets the Docker schema 2 image.
    for fmt, name, repo, img in (("oci-archive", "oci.tar", "e2e/multi:1", images.multi),
                                 ("docker-archive", "docker.tar", "e2e/docker:1", images.docker)):
        path = os.path.join(node.workdir, name)
        dest = "%s:%s:skopeo/%s:1" % (fmt, path, fmt)
        p = subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                            "docker://%s/%s" % (registry.host, repo), dest], capture_output=True, text=True)
        assert p.returncode == 0, p.stderr
        out = node.run("import", path).stdout
        assert out == "Imported docker.io/skopeo/%s:1\n" % fmt, out
        assert [l["diffID"] for l in node.image("docker.io/skopeo/%s:1" % fmt)["layers"]] == \
            [l.diff_id for l in img.layers]
    node.assert_store_sound()


def test_import_data_dir_archives(node, images):
    os.makedirs(node.store, exist_ok=True)
    it.docker_save_archive(os.path.join(node.store, "airgap.tar"), images.one, ["airgap/one:1"])
    it.oci_archive(os.path.join(node.store, "broken.tar"), [(images.one, {})])  # no names: reported, skipped
    p = node.run("import", "--data-dir-archives", check=False)
    assert p.returncode == 1 and "broken.tar" in p.stderr and "no names" in p.stderr, p.stderr
    assert [i["name"] for i in node.images()] == ["docker.io/airgap/one:1"]
    # Unchanged archives are not read again.
    os.remove(os.path.join(node.store, "broken.tar"))
    node.run("rm", "airgap/one:1")
    node.run("import", "--data-dir-archives")
    assert node.images() == []
    os.utime(os.path.join(node.store, "airgap.tar"), (1, 1))
    node.run("import", "--data-dir-archives")
    assert [i["name"] for i in node.images()] == ["docker.io/airgap/one:1"]


# ---- rm and garbage collection ----

def test_rm_keeps_shared_layers(node, registry, images):
    node.run("pull", registry.host + "/e2e/busybox:1.36")
    node.run("pull", registry.host + "/e2e/multi:1")
    base = images.base.diff_id.split(":")[1]
    assert len(node.layers()) == 3  # the base layer is stored once
    out = node.run("rm", registry.host + "/e2e/multi:1").stdout
    assert out.startswith("Deleted: %s/e2e/multi:1 (" % registry.host), out
    assert node.layers() == [base]
    assert images.zstd.digest.split(":")[1] not in node.blobs()
    node.assert_store_sound()
    # By image ID (a prefix of at least 12 hex digits), which removes every name of the image.
    node.run("pull", "%s/e2e/busybox@%s" % (registry.host, images.one.digest))
    assert len(node.images()) == 2
    node.run("rm", images.one.config_digest[7:19])
    assert node.images() == [] and node.layers() == [] and node.blobs() == []


def test_same_image_pulled_once_in_process(node, netns, images):
    """`pull REF REF` pulls both at once in one process: the second waits for the first's download."""
    fake = it.FakeRegistry().start()
    try:
        fake.add_image("e2e/dedup", "1", images.multi)
        fake.gate_digest = images.base.digest  # hold the first pull inside its biggest layer
        ref = fake.host + "/e2e/dedup:1"
        p = subprocess.Popen(node.argv("pull", ref, ref, fake.host + "/e2e/dedup@" + images.multi.digest),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=coracle_env())
        try:
            assert fake.gate_reached.wait(60)
            time.sleep(0.5)
            fake.gate_open.set()
            out, err = p.communicate(timeout=120)
        finally:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
        assert p.returncode == 0, err
        assert out.count("Pulled %s (digest %s" % (ref, images.multi.digest)) == 2, out
        by_tag = [r for r in fake.requests if r[1] == "/v2/e2e/dedup/manifests/1"]
        blob = [r for r in fake.requests if r[1] == "/v2/e2e/dedup/blobs/" + images.base.digest]
        assert len(by_tag) == 1 and len(blob) == 1, fake.requests
        node.assert_store_sound()
    finally:
        fake.stop()
