# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""The collection's one wrapper around the helm command line.

Everything that knows helm's flags and messages lives here: finding the binary, telling
Helm 3 from Helm 4, building argv lists (never shell strings), mapping registry TLS and auth
options to each command's flags, signing flags, and classifying helm's errors. Secrets only ever
reach helm on stdin: the registry password (``helm registry login --password-stdin``) and the
signing key's passphrase (``helm package --passphrase-file -``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re
import threading

from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import OCI_REPOSITORY_HINT, OCI_REPOSITORY_RE

MIN_HELM_VERSION = (3, 8, 0)
# Every helm command runs with these: messages in English (they are classified), no debug output.
HELM_ENVIRONMENT = {"LC_ALL": "C", "HELM_DEBUG": "false"}

# Flags that appeared after Helm 3.8 (the first release with OCI support out of
# experimental). Helm 4 has them all.
FLAG_MIN_VERSION = {
    # push/pull TLS flags: Helm 3.11
    "push_pull_tls": (3, 11, 0),
    # --plain-http for push/pull/template: helm/helm#12128, Helm 3.13
    "push_pull_plain_http": (3, 13, 0),
    # helm registry login --plain-http (as documented by kubernetes.core.helm_registry_auth)
    "login_plain_http": (3, 18, 0),
}

# How a module reaches a chart's OCI registry: the names of kubernetes.core (plain_http in helm,
# helm_pull and helm_registry_auth; ca_file in helm_registry_auth), and as aliases the names
# release_plan had before 1.1.0. Documented once, in the doc fragment fclairamb.dbbat.helm_registry.connection.
REGISTRY_CONNECTION_SPEC = {
    "ca_file": {"type": "path", "aliases": ["registry_ca_file"]},
    # No default: unset means false, and lets release_plan fill it from the role's variables.
    "plain_http": {"type": "bool", "aliases": ["registry_plain_http"]},
}


def registry_connection_spec():
    """A copy of REGISTRY_CONNECTION_SPEC for a module's argument_spec (AnsibleModule may change it)."""
    return dict((name, dict(spec, aliases=list(spec["aliases"]))) for name, spec in REGISTRY_CONNECTION_SPEC.items())


_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_DIGEST_RE = re.compile(r"^Digest:\s*(sha256:[0-9a-f]{64})\s*$", re.MULTILINE)
_REGISTRY_HOST_RE = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?\Z")

# What helm (ORAS underneath) prints for each kind of registry failure. Order matters:
# the first kind whose pattern matches wins.
ERROR_PATTERNS = (
    ("plain_http_mismatch", re.compile(r"server gave HTTP response to HTTPS client", re.I)),
    # plain HTTP sent to an HTTPS server: Go answers 400, some registries reset the connection
    ("https_mismatch", re.compile(r"\"http://[^\"]*\": response status code 400|malformed HTTP response"
                                  r"|first record does not look like a TLS handshake", re.I)),
    # the server ended the handshake: it wants a (valid) client certificate
    ("client_certificate", re.compile(r"remote error: tls: (bad certificate|certificate required"
                                      r"|unknown certificate|expired certificate|certificate revoked)", re.I)),
    ("tls", re.compile(r"x509:|tls: |certificate", re.I)),
    ("denied", re.compile(r"\b403\b|\bdenied\b|forbidden", re.I)),
    ("unauthorized", re.compile(r"\b401\b|unauthorized|authentication required|basic credential not found"
                                r"|credential required", re.I)),
    ("unreachable", re.compile(r"connection refused|no such host|i/o timeout|network is unreachable"
                               r"|connection reset|context deadline exceeded|no route to host|dial tcp", re.I)),
    ("not_found", re.compile(r": not found\s*$|manifest unknown|name unknown|MANIFEST_UNKNOWN|NAME_UNKNOWN"
                             r"|\b404\b", re.I | re.M)),
)


class HelmError(Exception):
    """A helm failure the module reports as is; ``kind`` tells what went wrong."""

    def __init__(self, message, kind="helm", command=None, stderr=None):
        super(HelmError, self).__init__(message)
        self.message = message
        self.kind = kind
        self.command = command
        self.stderr = stderr


# --- pure helpers (unit tested) ----------------------------------------------------

