"""A real OCI registry for the tests: Debian's `docker-registry` (distribution 2.8) on 127.0.0.1.

``Registry(workdir, tls=False, auth=False, client_auth=False).start()`` runs one; it exposes
``host``, ``url``, ``plain_http``, ``ca_file``, ``username``, ``password``, ``storage_dir``,
``stop()``, ``start()``, plus ``blob_count()``/``manifest_count()``/``tag_digest()`` for
idempotence checks, ``access_mark()``/``requests_since(mark)`` for what clients asked (the registry's
own HTTP access log) and ``helm_flags()``/``module_args()`` for clients. The pytest fixtures over
it are in testkit.fixtures (``oci_registry_plain``, ``oci_registry_tls``, ``oci_registry_factory``,
``published_dbbat_chart``).

``publish_with_module()`` publishes a chart with fclairamb.dbbat.helm_chart_publish through a
real ansible-playbook run. ``python -m testkit.registry serve [--tls]`` runs one for manual
work; ``start DIR`` / ``stop DIR`` run one in the background (the molecule scenario does).
"""
import json
import os
import re
import secrets
import signal
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from .env import isolated_env
from .pki import write_certificates
from .proc import run

REGISTRY_BIN = "docker-registry"
# One line of the registry's access log (Apache combined format, written on its standard output).
ACCESS_LINE = re.compile(r'^(?P<client>\S+) \S+ \S+ \[[^]]*\] "(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" '
                         r'(?P<status>\d{3}) (?P<size>\d+|-) "[^"]*" "(?P<agent>[^"]*)"')


