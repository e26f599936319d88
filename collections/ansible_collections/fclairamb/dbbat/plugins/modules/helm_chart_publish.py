#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: helm_chart_publish
short_description: Package a Helm chart and publish it to an OCI registry, idempotently
version_added: 1.0.0
author:
  - Florent Clairambault (@fclairamb)
description:
  - Packages a chart directory with C(helm package) and pushes it to an OCI registry with
    C(helm push), as C(oci://REGISTRY/PATH/NAME:VERSION).
  - The archive is made reproducible before it is pushed, as C(helm package) stamps files with the
    time. The same source (the files of O(chart_path), O(version), O(app_version)) always gives the
    same archive bytes, whichever Helm major packaged it, so the same RV(chart_digest). Its
    C(Chart.yaml) carries a fingerprint of that source, as the annotation
    C(dbbat.fclairamb.github.io/chart-source), which C(helm push) copies into the registry's manifest.
  - Published versions are immutable. If the version is already in the registry, the module reads
    its manifest over the registry API and tells whether it holds the same chart, the cheapest way
    first. If the manifest carries the fingerprint of the same source, it is the same chart; nothing
    else is read from the registry, the chart is not even packaged, and no helm command runs. If the chart layer digest
    equals the digest of the reproducible archive, it is the same chart, and nothing is downloaded.
    Otherwise (a version pushed by another tool, or signed) the module downloads that one layer and
    compares the chart's files, C(Chart.yaml) as data.
  - The same chart gives RV(ignore:changed=false) and nothing is uploaded; different files make the
    module fail, listing them, unless O(force=true).
  - Without O(username), the registry is read anonymously; when it asks for credentials, the
    module reads it with C(helm pull) instead, which uses the existing login of the user running it.
  - Before anything is pushed, the chart must pass C(helm lint --strict), run on the packaged
    archive. An unchanged version is not linted again, as nothing is pushed.
  - With O(sign=true), the chart is signed with C(helm package --sign) and its provenance file
    (C(.prov)) is pushed with it, so that C(helm pull --verify) and C(helm install --verify) can
    check it. A signature records when it was made, so two signings of the same chart never give
    the same bytes. Hence, with O(sign=true), a published version is unchanged when it has the same
    files and a provenance file that C(helm verify) accepts with O(keyring) and that was made by
    O(key); the signature is not made again and nothing is pushed. A version published with the
    same files but without such a provenance file is a difference (C(provenance:) in
    RV(differences)), refused unless O(force=true).
  - The source chart directory is never modified. O(version) and O(app_version) are applied with
    C(helm package --version/--app-version); O(dependency_update) works on a private copy.
  - All temporary files (packages, downloaded layers, registry credentials) live in a private
    directory that is removed when the module ends, whatever the outcome.
  - An OCI push uploads the blobs first and moves the tag last, so a failed run never leaves a
    half-published version behind the tag.
extends_documentation_fragment:
  - fclairamb.dbbat.helm_binary
  - fclairamb.dbbat.helm_registry
  - fclairamb.dbbat.helm_registry.connection
options:
  chart_path:
    description:
      - Directory of the chart to publish (the one holding C(Chart.yaml)).
    type: path
    required: true
  registry:
    description:
      - Where to publish, as C(oci://HOST[:PORT]/PATH), for example C(oci://ghcr.io/fclairamb/charts).
        The chart is pushed to C(PATH/NAME) in that registry. The C(oci://) prefix is optional.
      - PATH follows the OCI repository rule, the one of the P(fclairamb.dbbat.oci_repository#test) test.
    type: str
    required: true
  version:
    description:
      - Chart version to publish, a Semantic Versioning 2 version such as C(1.2.3) or
        C(1.2.3-rc.1+build.5) (the rule of the P(fclairamb.dbbat.chart_version#test) test).
        Defaults to the C(version) of the chart's C(Chart.yaml).
      - Helm stores C(+) as C(_) in OCI tags; RV(ref) shows the stored tag.
    type: str
  app_version:
    description:
      - C(appVersion) to set in the published chart. Defaults to the chart's C(appVersion).
    type: str
  dependency_update:
    description:
      - Run C(helm dependency update) before packaging, on a private copy of the chart.
      - Dependencies with a relative C(file://) repository cannot be resolved from that copy;
        vendor them into C(charts/) or run C(helm dependency build) beforehand instead.
    type: bool
    default: false
  lint:
    description:
      - Run C(helm lint --strict) on the packaged chart and fail, before pushing, if it reports
        any error or warning. Turning it off is not recommended.
    type: bool
    default: true
  lint_values:
    description:
      - Values files given to C(helm lint) (C(--values)), for charts that refuse to render
        without some values (for example a required secret name).
    type: list
    elements: path
    default: []
  force:
    description:
      - Overwrite a published version whose content differs from the chart. This moves a
        published version, and consumers that already pulled it keep the old content.
    type: bool
    default: false
  sign:
    description:
      - Sign the chart with C(helm package --sign) and push its provenance file (C(.prov)) with it.
      - Needs O(key) and O(keyring). See the description for what unchanged means when signing.
    type: bool
    default: false
    version_added: 1.1.0
  key:
    description:
      - The signing key, as (part of) its user ID, for example C(Chart Signer) or
        C(signer@example.com); helm picks the secret key of O(keyring) whose user ID contains it
        and refuses a value that matches several.
      - Not to be confused with O(key_file), the TLS client key.
    type: str
    version_added: 1.1.0
  keyring:
    description:
      - The secret keyring that holds O(key), in the legacy OpenPGP format helm reads, as
        C(gpg --export-secret-keys > secring.gpg) writes it.
      - Also used to check the provenance file of a version already published.
    type: path
    version_added: 1.1.0
  passphrase:
    description:
      - Passphrase of O(key), when it has one. It is given to helm on standard input only
        (C(--passphrase-file -)), never in the command line or a file, and never shown in
        the module's output. It must be one line, as helm reads the first line only.
    type: str
    version_added: 1.1.0
notes:
  - Supports check mode. When the registry can be read, it checks whether the version is already
    published with the same content, as a real run does; when it would push, it also packages, lints
    (and signs) the chart in its private directory. It reports the reference and whether it would
    push (RV(ignore:changed)), and pushes nothing and logs in nowhere. When the registry cannot be read in check mode
    (unreachable, TLS, credentials), the module warns with the cause, reports that it would push,
    and sets RV(registry_checked=false).
  - The registry password and the signing passphrase are never part of a command line. Use
    C(no_log) on tasks that template them from variables anyway, as for any secret.
seealso:
  - module: kubernetes.core.helm_registry_auth
  - module: kubernetes.core.helm_pull
  - name: Helm OCI registries
    description: How Helm stores charts in OCI registries.
    link: https://helm.sh/docs/topics/registries/
  - name: Helm provenance and integrity
    description: How helm signs charts and verifies them.
    link: https://helm.sh/docs/topics/provenance/
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: none
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
"""

EXAMPLES = r"""
- name: Publish the chart at the release version to GitHub Container Registry
  fclairamb.dbbat.helm_chart_publish:
    chart_path: charts/dbbat
    registry: oci://ghcr.io/fclairamb/charts
    version: "1.4.0"
    app_version: "1.4.0"
    username: "{{ github_actor }}"
    password: "{{ lookup('ansible.builtin.env', 'GITHUB_TOKEN') }}"
  register: published

- name: Show what was published
  ansible.builtin.debug:
    msg: "{{ published.ref }}@{{ published.digest }} (pushed: {{ published.pushed }})"

- name: Publish to a private registry whose certificate is signed by an internal CA
  fclairamb.dbbat.helm_chart_publish:
    chart_path: charts/dbbat
    registry: oci://registry.example.internal/platform/charts
    username: ci-publisher
    password: "{{ vault_registry_password }}"
    ca_file: /etc/pki/internal-ca.pem
    dependency_update: true

- name: Publish to a local test registry over plain HTTP, with the existing helm login (none here)
  fclairamb.dbbat.helm_chart_publish:
    chart_path: charts/dbbat
    registry: oci://127.0.0.1:5000/charts
    version: 0.0.0-dev.1
    plain_http: true

- name: Publish a signed chart; consumers check it with helm pull --verify --keyring pubring.gpg
  fclairamb.dbbat.helm_chart_publish:
    chart_path: charts/dbbat
    registry: oci://ghcr.io/fclairamb/charts
    version: "1.4.0"
    username: "{{ github_actor }}"
    password: "{{ lookup('ansible.builtin.env', 'GITHUB_TOKEN') }}"
    sign: true
    key: charts@example.com
    keyring: /run/secrets/secring.gpg
    passphrase: "{{ vault_chart_signing_passphrase }}"
  no_log: true

- name: Would this version be published? (nothing is pushed in check mode)
  fclairamb.dbbat.helm_chart_publish:
    chart_path: charts/dbbat
    registry: oci://ghcr.io/fclairamb/charts
  check_mode: true
  register: plan
"""

RETURN = r"""
ref:
  description: Reference of the chart version in the registry (the OCI tag, with C(+) written C(_)).
  returned: always
  type: str
  sample: oci://ghcr.io/fclairamb/charts/dbbat:1.4.0
digest:
  description:
    - Manifest digest of the published chart version, as printed by helm.
    - The digest already in the registry when nothing was pushed; null in check mode when the
      version would be pushed.
  returned: always
  type: str
  sample: sha256:f84eb55224f2a3b5cabddd83f762981706605f8ef116a581c7fb2dc247b75904
chart_digest:
  description:
    - Digest of the chart archive, the OCI layer that holds the chart. Of the version in the registry
      when nothing was pushed, of the archive pushed (or that would be, in check mode) otherwise.
    - Without signing, the same chart files always give the same digest.
  returned: always
  type: str
  sample: sha256:7979fac35115dccbd1561a48ce529ba0fabe1213a19d76848f80d5d3fb2de87a
  version_added: 1.1.0
version:
  description: Chart version published (or that would be).
  returned: always
  type: str
  sample: 1.4.0
app_version:
  description: C(appVersion) of the published chart; null if the chart has none.
  returned: always
  type: str
  sample: 1.4.0
chart_name:
  description: Name of the chart (from its C(Chart.yaml)).
  returned: always
  type: str
  sample: dbbat
pushed:
  description: Whether the chart was pushed by this run. Always false in check mode.
  returned: always
  type: bool
  sample: true
differences:
  description:
    - Files that differ between the published version and the chart (C(added), C(removed),
      C(changed)); empty when the version was not published yet or is identical.
    - With O(sign=true), a C(provenance) entry when the published version has the same files but no
      provenance file made by O(key) that verifies with O(keyring).
  returned: always
  type: list
  elements: str
  sample: ["changed: templates/deployment.yaml"]
registry_checked:
  description:
    - Whether the registry was read to tell if the version is already published. Only false in
      check mode when the registry could not be reached or read (a warning says why).
  returned: always
  type: bool
  sample: true
helm_version:
  description:
    - Version of the helm binary used.
    - Null when no helm command was needed (a version already published from the same source).
  returned: always
  type: str
  sample: 4.3.1
commands:
  description:
    - The helm commands run, in order. They never contain the password or the passphrase.
    - Empty when the version is already published from the same source.
    - The module's own reads of the registry API are not commands and are not listed.
  returned: always
  type: list
  elements: str
  sample: ["/usr/local/bin/helm version --template {{.Version}}"]
msg:
  description: What happened, in one sentence.
  returned: always
  type: str
  sample: pushed oci://ghcr.io/fclairamb/charts/dbbat:1.4.0
"""

import glob
import os
import shutil
import tarfile
import tempfile
import zlib

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.fclairamb.dbbat.plugins.module_utils.chart_archive import (
    annotations_fingerprint,
    archive_fingerprint,
    archive_name,
    canonical_archive,
    chart_differences,
    chart_files,
    sha256_digest,
    source_file_digests,
    source_fingerprint,
)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.helm_cli import (
    HelmCli,
    HelmError,
    chart_ref,
    classify_registry_error,
    classify_signing_error,
    dependency_update_argv,
    format_version,
    last_error_line,
    lint_argv,
    lint_problems,
    login_argv,
    oci_tag,
    package_argv,
    parse_digest,
    parse_registry,
    parse_signers,
    private_registry_config,
    pull_argv,
    push_argv,
    registry_connection_spec,
    registry_flags,
    remote_url,
    signing_error_message,
    verify_argv,
)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import SEMVER_HINT, is_semver

# PyYAML and the registry client (http.client, ssl, urllib) are imported where they are first used,
# once helm version is running: importing them takes about as long as helm takes to start.

TLS_ONLY_OPTIONS = ("ca_file", "cert_file", "key_file", "insecure_skip_tls_verify")
SIGNING_OPTIONS = ("key", "keyring", "passphrase")
# What reading a chart archive can raise when the bytes are not one.
ARCHIVE_ERRORS = (tarfile.TarError, EOFError, OSError, ValueError, zlib.error)


def registry_error_message(kind, host, detail, username=None):
    """A message that names the cause and the option that fixes it."""
    if kind == "unauthorized":
        if username:
            return ("registry %s refused the credentials of user '%s' (401 unauthorized): check username "
                    "and password (%s)" % (host, username, detail))
        return ("registry %s requires authentication (401 unauthorized): set username and password, "
                "or log in with 'helm registry login' first (%s)" % (host, detail))
    if kind == "denied":
        return ("registry %s denied access (403): the credentials lack permission on this repository, "
                "or it does not exist (%s)" % (host, detail))
    if kind == "client_certificate":
        return ("registry %s refused the TLS client certificate (%s): set cert_file and key_file to a "
                "client certificate it trusts" % (host, detail))
    if kind == "tls":
        return ("TLS verification of registry %s failed (%s): set ca_file to the CA that signed its "
                "certificate, or plain_http if it serves plain HTTP" % (host, detail))
    if kind == "unreachable":
        return "registry %s is unreachable (%s): check the registry host and port and that it is up" % (host, detail)
    if kind == "plain_http_mismatch":
        return "registry %s serves plain HTTP, not HTTPS: set plain_http: true (%s)" % (host, detail)
    if kind == "https_mismatch":
        return "registry %s serves HTTPS, not plain HTTP: set plain_http: false (%s)" % (host, detail)
    return "registry %s: %s" % (host, detail)


class RegistryUnreadable(Exception):
    """The registry could not be read; ``message`` says why and what to set."""

    def __init__(self, message):
        super(RegistryUnreadable, self).__init__(message)
        self.message = message


class Candidate(object):
    """The chart as this run would publish it: the reproducible archive, its digest and its files."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self.digest = sha256_digest(data)
        self._files = None

    @property
    def files(self):
        """Only needed when the published archive is not the same bytes."""
        if self._files is None:
            self._files = chart_files(self.data)
        return self._files


class Published(object):
    """A chart version found in the registry: manifest digest, chart layer digest, a loader of the
    chart archive and of the provenance file (None when the version has none), and the source
    fingerprint it carries (None when it was not published by this module: the chart is then
    packaged and compared)."""

    def __init__(self, digest, chart_digest, load_archive, load_provenance=None, fingerprint=None):
        self.digest = digest
        self.chart_digest = chart_digest
        self._load_archive = load_archive
        self.load_provenance = load_provenance
        self.fingerprint = fingerprint
        self._archive = None

    def archive(self):
        if self._archive is None:
            self._archive = self._load_archive()
        return self._archive


class ChartPublisher(object):
    """One publish: validate, package, compare with the registry, lint, sign, push."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.result = {"changed": False, "pushed": False, "digest": None, "chart_digest": None, "differences": [],
                       "commands": [], "registry_checked": False, "helm_version": None}
        self.helm = None

    # -- helpers -----------------------------------------------------------------
    def fail(self, msg, **extra):
        if self.helm is not None:
            self.result["commands"] = self.helm.commands
        self.result.update(extra, msg=msg)  # replaces the msg of a step that had already succeeded
        self.module.fail_json(**self.result)

    def tls_options(self, registry_config=None):
        options = dict((name, self.params[name]) for name in ("plain_http",) + TLS_ONLY_OPTIONS)
        options["registry_config"] = registry_config
        return options

    def registry_failure(self, error):
        return registry_error_message(error.kind, self.host, error.message, self.params["username"])

    def single_archive(self, directory, what):
        found = glob.glob(os.path.join(directory, "*.tgz"))
        if len(found) != 1:
            self.fail("%s did not produce one chart archive in %s (found %d)" % (what, directory, len(found)))
        return found[0]

    # -- inputs ------------------------------------------------------------------
    def check_options(self):
        """Everything that can be checked without PyYAML or helm, so that bad input fails first."""
        path = self.params["chart_path"]
        if not os.path.isdir(path):
            self.fail("chart_path %s is not a directory" % path)
        if not os.path.isfile(os.path.join(path, "Chart.yaml")):
            self.fail("chart_path %s is not a chart: it has no Chart.yaml" % path)
        if self.params["version"] is not None and not is_semver(self.params["version"]):
            self.fail("version '%s' is not a Semantic Versioning 2 version (%s)" % (self.params["version"], SEMVER_HINT))
        if self.params["app_version"] is not None and not self.params["app_version"].strip():
            self.fail("app_version must not be empty")
        try:
            self.host, self.path = parse_registry(self.params["registry"])
        except ValueError as exc:
            self.fail(str(exc))
        self.remote = remote_url(self.host, self.path)
        if self.params["plain_http"]:
            tls_only = [name for name in TLS_ONLY_OPTIONS if self.params[name]]
            if tls_only:
                self.fail("plain_http: true talks to the registry without TLS, so %s cannot apply: "
                          "remove %s or set plain_http: false" % (", ".join(tls_only), " and ".join(tls_only)))
        for option in ("ca_file", "cert_file", "key_file"):
            value = self.params[option]
            if value and not os.path.isfile(value):
                self.fail("%s %s does not exist or is not a file" % (option, value))
        for value in self.params["lint_values"]:
            if not os.path.isfile(value):
                self.fail("lint_values: %s does not exist or is not a file" % value)
        self.resolve_signing()

    def read_chart(self):
        """Name, version and appVersion from Chart.yaml, where the options do not set them."""
        path = self.params["chart_path"]
        try:
            import yaml
        except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
            self.module.fail_json(msg=missing_required_lib("PyYAML"))
        try:
            with open(os.path.join(path, "Chart.yaml"), "rb") as handle:
                meta = yaml.safe_load(handle)
        except (OSError, IOError, yaml.YAMLError) as exc:
            self.fail("chart_path %s: Chart.yaml cannot be read: %s" % (path, exc))
        if not isinstance(meta, dict) or not meta.get("name") or not meta.get("version"):
            self.fail("chart_path %s: Chart.yaml must be a mapping with at least name and version" % path)
        self.name = str(meta["name"])
        self.version = self.params["version"]
        if self.version is None:
            self.version = str(meta["version"])
            if not is_semver(self.version):
                self.fail("the version of %s/Chart.yaml '%s' is not a Semantic Versioning 2 version (%s)"
                          % (path, self.version, SEMVER_HINT))
        self.app_version = self.params["app_version"]
        if self.app_version is None and meta.get("appVersion") is not None:
            self.app_version = str(meta["appVersion"])
        self.repository = "%s/%s" % (self.path, self.name) if self.path else self.name
        self.ref = chart_ref(self.host, self.path, self.name, self.version)
        self.result.update(ref=self.ref, version=self.version, app_version=self.app_version, chart_name=self.name)

    def resolve_signing(self):
        if not self.params["sign"]:
            given = [name for name in SIGNING_OPTIONS if self.params[name] is not None]
            if given:
                self.fail("%s only apply when signing: set sign: true, or remove %s"
                          % (", ".join(given), " and ".join(given)))
            return
        if not self.params["key"].strip():
            self.fail("key must not be empty: set it to (part of) the user ID of the signing key")
        keyring = self.params["keyring"]
        if not os.path.isfile(keyring):
            self.fail("keyring %s does not exist or is not a file: export the secret keys with "
                      "`gpg --export-secret-keys > secring.gpg`" % keyring)
        passphrase = self.params["passphrase"]
        if passphrase is not None and ("\n" in passphrase or "\r" in passphrase):
            self.fail("passphrase must be one line: helm reads the first line only")

    def find_helm(self):
        """Find helm (a binary_path that is not an executable file fails here). Nothing runs it yet: a
        version already published from the same source needs no helm command at all."""
        try:
            self.helm = HelmCli(self.module, self.params["binary_path"])
        except HelmError as exc:
            self.fail(exc.message)

    def check_helm(self):
        """Wait for the helm version; a helm too old for an option fails here, before anything is read
        from the registry with it or pushed, naming the option."""
        try:
            self.result["helm_version"] = format_version(self.helm.version)
            for command in ("login", "push", "pull"):
                registry_flags(command, self.helm.version, **self.tls_options())
        except HelmError as exc:
            self.fail(exc.message)

    # -- the chart ---------------------------------------------------------------
    def build(self, workdir, fingerprint=None):
        """Package the chart and make the archive reproducible; returns the Candidate."""
        self.helm.start_version()  # first of the helm commands, if not started yet
        chart_dir = self.params["chart_path"]
        if self.params["dependency_update"]:
            copy = os.path.join(workdir, "src", os.path.basename(os.path.abspath(chart_dir)))
            shutil.copytree(chart_dir, copy, symlinks=False)
            chart_dir = copy
            try:
                self.helm.check(dependency_update_argv(self.helm.binary, chart_dir), "helm dependency update")
            except HelmError as exc:
                self.check_helm()
                self.fail("dependency_update: %s" % exc.message)
        self.chart_dir = chart_dir
        package_dir = os.path.join(workdir, "package")
        os.mkdir(package_dir)
        try:
            self.helm.check(package_argv(self.helm.binary, chart_dir, package_dir, self.version,
                                         self.params["app_version"]), "helm package")
        except HelmError as exc:
            self.check_helm()  # a helm too old is the better message
            self.fail("chart_path %s cannot be packaged: %s" % (self.params["chart_path"], exc.message))
        packaged = self.single_archive(package_dir, "helm package")
        try:
            data = canonical_archive(packaged, fingerprint)
        except ARCHIVE_ERRORS as exc:
            self.fail("helm package wrote %s, which cannot be read back as a chart archive: %s" % (packaged, exc))
        reproducible_dir = os.path.join(workdir, "reproducible")
        os.mkdir(reproducible_dir)
        path = os.path.join(reproducible_dir, os.path.basename(packaged))
        with open(path, "wb") as handle:
            handle.write(data)
        return Candidate(path, data)

    def lint(self, archive):
        if not self.params["lint"]:
            return
        rc, out, err = self.helm.run(lint_argv(self.helm.binary, archive, strict=True, values=self.params["lint_values"]))
        if rc != 0:
            problems = lint_problems(out) or [last_error_line(err) or "see helm output"]
            self.fail("helm lint --strict failed for %s %s, nothing was pushed: %s"
                      % (self.name, self.version, "; ".join(problems)), lint_output=out)

    def sign(self, workdir):
        """Package the chart again, signed; returns the archive (its .prov is next to it)."""
        destination = os.path.join(workdir, "signed")
        os.mkdir(destination)
        key, keyring, passphrase = self.params["key"], self.params["keyring"], self.params["passphrase"]
        argv = package_argv(self.helm.binary, self.chart_dir, destination, self.version, self.params["app_version"],
                            sign=True, key=key, keyring=keyring, passphrase_on_stdin=passphrase is not None)
        rc, out, err = self.helm.run(argv, data=passphrase)
        if rc != 0:
            detail = last_error_line(err) or last_error_line(out)
            self.fail("sign: " + signing_error_message(classify_signing_error(err + "\n" + out), key, keyring, detail))
        archive = self.single_archive(destination, "helm package --sign")
        if not os.path.isfile(archive + ".prov"):
            self.fail("sign: helm package --sign wrote no provenance file next to %s" % archive)
        return archive

    # -- the registry ------------------------------------------------------------
    def unreadable(self, error):
        return RegistryUnreadable(registry_error_message(error.kind, self.host, "checking %s: %s" % (self.ref, error.detail),
                                                         self.params["username"]))

    def published(self, workdir):
        """The version in the registry (Published), or None if it is not there."""
        from ansible_collections.fclairamb.dbbat.plugins.module_utils.oci_registry import (
            RegistryClient,
            RegistryError,
            chart_layers,
        )

        client = RegistryClient(self.host, plain_http=bool(self.params["plain_http"]), ca_file=self.params["ca_file"],
                                cert_file=self.params["cert_file"], key_file=self.params["key_file"],
                                insecure_skip_tls_verify=self.params["insecure_skip_tls_verify"],
                                username=self.params["username"], password=self.params["password"])
        try:
            digest, manifest = client.manifest(self.repository, oci_tag(self.version))
        except RegistryError as exc:
            if exc.kind == "options":
                self.fail(exc.detail)
            if exc.kind == "not_found":
                self.result["registry_checked"] = True
                return None
            if exc.kind == "unauthorized" and not self.params["username"]:
                # Only helm knows the user's own login (helm registry login, a credential helper).
                return self.published_with_helm(workdir)
            if exc.kind == "denied" and self.params["username"]:
                # Some registries (ghcr.io) answer 403 rather than 404 for a repository that does not exist
                # yet. The push needs write access, which includes read, so it succeeds only if the version
                # cannot be there.
                self.module.warn("%s could not be read (%s); treating it as not published yet" % (self.ref, exc.detail))
                return None
            raise self.unreadable(exc)
        try:
            layers = chart_layers(manifest)
        except ValueError as exc:
            self.fail("%s exists in the registry but %s" % (self.ref, exc))
        self.result["registry_checked"] = True
        chart, provenance = layers["chart"], layers["provenance"]

        def loader(read, digest):
            def load():
                try:
                    return read(self.repository, digest)
                except RegistryError as exc:
                    raise self.unreadable(exc)
            return load

        load_provenance = loader(client.blob, provenance["digest"]) if provenance else None
        # helm push copies Chart.yaml's annotations, the source fingerprint among them, into the manifest.
        return Published(digest, chart["digest"], loader(client.blob, chart["digest"]), load_provenance,
                         annotations_fingerprint(layers["annotations"]))

    def published_with_helm(self, workdir):
        """The version in the registry read by ``helm pull`` with the user's own login, or None."""
        self.check_helm()
        destination = os.path.join(workdir, "published")
        os.mkdir(destination)
        argv = pull_argv(self.helm.binary, self.helm.version, "%s/%s" % (self.remote, self.name), self.version,
                         destination, **self.tls_options())
        if self.params["sign"]:
            argv.append("--prov")
        rc, out, err = self.helm.run(argv)
        if rc != 0:
            kind = classify_registry_error(err or out)
            if kind == "not_found":
                self.result["registry_checked"] = True
                return None
            detail = last_error_line(err) or last_error_line(out)
            raise RegistryUnreadable(registry_error_message(kind, self.host, "checking %s: %s" % (self.ref, detail)))
        archive = self.single_archive(destination, "helm pull %s" % self.ref)
        with open(archive, "rb") as handle:
            data = handle.read()
        provenance = None
        if os.path.isfile(archive + ".prov"):
            with open(archive + ".prov", "rb") as handle:
                provenance = handle.read()
        self.result["registry_checked"] = True
        return Published(parse_digest(out + "\n" + err), sha256_digest(data), lambda: data,
                         load_provenance=(lambda: provenance) if provenance is not None else None,
                         fingerprint=archive_fingerprint(data))

    def differences(self, published, candidate, workdir):
        """What differs between the published version and the candidate (empty: the same chart). No
        candidate: the published archive was made from the same source (its fingerprint matched)."""
        if candidate is None or published.chart_digest == candidate.digest:
            differences = []
        else:
            try:
                files = chart_files(published.archive())
            except ARCHIVE_ERRORS as exc:
                self.fail("%s exists in the registry but is not a readable chart archive: %s" % (self.ref, exc),
                          digest=published.digest)
            differences = chart_differences(files, candidate.files)
        if self.params["sign"] and not differences:
            differences = self.provenance_differences(published, workdir)
        return differences

    def provenance_differences(self, published, workdir):
        """``[]`` when the published version has a provenance file made by ``key`` that verifies with
        ``keyring``; otherwise one ``provenance: ...`` entry saying what is wrong."""
        if published.load_provenance is None:
            return ["provenance: missing"]
        directory = os.path.join(workdir, "verify")
        os.mkdir(directory)
        # helm verify finds the archive's digest in the provenance file under the archive's file name
        archive = os.path.join(directory, archive_name(self.name, self.version))
        with open(archive, "wb") as handle:
            handle.write(published.archive())
        with open(archive + ".prov", "wb") as handle:
            handle.write(published.load_provenance())
        self.check_helm()
        keyring, key = self.params["keyring"], self.params["key"]
        rc, out, err = self.helm.run(verify_argv(self.helm.binary, archive, keyring))
        if rc != 0:
            return ["provenance: does not verify with keyring %s (%s)"
                    % (keyring, last_error_line(err) or last_error_line(out))]
        signers = parse_signers(out + "\n" + err)
        if not any(key in signer for signer in signers):
            return ["provenance: signed by %s, not by key '%s'" % (", ".join(signers) or "an unnamed key", key)]
        return []

    # -- pushing -----------------------------------------------------------------
    def login(self, workdir):
        """Log in into a private registry config; returns its path (None without credentials)."""
        if not self.params["username"]:
            return None
        config = os.path.join(workdir, "registry-config.json")
        handle = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w") as seed:
            seed.write(private_registry_config(self.host))
        argv = login_argv(self.helm.binary, self.helm.version, self.host, self.params["username"],
                          **self.tls_options(config))
        try:
            self.helm.check(argv, "helm registry login", data=self.params["password"])
        except HelmError as exc:
            self.fail(self.registry_failure(exc))
        return config

    def push(self, archive, registry_config):
        argv = push_argv(self.helm.binary, self.helm.version, archive, self.remote, **self.tls_options(registry_config))
        try:
            out, err = self.helm.check(argv, "helm push %s" % self.ref)
        except HelmError as exc:
            self.fail(self.registry_failure(exc))
        return parse_digest(out + "\n" + err)

    # -- the run -----------------------------------------------------------------
    def run(self):
        self.check_options()
        self.find_helm()
        self.read_chart()
        fingerprint = self.source_fingerprint()
        if fingerprint is None or self.params["sign"]:
            # helm is needed whatever the registry holds (to package, or to verify a signature): its
            # version runs while the registry is read. Otherwise helm starts only once the registry
            # says something must be packaged or pushed, so that a version already published from the
            # same source costs the manifest alone, and no helm process.
            self.helm.start_version()
        with tempfile.TemporaryDirectory(prefix="helm-chart-publish-", dir=self.module.tmpdir) as workdir:
            self.publish(workdir, fingerprint)
        if self.helm.started:
            self.check_helm()
        self.result["commands"] = self.helm.commands
        return self.result

    def source_fingerprint(self):
        """The fingerprint of what helm would package, or None when it cannot be told from the files
        (dependencies fetched by dependency_update, a very large or unreadable directory)."""
        if self.params["dependency_update"]:
            return None
        try:
            digests = source_file_digests(self.params["chart_path"])
        except (OSError, ValueError):
            return None
        return source_fingerprint(digests, self.version, self.params["app_version"])

    def read_published(self, workdir):
        """The version in the registry, or None when it is not there or, in check mode only, when the
        registry cannot be read (with a warning)."""
        try:
            return self.published(workdir)
        except RegistryUnreadable as exc:
            self.unreadable_registry(exc.message)
        return None

    def unreadable_registry(self, message):
        if not self.module.check_mode:
            self.fail(message)
        # A plan without registry access (e.g. no credentials here) still says what it would push.
        self.result["registry_checked"] = False
        self.module.warn("check mode: cannot tell whether %s is already published: %s" % (self.ref, message))

    def publish(self, workdir, fingerprint):
        published = self.read_published(workdir)
        candidate = None
        if published is not None:
            try:
                if fingerprint is None or published.fingerprint != fingerprint:
                    candidate = self.build(workdir, fingerprint)
                differences = self.differences(published, candidate, workdir)
            except RegistryUnreadable as exc:
                self.unreadable_registry(exc.message)
                published = None
        if published is not None:
            self.result["differences"] = differences
            if not differences:
                self.result.update(digest=published.digest, chart_digest=published.chart_digest,
                                   msg="%s is already published with the same content" % self.ref)
                return
            if not self.params["force"]:
                if all(entry.startswith("provenance:") for entry in differences):
                    what = "with the same files but not signed as asked"
                else:
                    what = "with different content"
                self.fail("%s is already published %s (%s): published versions are immutable; publish a new "
                          "version, or set force: true to overwrite it" % (self.ref, what, ", ".join(differences)),
                          digest=published.digest, chart_digest=published.chart_digest)
        self.result["changed"] = True
        if candidate is None:
            candidate = self.build(workdir, fingerprint)
        self.check_helm()
        self.lint(candidate.path)
        archive = self.sign(workdir) if self.params["sign"] else candidate.path
        with open(archive, "rb") as handle:
            self.result["chart_digest"] = sha256_digest(handle.read())
        if self.module.check_mode:
            self.result["msg"] = "would push %s (check mode)" % self.ref
            return
        registry_config = self.login(workdir)
        self.result.update(digest=self.push(archive, registry_config), pushed=True, msg="pushed %s" % self.ref)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            chart_path=dict(type="path", required=True),
            registry=dict(type="str", required=True),
            version=dict(type="str"),
            app_version=dict(type="str"),
            dependency_update=dict(type="bool", default=False),
            lint=dict(type="bool", default=True),
            lint_values=dict(type="list", elements="path", default=[]),
            force=dict(type="bool", default=False),
            sign=dict(type="bool", default=False),
            key=dict(type="str", no_log=False),
            keyring=dict(type="path", no_log=False),
            passphrase=dict(type="str", no_log=True),
            username=dict(type="str", aliases=["registry_username"]),
            password=dict(type="str", no_log=True, aliases=["registry_password"]),
            cert_file=dict(type="path"),
            key_file=dict(type="path"),
            insecure_skip_tls_verify=dict(type="bool", default=False),
            binary_path=dict(type="path"),
            **registry_connection_spec()
        ),
        required_together=[("username", "password"), ("cert_file", "key_file")],
        required_if=[("sign", True, ("key", "keyring"))],
        supports_check_mode=True,
    )
    module.exit_json(**ChartPublisher(module).run())


if __name__ == "__main__":
    main()
