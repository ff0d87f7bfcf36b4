"""Helpers for the image tests, standard library only: container images built by hand (deterministic tars,
gzip or zstd, OCI or Docker JSON), pushed to a registry through its HTTP API, Debian's docker-registry run
on 127.0.0.1 of the test's network namespace, a small fake registry (bearer tokens, redirects to a blob
store, slow blobs) for what docker-registry cannot do without a token server, and archives in the OCI
layout and `docker save` formats. Every process started here is stopped by its PID."""
import base64
import gzip
import hashlib
import http.server
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
LAYER_TYPES = {
    ("oci", "gzip"): "application/vnd.oci.image.layer.v1.tar+gzip",
    ("oci", "zstd"): "application/vnd.oci.image.layer.v1.tar+zstd",
    ("oci", "none"): "application/vnd.oci.image.layer.v1.tar",
    ("docker", "gzip"): "application/vnd.docker.image.rootfs.diff.tar.gzip",
    ("docker", "none"): "application/vnd.docker.image.rootfs.diff.tar",
}
BUSYBOX = "/bin/busybox"


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nothing listens on 127.0.0.1:%d" % port)


# ---- layers ----

class Layer:
    """One image layer: the tar (whose sha256 is the diff_id) and its compressed blob."""

    def __init__(self, tar, compression="gzip"):
        self.tar = tar
        self.diff_id = sha256(tar)
        self.compression = compression
        if compression == "gzip":
            self.blob = gzip.compress(tar, compresslevel=6, mtime=0)
        elif compression == "zstd":
            self.blob = subprocess.run(["zstd", "-q", "-c", "-3"], input=tar, capture_output=True,
                                       check=True).stdout
        else:
            self.blob = tar
        self.digest = sha256(self.blob)
        self.size = len(self.blob)