def parse_helm_version(text):
    """``(major, minor, patch)`` from any ``helm version`` output (v3.19.0+g3d8990f, BuildInfo...)."""
    match = _VERSION_RE.search(text or "")
    if not match:
        raise ValueError("cannot read a helm version from %r" % (text,))
    return tuple(int(part) for part in match.groups())


def format_version(version):
    return ".".join(str(part) for part in version)


def oci_tag(version):
    """The OCI tag helm uses for a chart version: '+' is not allowed in tags, helm writes '_'."""
    return version.replace("+", "_")


def parse_registry(registry):
    """Split ``oci://host[:port]/path`` (``oci://`` optional) into ``(host, path)``; path may be ''."""
    value = (registry or "").strip()
    if value.startswith("oci://"):
        value = value[len("oci://"):]
    if "://" in value:
        raise ValueError("registry must be oci://HOST[:PORT]/PATH, not %r" % (registry,))
    value = value.strip("/")
    host, _sep, path = value.partition("/")
    if not host or not _REGISTRY_HOST_RE.match(host):
        raise ValueError("registry %r has no valid host[:port]" % (registry,))
    if path and not OCI_REPOSITORY_RE.match(path):
        raise ValueError("registry path %r is not a valid OCI repository path (%s)" % (path, OCI_REPOSITORY_HINT))
    return host, path


def remote_url(host, path):
    return "oci://%s/%s" % (host, path) if path else "oci://%s" % host


def chart_ref(host, path, name, version):
    """Full reference of a chart version, with the tag helm really stores."""
    return "%s/%s:%s" % (remote_url(host, path), name, oci_tag(version))


def parse_digest(output):
    """The manifest digest helm prints after ``Pushed:``/``Pulled:`` (stdout or stderr), or None."""
    match = _DIGEST_RE.search(output or "")
    return match.group(1) if match else None


def _classify(patterns, text):
    """The kind of the first ``(kind, pattern)`` whose pattern matches ``text``, else ``other``."""
    for kind, pattern in patterns:
        if pattern.search(text or ""):
            return kind
    return "other"


def classify_registry_error(text):
    """One of plain_http_mismatch, https_mismatch, client_certificate, tls, denied, unauthorized, unreachable,
    not_found, other."""
    return _classify(ERROR_PATTERNS, text)