class Request:
    """One request in the registry's access log: ``method``, ``path`` (with its query), ``status``,
    ``size`` (bytes of the answer's body), ``agent`` (User-Agent)."""

    def __init__(self, method, path, status, size, agent):
        self.method, self.path, self.status, self.size, self.agent = method, path, status, size, agent

    @property
    def is_blob_read(self):
        return self.method == "GET" and "/blobs/" in self.path

    @property
    def is_write(self):
        return self.method in ("PUT", "POST", "PATCH", "DELETE")

    def __repr__(self):
        return "%s %s -> %d (%d bytes, %s)" % (self.method, self.path, self.status, self.size, self.agent)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Registry:
    """One docker-registry process; its storage survives stop()/start()."""

    def __init__(self, workdir, tls=False, auth=False, client_auth=False, username="dbbat-publisher"):
        if not shutil.which(REGISTRY_BIN):
            raise RuntimeError("docker-registry is not installed: run `make setup` (Debian package docker-registry)")
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage_dir = str(self.workdir / "storage")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"oci://{self.host}"
        self.plain_http = not tls
        self.ca_file = self.cert_file = self.key_file = None
        # with client_auth, the registry wants a client certificate signed by its CA (mutual TLS)
        self.client_cert_file = self.client_key_file = None
        self.username = self.password = None
        config = {
            "version": 0.1,
            # The access log (one line a request, on standard output) is how tests see what a client asked.
            "log": {"level": "error", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": self.storage_dir}, "delete": {"enabled": True}},
            "http": {"addr": self.host, "secret": secrets.token_hex(16)},
        }
        if tls or client_auth:
            certs = write_certificates(self.workdir, ca_name="dbbat test registry CA")
            self.ca_file, self.cert_file, self.key_file = certs["ca"], certs["server_cert"], certs["server_key"]
            config["http"]["tls"] = {"certificate": self.cert_file, "key": self.key_file}
            self.plain_http = False
        if client_auth:
            self.client_cert_file, self.client_key_file = certs["client_cert"], certs["client_key"]
            config["http"]["tls"]["clientcas"] = [self.ca_file]
        if auth:
            self.username, self.password = username, "pw-" + secrets.token_urlsafe(18)
            htpasswd = run(["htpasswd", "-Bbn", self.username, self.password]).check().stdout
            (self.workdir / "htpasswd").write_text(htpasswd)
            config["auth"] = {"htpasswd": {"realm": "dbbat-test", "path": str(self.workdir / "htpasswd")}}
        self.config_file = self.workdir / "config.yml"
        self.config_file.write_text(yaml.safe_dump(config))
        self.log_file = self.workdir / "registry.log"
        self.access_log_file = self.workdir / "access.log"
        self._proc = None

    # -- lifecycle -------------------------------------------------------------
    def start(self, timeout=20, detach=False):
        """Start the registry and wait until it answers. ``detach``: it outlives this process
        (its pid is in ``workdir/pid``; ``stop_detached(workdir)`` ends it)."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        with open(self.log_file, "ab") as log, open(self.access_log_file, "ab") as access_log:
            self._proc = subprocess.Popen([REGISTRY_BIN, "serve", str(self.config_file)],
                                          stdout=access_log, stderr=log,
                                          stdin=subprocess.DEVNULL, start_new_session=detach)
        if detach:
            (self.workdir / "pid").write_text(str(self._proc.pid))
            (self.workdir / "host").write_text(self.host)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"docker-registry exited ({self._proc.returncode}): "
                                   f"{self.log_file.read_text(errors='replace')[-2000:]}")
            if self._ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"docker-registry on {self.host} not ready after {timeout}s")

    def stop(self):
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    def _ssl_context(self):
        if self.plain_http:
            return None
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.client_cert_file:
            context.load_cert_chain(self.client_cert_file, self.client_key_file)
        return context

    def _ask(self, path, timeout=1):
        """GET ``path`` of the registry (no credentials); True when it answered, even 401."""
        scheme = "http" if self.plain_http else "https"
        try:
            urllib.request.urlopen(f"{scheme}://{self.host}{path}", timeout=timeout, context=self._ssl_context())
            return True
        except urllib.error.HTTPError as err:
            return err.code == 401  # up, and asking for credentials
        except OSError:
            return False

    def _ready(self):
        return self._ask("/v2/")

    # -- what is stored --------------------------------------------------------
    def _v2(self):
        return Path(self.storage_dir) / "docker" / "registry" / "v2"

    def blob_count(self):
        """Blobs stored (config, layers, manifests), all repositories together."""
        return sum(1 for _ in (self._v2() / "blobs").glob("sha256/*/*/data"))

    def manifest_count(self):
        """Manifest revisions linked into repositories."""
        return sum(1 for _ in (self._v2() / "repositories").glob("**/_manifests/revisions/sha256/*/link"))

    def counts(self):
        return {"blobs": self.blob_count(), "manifests": self.manifest_count()}

    def tag_digest(self, repository, tag):
        """The manifest digest a tag points to, read from storage (None if absent)."""
        link = self._v2() / "repositories" / repository / "_manifests" / "tags" / tag / "current" / "link"
        return link.read_text().strip() if link.exists() else None

    # -- what clients asked -----------------------------------------------------
    def access_mark(self):
        """A point in the access log: ``requests_since(mark)`` returns the requests made after it."""
        return self.access_log_file.stat().st_size if self.access_log_file.exists() else 0

    def requests_since(self, mark, timeout=10):
        """The requests the registry answered after ``mark`` (``access_mark()``), oldest first.

        The registry writes a line once it has answered, so a client may return before its last line
        is written: a marker request is sent, and the log is read up to it."""
        marker = "/v2/?testkit-mark=" + secrets.token_hex(8)
        if not self._ask(marker, timeout=5):
            raise RuntimeError("docker-registry on %s does not answer: %s" % (self.host, self.log_file))
        deadline = time.monotonic() + timeout
        while True:
            with open(self.access_log_file, "rb") as log:
                log.seek(mark)
                lines = log.read().decode("utf-8", "replace").splitlines()
            requests = [parse_access_line(line) for line in lines]
            for index, request in enumerate(requests):
                if request is not None and request.path == marker:
                    return [request for request in requests[:index] if request is not None]
            if time.monotonic() > deadline:
                raise RuntimeError("the registry did not log %s within %ds: %s" % (marker, timeout, lines[-5:]))
            time.sleep(0.05)

    # -- what clients need -----------------------------------------------------
    def helm_flags(self):
        """TLS flags for `helm pull/push/template` against this registry (no credentials)."""
        if self.plain_http:
            return ["--plain-http"]
        flags = ["--ca-file", self.ca_file]
        if self.client_cert_file:
            flags += ["--cert-file", self.client_cert_file, "--key-file", self.client_key_file]
        return flags

    def module_args(self):
        """Connection options of fclairamb.dbbat.helm_chart_publish for this registry."""
        args = {"plain_http": self.plain_http}
        if self.ca_file:
            args["ca_file"] = self.ca_file
        if self.client_cert_file:
            args["cert_file"], args["key_file"] = self.client_cert_file, self.client_key_file
        if self.username:
            args["username"], args["password"] = self.username, self.password
        return args


def parse_access_line(line):
    """The Request of one access log line, or None for any other line."""
    match = ACCESS_LINE.match(line)
    if match is None:
        return None
    size = match["size"]
    return Request(match["method"], match["path"], int(match["status"]), 0 if size == "-" else int(size),
                   match["agent"])


def publish_with_module(registry, chart_dir, workdir, version=None, app_version=None, repository="charts",
                        binary_path=None):
    """Publish ``chart_dir`` to ``registry`` with fclairamb.dbbat.helm_chart_publish; returns the module result.

    The registry password reaches the module through an environment variable, never the playbook file.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    args = {"chart_path": str(chart_dir), "registry": "%s/%s" % (registry.url, repository),
            "plain_http": registry.plain_http}
    for key, value in (("version", version), ("app_version", app_version), ("binary_path", binary_path),
                       ("ca_file", registry.ca_file), ("username", registry.username)):
        if value:
            args[key] = value
    if registry.password:
        args["password"] = "{{ lookup('ansible.builtin.env', 'PUBLISH_REGISTRY_PASSWORD') }}"
    results = workdir / "publish-result.json"
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "tasks": [{"fclairamb.dbbat.helm_chart_publish": args, "register": "published"},
                       {"ansible.builtin.copy": {"content": "{{ published | to_json }}", "dest": str(results),
                                                 "mode": "0600"}}]}]
    playbook = workdir / "publish.yml"
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    env = isolated_env(workdir, extra={"PUBLISH_REGISTRY_PASSWORD": registry.password or ""})
    result = run(["ansible-playbook", "-i", "localhost,", playbook], env=env, timeout=300)
    if not result.ok:
        raise RuntimeError("publishing %s with helm_chart_publish failed:\n%s" % (chart_dir, result.out))
    return json.loads(results.read_text())