def tar_entries(entries):
    """A deterministic tar from (path, kind, data, mode) tuples; kind is 'd', 'f', 'l' (symlink, data is the
    target) or 'h' (hard link). Root-owned, mtime 0, in the given order."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, kind, data, mode in entries:
            ti = tarfile.TarInfo(path)
            ti.mtime = 0
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            if kind == "d":
                ti.type = tarfile.DIRTYPE
                ti.mode = mode or 0o755
                t.addfile(ti)
            elif kind == "f":
                data = data.encode() if isinstance(data, str) else data
                ti.size = len(data)
                ti.mode = mode or 0o644
                t.addfile(ti, io.BytesIO(data))
            elif kind == "l":
                ti.type = tarfile.SYMTYPE
                ti.linkname = data
                ti.mode = 0o777
                t.addfile(ti)
            elif kind == "h":
                ti.type = tarfile.LNKTYPE
                ti.linkname = data
                ti.mode = mode or 0o755
                t.addfile(ti)
    return out.getvalue()


def busybox_entries(extra=()):
    """A busybox-static root filesystem (the binary, its applet links, passwd, a web root) plus extra."""
    with open(BUSYBOX, "rb") as f:
        bb = f.read()
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True).stdout.split()
    e = [("bin", "d", None, 0o755), ("bin/busybox", "f", bb, 0o755)]
    e += [("bin/" + a, "l", "busybox", 0) for a in sorted(applets) if a != "busybox"]
    e += [("etc", "d", None, 0o755),
          ("etc/passwd", "f", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n", 0),
          ("etc/group", "f", "root:x:0:\nnogroup:x:65534:\n", 0),
          ("tmp", "d", None, 0o1777), ("root", "d", None, 0o700),
          ("www", "d", None, 0o755), ("www/index.html", "f", "<h1>hello from busybox httpd</h1>\n", 0)]
    return e + list(extra)


# ---- images ----

class Image:
    """A single-platform image: layers, config and manifest, OCI or Docker schema 2."""

    def __init__(self, layers, arch="amd64", fmt="oci", cmd=("/bin/sh",), variant=None):
        self.layers = layers
        self.fmt = fmt
        config = {
            "architecture": arch, "os": "linux", "created": "1970-01-01T00:00:00Z",
            "config": {"Env": ["PATH=/bin"], "Cmd": list(cmd), "WorkingDir": "/"},
            "rootfs": {"type": "layers", "diff_ids": [l.diff_id for l in layers]},
            "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "imagetools.py"} for _ in layers],
        }
        if variant:
            config["variant"] = variant
        self.config = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
        self.config_digest = sha256(self.config)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST if fmt == "oci" else DOCKER_MANIFEST,
            "config": {"mediaType": OCI_CONFIG if fmt == "oci" else DOCKER_CONFIG,
                       "digest": self.config_digest, "size": len(self.config)},
            "layers": [{"mediaType": LAYER_TYPES[(fmt, l.compression)], "digest": l.digest, "size": l.size}
                       for l in layers],
        }
        self.manifest = json.dumps(manifest, separators=(",", ":")).encode()
        self.media_type = manifest["mediaType"]
        self.digest = sha256(self.manifest)
        self.platform = {"os": "linux", "architecture": arch}
        if variant:
            self.platform["variant"] = variant

    def blobs(self):
        return [(self.config_digest, self.config)] + [(l.digest, l.blob) for l in self.layers]


class Index:
    """An image index (or Docker manifest list) over several images."""

    def __init__(self, images, fmt="oci"):
        self.images = images
        self.media_type = OCI_INDEX if fmt == "oci" else DOCKER_LIST
        doc = {"schemaVersion": 2, "mediaType": self.media_type,
               "manifests": [{"mediaType": i.media_type, "digest": i.digest, "size": len(i.manifest),
                              "platform": i.platform} for i in images]}
        self.manifest = json.dumps(doc, separators=(",", ":")).encode()
        self.digest = sha256(self.manifest)


# ---- registry API client (push) ----

class RegistryClient:
    def __init__(self, base, auth=None, context=None):
        self.base = base.rstrip("/")
        self.auth = auth
        self.context = context

    def _req(self, method, url, data=None, headers=None):
        if not url.startswith("http"):
            url = self.base + url
        req = urllib.request.Request(url, data=data, method=method)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        if self.auth:
            token = base64.b64encode(("%s:%s" % self.auth).encode()).decode()
            req.add_header("Authorization", "Basic " + token)
        try:
            with urllib.request.urlopen(req, timeout=60, context=self.context) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def push_blob(self, repo, digest, data):
        st, _, _ = self._req("HEAD", "/v2/%s/blobs/%s" % (repo, digest))
        if st == 200:
            return
        st, h, body = self._req("POST", "/v2/%s/blobs/uploads/" % repo, data=b"")
        assert st == 202, (st, body)
        loc = h["Location"]
        sep = "&" if "?" in loc else "?"
        st, _, body = self._req("PUT", loc + sep + "digest=" + urllib.parse.quote(digest), data=data,
                                headers={"Content-Type": "application/octet-stream"})
        assert st == 201, (st, body)

    def push_manifest(self, repo, ref, data, media_type):
        st, _, body = self._req("PUT", "/v2/%s/manifests/%s" % (repo, ref), data=data,
                                headers={"Content-Type": media_type})
        assert st == 201, (st, body)

    def push_image(self, repo, tag, image):
        for digest, data in image.blobs():
            self.push_blob(repo, digest, data)
        self.push_manifest(repo, tag or image.digest, image.manifest, image.media_type)

    def push_index(self, repo, tag, index):
        for img in index.images:
            self.push_image(repo, None, img)
        self.push_manifest(repo, tag, index.manifest, index.media_type)


# ---- Debian's docker-registry ----

class DockerRegistry:
    """docker-registry bound to 127.0.0.1:port, storing under workdir; optional htpasswd and TLS."""

    def __init__(self, workdir, htpasswd=None, tls=None, clientcas=None):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.port = free_port()
        self.data = os.path.join(workdir, "data")
        lines = ["version: 0.1", "log:", "  level: warn", "  accesslog:", "    disabled: true", "storage:",
                 "  filesystem:", "    rootdirectory: %s" % self.data, "  delete:", "    enabled: true",
                 "http:", "  addr: 127.0.0.1:%d" % self.port]
        if tls:
            lines += ["  tls:", "    certificate: %s" % tls[0], "    key: %s" % tls[1]]
            if clientcas:  # clients must present a certificate signed by this CA
                lines += ["    clientcas:", "      - %s" % clientcas]
        if htpasswd:
            lines += ["auth:", "  htpasswd:", "    realm: e2e-realm", "    path: %s" % htpasswd]
        self.config = os.path.join(workdir, "config.yml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.scheme = "https" if tls else "http"
        self.url = "%s://127.0.0.1:%d" % (self.scheme, self.port)
        self.host = "127.0.0.1:%d" % self.port
        self.log = os.path.join(workdir, "registry.log")
        self.proc = None

    def start(self):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(["docker-registry", "serve", self.config], stdout=log,
                                         stderr=subprocess.STDOUT)
        try:
            wait_port(self.port)
        except RuntimeError:
            self.stop()
            with open(self.log) as f:
                raise RuntimeError("docker-registry did not start:\n" + f.read())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def blob_file(self, digest):
        hexd = digest.split(":", 1)[1]
        return os.path.join(self.data, "docker/registry/v2/blobs/sha256", hexd[:2], hexd, "data")


def htpasswd_file(path, user, password):
    out = subprocess.run(["htpasswd", "-Bbn", user, password], capture_output=True, text=True, check=True)
    with open(path, "w") as f:
        f.write(out.stdout)
    return path


def self_signed_cert(workdir):
    """A CA-less self-signed certificate for 127.0.0.1 (it is its own CA for ca_file)."""
    crt, key = os.path.join(workdir, "reg.crt"), os.path.join(workdir, "reg.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
    return crt, key


def client_cert(workdir):
    """A client CA and a client certificate it signed: (ca.crt, client.crt, client.key)."""
    ca, cakey = os.path.join(workdir, "clientca.crt"), os.path.join(workdir, "clientca.key")
    crt, key, csr = (os.path.join(workdir, n) for n in ("client.crt", "client.key", "client.csr"))
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
        cakey, "-out", ca, "-days", "2", "-subj", "/CN=e2e client CA", "-addext", "basicConstraints=critical,CA:TRUE")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
        csr, "-subj", "/CN=coracle-node")
    ext = os.path.join(workdir, "client.ext")
    with open(ext, "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", cakey, "-CAcreateserial", "-out", crt, "-days",
        "2", "-extfile", ext)
    return ca, crt, key


# ---- a fake registry for auth flows and faults ----

class FakeRegistry:
    """Serves manifests and blobs from memory. Options: bearer token auth (token endpoint on the same
    server, optionally requiring basic credentials), blob downloads redirected to a separate "storage"
    path that must receive no credentials, and a gate that stops a blob halfway until released."""

    def __init__(self, bearer=False, credentials=None, redirect=False):
        self.manifests = {}  # (repo, ref) -> (bytes, media type)
        self.blobs = {}
        self.bearer = bearer
        self.credentials = credentials
        self.redirect = redirect
        self.tokens = set()
        self.requests = []  # (method, path, headers)
        self.leaked_auth = []  # storage requests that carried an Authorization header
        self.gate_digest = None
        self.gate_reached = threading.Event()
        self.gate_open = threading.Event()
        self.lock = threading.Lock()
        reg = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _send(self, code, body=b"", ctype="application/json", headers=None):
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, code, ecode, msg, headers=None):
                body = json.dumps({"errors": [{"code": ecode, "message": msg, "detail": None}]}).encode()
                self._send(code, body, headers=headers)

            def _basic_ok(self):
                h = self.headers.get("Authorization", "")
                if not reg.credentials:
                    return True
                want = "Basic " + base64.b64encode(("%s:%s" % reg.credentials).encode()).decode()
                return h == want

            def do_HEAD(self):
                self.do_GET()

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                with reg.lock:
                    reg.requests.append((self.command, u.path, dict(self.headers)))
                if u.path == "/token":
                    if not self._basic_ok():
                        return self._send(401, b'{"details":"bad credentials for the token service"}')
                    q = urllib.parse.parse_qs(u.query)
                    tok = "tok-%d-%s" % (len(reg.tokens), q.get("scope", ["?"])[0].replace(":", "_"))
                    reg.tokens.add(tok)
                    return self._send(200, json.dumps({"token": tok, "expires_in": 300}).encode())
                if u.path.startswith("/storage/"):
                    if "Authorization" in self.headers:
                        reg.leaked_auth.append(u.path)
                    return self._blob(u.path[len("/storage/"):])
                if reg.bearer:
                    h = self.headers.get("Authorization", "")
                    if not (h.startswith("Bearer ") and h[7:] in reg.tokens):
                        port = self.server.server_address[1]
                        chal = 'Bearer realm="http://127.0.0.1:%d/token",service="fake-registry"' % port
                        if u.path.startswith("/v2/") and "/" in u.path[4:]:
                            repo = u.path[4:].rsplit("/", 2)[0]
                            chal += ',scope="repository:%s:pull"' % repo
                        return self._error(401, "UNAUTHORIZED", "authentication required",
                                           {"WWW-Authenticate": chal})
                if u.path == "/v2/":
                    return self._send(200, b"{}")
                parts = u.path[4:].rsplit("/", 2)
                if len(parts) != 3:
                    return self._error(404, "NOT_FOUND", "not found")
                repo, kind, ref = parts
                if kind == "manifests":
                    m = reg.manifests.get((repo, ref))
                    if not m:
                        return self._error(404, "MANIFEST_UNKNOWN", "manifest unknown")
                    return self._send(200, m[0], m[1], {"Docker-Content-Digest": sha256(m[0])})
                if kind == "blobs":
                    if reg.redirect:
                        port = self.server.server_address[1]
                        # Another host name, as a blob store (S3, a CDN) would be.
                        loc = "http://localhost:%d/storage/%s" % (port, ref)
                        return self._send(307, b"", headers={"Location": loc})
                    return self._blob(ref)
                return self._error(404, "NOT_FOUND", "not found")

            def _blob(self, digest):
                data = reg.blobs.get(digest)
                if data is None:
                    return self._error(404, "BLOB_UNKNOWN", "blob unknown to registry")
                if digest != reg.gate_digest or reg.gate_open.is_set():
                    return self._send(200, data, "application/octet-stream")
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                half = len(data) // 2
                self.wfile.write(data[:half])
                self.wfile.flush()
                reg.gate_reached.set()
                reg.gate_open.wait(60)
                try:
                    self.wfile.write(data[half:])
                except OSError:
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.host = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add_image(self, repo, tag, image):
        for digest, data in image.blobs():
            self.blobs[digest] = data
        self.manifests[(repo, image.digest)] = (image.manifest, image.media_type)
        if tag:
            self.manifests[(repo, tag)] = (image.manifest, image.media_type)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.gate_open.set()
        self.server.shutdown()
        self.server.server_close()


# ---- archives ----

def _add_bytes(t, name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    ti.mtime = 0
    t.addfile(ti, io.BytesIO(data))


def oci_archive(path, entries):
    """An OCI image layout tar. entries: list of (image or Index, annotations dict)."""
    blobs = {}
    manifests = []
    for obj, annotations in entries:
        if isinstance(obj, Index):
            blobs[obj.digest] = obj.manifest
            for img in obj.images:
                blobs[img.digest] = img.manifest
                blobs.update(dict(img.blobs()))
        else:
            blobs[obj.digest] = obj.manifest
            blobs.update(dict(obj.blobs()))
        manifests.append({"mediaType": obj.media_type, "digest": obj.digest, "size": len(obj.manifest),
                          "annotations": annotations})
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    with tarfile.open(path, "w") as t:
        _add_bytes(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        for digest, data in sorted(blobs.items()):
            _add_bytes(t, "blobs/sha256/" + digest.split(":")[1], data)
        _add_bytes(t, "index.json", json.dumps(index).encode())


def docker_save_archive(path, image, repo_tags, shared_link=False):
    """A `docker save` style tar: <id>/layer.tar (uncompressed), <config>.json, manifest.json last (as Docker
    writes it). With shared_link the second layer entry is a symlink to the first one's tar."""
    cfg_name = image.config_digest.split(":")[1] + ".json"
    layer_paths = []
    with tarfile.open(path, "w") as t:
        for i, l in enumerate(image.layers):
            lid = hashlib.sha256(("layer%d" % i + l.diff_id).encode()).hexdigest()
            ti = tarfile.TarInfo(lid)
            ti.type = tarfile.DIRTYPE
            ti.mode = 0o755
            t.addfile(ti)
            _add_bytes(t, lid + "/VERSION", b"1.0")
            _add_bytes(t, lid + "/json", b'{"id":"%s"}' % lid.encode())
            if shared_link and i > 0 and l.diff_id == image.layers[0].diff_id:
                ti = tarfile.TarInfo(lid + "/layer.tar")
                ti.type = tarfile.SYMTYPE
                ti.linkname = "../" + layer_paths[0].split("/")[0] + "/layer.tar"
                t.addfile(ti)
            else:
                _add_bytes(t, lid + "/layer.tar", l.tar)
            layer_paths.append(lid + "/layer.tar")
        _add_bytes(t, cfg_name, image.config)
        manifest = [{"Config": cfg_name, "RepoTags": repo_tags, "Layers": layer_paths}]
        _add_bytes(t, "manifest.json", json.dumps(manifest).encode())
        repos = {}
        for rt in repo_tags:
            r, tag = rt.rsplit(":", 1)
            repos.setdefault(r, {})[tag] = layer_paths and hashlib.sha256(layer_paths[-1].encode()).hexdigest()
        _add_bytes(t, "repositories", json.dumps(repos).encode())


def rmtree(path):
    """Removes a tree that may hold overlay whiteouts and read-only directories."""
    if os.path.isdir(path):
        subprocess.run(["rm", "-rf", "--one-file-system", path], check=False)
    shutil.rmtree(path, ignore_errors=True)