def last_error_line(text):
    """helm's own ``Error: ...`` line (the useful part of its stderr)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("Error:"):
            return line[len("Error:"):].strip()
    return lines[-1] if lines else ""


def _check_min(version, feature, option):
    wanted = FLAG_MIN_VERSION[feature]
    if tuple(version) < wanted:
        raise HelmError("%s needs Helm >= %s, found %s" % (option, format_version(wanted), format_version(version)),
                        kind="unsupported")


def registry_flags(command, version, plain_http=False, ca_file=None, cert_file=None, key_file=None,
                   insecure_skip_tls_verify=False, registry_config=None):
    """Registry connection flags of ``command`` ('login', 'push', 'pull' or 'upgrade') for this Helm version.

    ``helm registry login`` calls skipping TLS verification ``--insecure``; push and pull
    call it ``--insecure-skip-tls-verify``. Before Helm 3.18, login has no ``--plain-http``
    and ``--insecure`` is what lets it fall back to HTTP.
    """
    if command not in ("login", "push", "pull", "upgrade"):
        raise ValueError("unknown registry command %r" % (command,))
    flags = []
    if plain_http:
        if command == "login":
            if tuple(version) >= FLAG_MIN_VERSION["login_plain_http"]:
                flags.append("--plain-http")
            else:
                flags.append("--insecure")
        else:
            _check_min(version, "push_pull_plain_http", "plain_http")
            flags.append("--plain-http")
    if command != "login" and (ca_file or cert_file or key_file or insecure_skip_tls_verify):
        _check_min(version, "push_pull_tls", "ca_file, cert_file, key_file and insecure_skip_tls_verify")
    for flag, value in (("--ca-file", ca_file), ("--cert-file", cert_file), ("--key-file", key_file)):
        if value:
            flags.extend([flag, value])
    if insecure_skip_tls_verify and not plain_http:
        flags.append("--insecure" if command == "login" else "--insecure-skip-tls-verify")
    if registry_config:
        flags.extend(["--registry-config", registry_config])
    return flags


def private_registry_config(host):
    """Seed of the temporary registry config that ``helm registry login`` writes into.

    Helm asks ORAS to detect the platform's credential helper (osxkeychain, wincred,
    secretservice, pass) when the config file names no credentials at all, and then stores
    the password THERE, in the user's real keychain, whatever ``--registry-config`` says.
    An (empty) entry for the host makes the file "configured", so the credentials stay in
    this private file, which the caller removes.
    """
    return json.dumps({"auths": {host: {}}})


def version_argv(binary):
    return [binary, "version", "--template", "{{.Version}}"]


def login_argv(binary, version, host, username, **tls):
    """``helm registry login``: the password is NOT in argv, it goes on stdin."""
    return [binary, "registry", "login", host, "--username", username, "--password-stdin"] + \
        registry_flags("login", version, **tls)


def push_argv(binary, version, archive, remote, **tls):
    return [binary, "push", archive, remote] + registry_flags("push", version, **tls)


def pull_argv(binary, version, remote_chart, chart_version, destination, **tls):
    return [binary, "pull", remote_chart, "--version", chart_version, "--destination", destination] + \
        registry_flags("pull", version, **tls)


def package_argv(binary, chart_dir, destination, version=None, app_version=None, sign=False, key=None, keyring=None,
                 passphrase_on_stdin=False):
    """``helm package``; with ``sign``, also the provenance file. The passphrase is NOT in argv: with
    ``passphrase_on_stdin`` helm reads it from stdin (``--passphrase-file -``)."""
    argv = [binary, "package", chart_dir, "--destination", destination]
    if version:
        argv.extend(["--version", version])
    if app_version:
        argv.extend(["--app-version", app_version])
    if sign:
        argv.extend(["--sign", "--key", key, "--keyring", keyring])
        if passphrase_on_stdin:
            argv.extend(["--passphrase-file", "-"])
    return argv


def verify_argv(binary, archive, keyring):
    """``helm verify``: the archive's provenance file (next to it) against the keys of ``keyring``."""
    return [binary, "verify", archive, "--keyring", keyring]


def lint_argv(binary, chart, strict=True, values=None):
    argv = [binary, "lint", chart] + (["--strict"] if strict else [])
    for values_file in values or []:
        argv.extend(["--values", values_file])
    return argv


def dependency_update_argv(binary, chart_dir):
    return [binary, "dependency", "update", chart_dir]


def lint_problems(output):
    """The ``[ERROR]``/``[WARNING]`` lines of ``helm lint`` (Helm 4 spreads one over several lines)."""
    problems, current = [], None
    for line in (output or "").splitlines():
        if line.startswith("[ERROR]") or line.startswith("[WARNING]"):
            current = line.strip()
            problems.append(current)
        elif current is not None and line.startswith(" ") and line.strip():
            problems[-1] = "%s %s" % (problems[-1], line.strip())
        else:
            current = None
    return problems


# --- signing ----------------------------------------------------------------------

# What helm prints for each kind of signing failure (Helm 3.19 and 4.3 say the same).
SIGNING_ERROR_PATTERNS = (
    # an encrypted key and no passphrase: helm tried to prompt on a terminal there is not
    ("passphrase_required", re.compile(r"inappropriate ioctl for device|Password for key", re.I)),
    ("wrong_passphrase", re.compile(r"private key checksum failure|incorrect key|decryption failed|"
                                    r"invalid passphrase", re.I)),
    ("ambiguous_key", re.compile(r"more than one key contain", re.I)),
    ("not_secret_keyring", re.compile(r"not a private key|keyring with secret keys", re.I)),
    ("key_not_found", re.compile(r"private key not found|key not found|no (matching )?key", re.I)),
    ("keyring_unreadable", re.compile(r"openpgp:|no such file|permission denied|EOF", re.I)),
)


def classify_signing_error(text):
    """One of passphrase_required, wrong_passphrase, ambiguous_key, not_secret_keyring, key_not_found,
    keyring_unreadable, other."""
    return _classify(SIGNING_ERROR_PATTERNS, text)


