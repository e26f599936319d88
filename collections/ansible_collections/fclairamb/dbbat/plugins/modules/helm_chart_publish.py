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
  - Published versions are immutable. If the version is already in the registry, the module pulls
    it and compares the chart's files (not the archive bytes, which carry timestamps; C(Chart.yaml)
    is compared as data). Same files give RV(ignore:changed=false) and nothing is uploaded;
    different files make the module fail, unless O(force=true).
  - The chart must pass C(helm lint --strict), run on the packaged archive, before anything is pushed.
  - The source chart directory is never modified. O(version) and O(app_version) are applied with
    C(helm package --version/--app-version); O(dependency_update) works on a private copy.
  - All temporary files (package, pulled chart, registry credentials) live in a private
    directory that is removed when the module ends, whatever the outcome.
  - An OCI push uploads the blobs first and moves the tag last, so a failed run never leaves a
    half-published version behind the tag.
extends_documentation_fragment:
  - fclairamb.dbbat.helm_registry
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
notes:
  - Supports check mode. It packages and lints the chart and, when the registry can be read,
    checks whether the version is already published with the same content, then reports
    the reference and whether it would push (RV(ignore:changed)). It pushes nothing.
    When the registry cannot be read in check mode (unreachable, TLS, credentials), the module
    warns with the cause, reports that it would push, and sets RV(registry_checked=false).
  - The password is never part of a command line. Use C(no_log) on tasks that template it from
    variables anyway, as for any secret.
seealso:
  - module: kubernetes.core.helm_registry_auth
  - module: kubernetes.core.helm_pull
  - name: Helm OCI registries
    description: How Helm stores charts in OCI registries.
    link: https://helm.sh/docs/topics/registries/
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
  description: Version of the helm binary used.
  returned: always
  type: str
  sample: 4.3.1
commands:
  description: The helm commands run, in order. They never contain the password.
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
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.fclairamb.dbbat.plugins.module_utils.helm_cli import (
    HAS_YAML,
    HelmCli,
    HelmError,
    chart_differences,
    chart_files,
    chart_ref,
    classify_registry_error,
    dependency_update_argv,
    format_version,
    last_error_line,
    lint_argv,
    lint_problems,
    login_argv,
    package_argv,
    parse_digest,
    parse_registry,
    private_registry_config,
    pull_argv,
    push_argv,
    registry_flags,
    remote_url,
)
from ansible_collections.fclairamb.dbbat.plugins.module_utils.rules import SEMVER_HINT, is_semver

if HAS_YAML:
    import yaml

TLS_ONLY_OPTIONS = ("ca_file", "cert_file", "key_file", "insecure_skip_tls_verify")


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
    """The registry could not be logged in to or read; ``message`` says why and what to set."""

    def __init__(self, message):
        super(RegistryUnreadable, self).__init__(message)
        self.message = message