class PublishedChart:
    """A chart version published by the module: ``ref`` (without version), ``version``, ``registry``."""

    def __init__(self, ref, version, registry, digest):
        self.ref, self.version, self.registry, self.digest = ref, version, registry, digest


def stop_detached(workdir):
    """Stop a registry started with ``start(detach=True)`` in ``workdir`` (by its pid file)."""
    pid_file = Path(workdir) / "pid"
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
        except ProcessLookupError:
            pass
        pid_file.unlink()


def main():
    import argparse

    parser = argparse.ArgumentParser(description="A local OCI registry (Debian's docker-registry) for manual work "
                                                 "and the molecule scenario.")
    parser.add_argument("command", choices=["serve", "start", "stop"],
                        help="serve: in the foreground until Ctrl-C; start: in the background, its address in "
                             "DIR/host; stop: the one started in DIR")
    parser.add_argument("dir", nargs="?", help="its folder (storage, config, pid); start and stop need it")
    parser.add_argument("--tls", action="store_true", help="HTTPS with a generated CA and basic auth")
    opts = parser.parse_args()
    if opts.command == "stop":
        stop_detached(opts.dir)
        return
    workdir = opts.dir or tempfile.mkdtemp(prefix="oci-registry-")
    reg = Registry(workdir, tls=opts.tls, auth=opts.tls).start(detach=opts.command == "start")
    print(f"registry: {reg.url}  storage: {reg.storage_dir}")
    if opts.tls:
        print(f"ca_file: {reg.ca_file}  username: {reg.username}  password: {reg.password}")
    if opts.command == "start":
        return
    try:
        while reg.running:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        reg.stop()


if __name__ == "__main__":
    main()