def signing_error_message(kind, key, keyring, detail):
    """A message that names the cause and the option that fixes it."""
    if kind == "passphrase_required":
        return ("the signing key '%s' is protected by a passphrase: set passphrase (%s)" % (key, detail))
    if kind == "wrong_passphrase":
        return "passphrase does not unlock the signing key '%s' (%s)" % (key, detail)
    if kind == "ambiguous_key":
        return ("key '%s' matches more than one key of keyring %s: give more of the key's user ID, for example "
                "its e-mail address (%s)" % (key, keyring, detail))
    if kind == "not_secret_keyring":
        return ("keyring %s holds no secret key for '%s': helm signs with a secret keyring in the legacy format, "
                "export it with `gpg --export-secret-keys > secring.gpg` (%s)" % (keyring, key, detail))
    if kind == "key_not_found":
        return ("key '%s' is not in keyring %s: set key to (part of) the user ID of a secret key it holds, "
                "as `gpg --list-secret-keys` shows it (%s)" % (key, keyring, detail))
    if kind == "keyring_unreadable":
        return ("keyring %s cannot be read as an OpenPGP keyring: export the secret keys with "
                "`gpg --export-secret-keys > secring.gpg` (%s)" % (keyring, detail))
    return "signing with key '%s' failed: %s" % (key, detail)


def parse_signers(output):
    """The ``Signed by:`` identities of ``helm verify`` (or ``helm pull --verify``) output."""
    return [line.split(":", 1)[1].strip() for line in (output or "").splitlines()
            if line.startswith("Signed by:") and line.split(":", 1)[1].strip()]


# --- running helm -------------------------------------------------------------------

class BackgroundCall(object):
    """Runs ``function()`` in a thread, so that waiting for it overlaps other work; :meth:`result`
    waits and returns its value, or raises what it raised, in the caller's thread."""

    def __init__(self, function):
        self._function = function
        self._value = self._error = None
        self._thread = threading.Thread(target=self._run)
        self._thread.daemon = True
        self._thread.start()

    def _run(self):
        try:
            self._value = self._function()
        except Exception as exc:  # re-raised by result()
            self._error = exc

    def wait(self):
        self._thread.join()

    def result(self):
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value


class HelmCli(object):
    """Runs one helm binary for a module. Every call goes through :meth:`run` (argv list, no shell)."""

    def __init__(self, module, binary_path=None):
        self.module = module
        if binary_path:
            if not (os.path.isfile(binary_path) and os.access(binary_path, os.X_OK)):
                raise HelmError("binary_path %s is not an executable file" % binary_path, kind="helm_missing")
            self.binary = binary_path
        else:
            self.binary = module.get_bin_path("helm", required=False)
            if not self.binary:
                raise HelmError("helm not found in PATH: install Helm >= %s or set binary_path"
                                % format_version(MIN_HELM_VERSION), kind="helm_missing")
        self.commands = []
        self._version = None
        self._version_call = None

    def start_version(self):
        """Start ``helm version`` in a thread of its own; :attr:`version` waits for it. It runs while the
        module reads Chart.yaml and the registry, which take about as long as helm takes to start.

        The thread only calls ``run_command``, and :meth:`run` waits for it to end before it starts
        another helm command: two threads never start processes at the same time."""
        if self._version is None and self._version_call is None:
            argv = version_argv(self.binary)
            self.commands.append(" ".join(argv))
            self._version_call = BackgroundCall(lambda: self._execute(argv))

    @property
    def started(self):
        """Whether ``helm version`` was started (by :meth:`start_version`, :attr:`version` or nothing else)."""
        return self._version is not None or self._version_call is not None

    @property
    def version(self):
        """``(major, minor, patch)`` of the binary, checked against the minimum once."""
        if self._version is None:
            self.start_version()
            rc, out, err = self._version_call.result()
            if rc != 0:
                raise HelmError("cannot run %s version: %s" % (self.binary, last_error_line(err or out)),
                                kind="helm_missing", stderr=err)
            try:
                found = parse_helm_version(out)
            except ValueError as exc:
                raise HelmError(str(exc), kind="helm_missing")
            if found < MIN_HELM_VERSION:
                raise HelmError("Helm >= %s is needed (OCI registries), %s is %s"
                                % (format_version(MIN_HELM_VERSION), self.binary, format_version(found)),
                                kind="helm_too_old")
            self._version = found
        return self._version

    @property
    def major(self):
        return self.version[0]

    def _execute(self, argv, data=None, env=None):
        if not isinstance(argv, list):
            raise TypeError("helm commands are argv lists")
        return self.module.run_command(argv, data=data, environ_update=dict(env or {}, **HELM_ENVIRONMENT),
                                       use_unsafe_shell=False, expand_user_and_vars=False)

    def run(self, argv, data=None, env=None):
        """Run helm; ``data`` (e.g. a password) is passed on stdin only, ``env`` adds variables
        (a cluster's token: see kube_env)."""
        if not isinstance(argv, list):
            raise TypeError("helm commands are argv lists")
        if self._version_call is not None:
            self._version_call.wait()  # one helm command at a time: the thread has ended before the next starts
        self.commands.append(" ".join(argv))
        return self._execute(argv, data, env)

    def check(self, argv, what, data=None):
        """Run helm and raise a HelmError classified from its stderr when it fails."""
        rc, out, err = self.run(argv, data=data)
        if rc != 0:
            detail = last_error_line(err) or last_error_line(out)
            raise HelmError("%s failed: %s" % (what, detail), kind=classify_registry_error(err or out),
                            command=" ".join(argv), stderr=err)
        return out, err