class ChartPublisher(object):
    """One publish: validate, package, lint, compare with the registry, push."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.result = {"changed": False, "pushed": False, "digest": None, "differences": [], "commands": [],
                       "registry_checked": False}
        self.helm = None

    # -- helpers -----------------------------------------------------------------
    def fail(self, msg, **extra):
        if self.helm is not None:
            self.result["commands"] = self.helm.commands
        self.result.update(extra)
        self.module.fail_json(msg=msg, **self.result)

    def tls_options(self, registry_config=None):
        options = dict((name, self.params[name]) for name in ("plain_http",) + TLS_ONLY_OPTIONS)
        options["registry_config"] = registry_config
        return options

    def registry_failure(self, error):
        return registry_error_message(error.kind, self.host, error.message, self.params["username"])

    # -- steps -------------------------------------------------------------------
    def read_chart(self):
        path = self.params["chart_path"]
        chart_yaml = os.path.join(path, "Chart.yaml")
        if not os.path.isdir(path):
            self.fail("chart_path %s is not a directory" % path)
        if not os.path.isfile(chart_yaml):
            self.fail("chart_path %s is not a chart: it has no Chart.yaml" % path)
        try:
            with open(chart_yaml, "rb") as handle:
                meta = yaml.safe_load(handle)
        except (OSError, IOError, yaml.YAMLError) as exc:
            self.fail("chart_path %s: Chart.yaml cannot be read: %s" % (path, exc))
        if not isinstance(meta, dict) or not meta.get("name") or not meta.get("version"):
            self.fail("chart_path %s: Chart.yaml must be a mapping with at least name and version" % path)
        return meta

    def resolve_inputs(self):
        meta = self.read_chart()
        self.name = str(meta["name"])
        if self.params["version"] is not None:
            self.version = self.params["version"]
            source = "version"
        else:
            self.version = str(meta["version"])
            source = "the version of %s/Chart.yaml" % self.params["chart_path"]
        if not is_semver(self.version):
            self.fail("%s '%s' is not a Semantic Versioning 2 version (%s)" % (source, self.version, SEMVER_HINT))
        app_version = self.params["app_version"]
        if app_version is None and meta.get("appVersion") is not None:
            app_version = str(meta["appVersion"])
        if app_version is not None and not app_version.strip():
            self.fail("app_version must not be empty")
        self.app_version = app_version
        try:
            self.host, self.path = parse_registry(self.params["registry"])
        except ValueError as exc:
            self.fail(str(exc))
        self.remote = remote_url(self.host, self.path)
        self.ref = chart_ref(self.host, self.path, self.name, self.version)
        self.result.update(ref=self.ref, version=self.version, app_version=self.app_version, chart_name=self.name)
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

    def start_helm(self):
        try:
            self.helm = HelmCli(self.module, self.params["binary_path"])
            self.result["helm_version"] = format_version(self.helm.version)
            # A helm too old for an option fails here, before any work, naming the option.
            for command in ("login", "push", "pull"):
                registry_flags(command, self.helm.version, **self.tls_options())
        except HelmError as exc:
            self.fail(exc.message)

    def build(self, workdir):
        """Package (and lint) the chart; returns the archive path."""
        chart_dir = self.params["chart_path"]
        binary = self.helm.binary
        if self.params["dependency_update"]:
            copy = os.path.join(workdir, "src", os.path.basename(os.path.abspath(chart_dir)))
            shutil.copytree(chart_dir, copy, symlinks=False)
            chart_dir = copy
            try:
                self.helm.check(dependency_update_argv(binary, chart_dir), "helm dependency update")
            except HelmError as exc:
                self.fail("dependency_update: %s" % exc.message)
        package_dir = os.path.join(workdir, "package")
        os.mkdir(package_dir)
        try:
            self.helm.check(package_argv(binary, chart_dir, package_dir, self.version, self.params["app_version"]),
                            "helm package")
        except HelmError as exc:
            self.fail("chart_path %s cannot be packaged: %s" % (self.params["chart_path"], exc.message))
        archive = self.single_archive(package_dir, "helm package")
        if self.params["lint"]:
            rc, out, err = self.helm.run(lint_argv(binary, archive, strict=True, values=self.params["lint_values"]))
            if rc != 0:
                problems = lint_problems(out) or [last_error_line(err) or "see helm output"]
                self.fail("helm lint --strict failed for %s %s, nothing was pushed: %s"
                          % (self.name, self.version, "; ".join(problems)), lint_output=out)
        return archive

    def single_archive(self, directory, what):
        found = glob.glob(os.path.join(directory, "*.tgz"))
        if len(found) != 1:
            self.fail("%s did not produce one chart archive in %s (found %d)" % (what, directory, len(found)))
        return found[0]

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
            raise RegistryUnreadable(self.registry_failure(exc))
        return config

    def published(self, workdir, registry_config):
        """``(files, digest)`` of the version in the registry, or ``(None, None)`` if it is not there."""
        destination = os.path.join(workdir, "published")
        os.mkdir(destination)
        argv = pull_argv(self.helm.binary, self.helm.version, "%s/%s" % (self.remote, self.name), self.version,
                         destination, **self.tls_options(registry_config))
        rc, out, err = self.helm.run(argv)
        if rc != 0:
            kind = classify_registry_error(err or out)
            if kind == "not_found":
                self.result["registry_checked"] = True
                return None, None
            detail = last_error_line(err) or last_error_line(out)
            if kind == "denied" and registry_config:
                # Logged in, yet refused: some registries (ghcr.io) answer 403 rather than 404 for a
                # repository that does not exist yet. The push needs write access, which includes read,
                # so it succeeds only if the version cannot be there.
                self.module.warn("%s could not be read (%s); treating it as not published yet" % (self.ref, detail))
                return None, None
            raise RegistryUnreadable(registry_error_message(kind, self.host, "checking %s: %s" % (self.ref, detail),
                                                            self.params["username"]))
        archive = self.single_archive(destination, "helm pull %s" % self.ref)
        try:
            files = chart_files(archive)
        except Exception as exc:  # a corrupt or foreign artifact under that tag
            self.fail("%s exists in the registry but is not a readable chart archive: %s" % (self.ref, exc))
        self.result["registry_checked"] = True
        return files, parse_digest(out + "\n" + err)

    def push(self, archive, registry_config):
        argv = push_argv(self.helm.binary, self.helm.version, archive, self.remote, **self.tls_options(registry_config))
        try:
            out, err = self.helm.check(argv, "helm push %s" % self.ref)
        except HelmError as exc:
            self.fail(self.registry_failure(exc))
        return parse_digest(out + "\n" + err)

    def run(self):
        self.resolve_inputs()
        self.start_helm()
        with tempfile.TemporaryDirectory(prefix="helm-chart-publish-", dir=self.module.tmpdir) as workdir:
            self.publish(workdir)
        self.result["commands"] = self.helm.commands
        return self.result

    def publish(self, workdir):
        archive = self.build(workdir)
        registry_config, published_files, published_digest = None, None, None
        try:
            registry_config = self.login(workdir)
            published_files, published_digest = self.published(workdir, registry_config)
        except RegistryUnreadable as exc:
            if not self.module.check_mode:
                self.fail(exc.message)
            # A plan without registry access (e.g. no credentials here) still says what it would push.
            self.module.warn("check mode: cannot tell whether %s is already published: %s" % (self.ref, exc.message))
        if published_files is not None:
            differences = chart_differences(published_files, chart_files(archive))
            self.result["differences"] = differences
            if not differences:
                self.result.update(digest=published_digest,
                                   msg="%s is already published with the same content" % self.ref)
                return
            if not self.params["force"]:
                self.fail("%s is already published with different content (%s): published versions are "
                          "immutable; publish a new version, or set force: true to overwrite it"
                          % (self.ref, ", ".join(differences)), digest=published_digest)
        self.result["changed"] = True
        if self.module.check_mode:
            self.result["msg"] = "would push %s (check mode)" % self.ref
            return
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
            username=dict(type="str", aliases=["registry_username"]),
            password=dict(type="str", no_log=True, aliases=["registry_password"]),
            ca_file=dict(type="path"),
            cert_file=dict(type="path"),
            key_file=dict(type="path"),
            insecure_skip_tls_verify=dict(type="bool", default=False),
            plain_http=dict(type="bool", default=False),
            binary_path=dict(type="path"),
        ),
        required_together=[("username", "password"), ("cert_file", "key_file")],
        supports_check_mode=True,
    )
    if not HAS_YAML:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    module.exit_json(**ChartPublisher(module).run())


if __name__ == "__main__":
    main()