# --- releases -----------------------------------------------------------------------

def upgrade_argv(binary, version, release, chart, namespace, chart_version=None, dry_run=False, **tls):
    """``helm upgrade --install`` with the values on stdin (``-f -``): none in argv or on disk.
    ``dry_run`` is Helm's server-side dry run (Helm >= 3.13): rendered with the cluster's version
    and APIs, checked against the chart's schema, nothing applied."""
    argv = [binary, "upgrade", release, chart, "--install", "--namespace", namespace, "--values", "-"]
    if chart_version:
        argv.extend(["--version", chart_version])
    if dry_run:
        argv.append("--dry-run=server")
    return argv + registry_flags("upgrade", version, **tls)


def rollback_argv(binary, release, revision, namespace, timeout):
    """``helm rollback`` to ``revision``, waiting up to ``timeout`` seconds."""
    return [binary, "rollback", release, str(revision), "--namespace", namespace, "--wait", "--timeout",
            "%ds" % timeout]


def uninstall_argv(binary, release, namespace, timeout):
    """``helm uninstall``, waiting up to ``timeout`` seconds for the objects to go."""
    return [binary, "uninstall", release, "--namespace", namespace, "--wait", "--timeout", "%ds" % timeout]


def test_argv(binary, release, namespace, timeout):
    """``helm test``, waiting up to ``timeout`` seconds for each test pod."""
    return [binary, "test", release, "--namespace", namespace, "--timeout", "%ds" % timeout]


# The keys of a kubernetes.core connection that kube_env hands to helm.
KUBE_ENV_KEYS = ("kubeconfig", "context", "host", "api_key", "ssl_ca_cert", "verify_ssl")


def kube_env(auth):
    """Environment that points helm at the cluster of a kubernetes.core connection, ``auth`` being
    what release_module.connection resolved from the module's options and the K8S_AUTH_* variables
    as kubernetes.core does (keys KUBE_ENV_KEYS), so that helm and the Python client reach the same
    cluster. Through variables, not flags, so that a
    token never appears in the process list. Client certificates only reach helm in a kubeconfig."""
    env = {}
    if isinstance(auth.get("kubeconfig"), str) and auth["kubeconfig"]:
        env["KUBECONFIG"] = os.path.expanduser(auth["kubeconfig"])
    for key, variable in (("context", "HELM_KUBECONTEXT"), ("host", "HELM_KUBEAPISERVER"),
                          ("api_key", "HELM_KUBETOKEN"), ("ssl_ca_cert", "HELM_KUBECAFILE")):
        if auth.get(key):
            env[variable] = auth[key]
    if auth.get("verify_ssl") is False:
        env["HELM_KUBEINSECURE_SKIP_TLS_VERIFY"] = "true"
    return env
