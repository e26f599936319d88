"""Render the chart with a real helm binary and look at the result as Kubernetes objects."""
import base64
import functools
import json
import os
import subprocess
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "charts" / "dbbat"
CI_VALUES = ROOT / "tests" / "chart" / "values"
BAD_VALUES = ROOT / "tests" / "chart" / "bad-values"
CI_SETS = ("minimal", "production", "full", "integrations")
RELEASE = "dbbat"
NAMESPACE = "dbbat"


class RenderError(Exception):
    """helm refused the values; str() is helm's stderr."""


def _helm(helm, args, values=None, chart=CHART_DIR):
    with tempfile.TemporaryDirectory(prefix="dbbat-chart-") as tmp:
        cmd = [helm, *args, str(chart)]
        if values is not None:
            path = Path(tmp) / "values.yaml"
            path.write_text(yaml.safe_dump(values))
            cmd += ["-f", str(path)]
        env = dict(os.environ, HELM_CACHE_HOME=tmp, HELM_CONFIG_HOME=tmp, HELM_DATA_HOME=tmp)
        return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)


@functools.lru_cache(maxsize=256)
def _template(helm, files, values_json, kube_version, chart, api_versions=()):
    args = ["template", RELEASE, "--namespace", NAMESPACE]
    for f in files:
        args += ["-f", str(f)]
    if kube_version:
        args += ["--kube-version", kube_version]
    for api_version in api_versions:
        args += ["--api-versions", api_version]
    proc = _helm(helm, args, json.loads(values_json), Path(chart))
    if proc.returncode != 0:
        raise RenderError(proc.stderr)
    return proc.stdout


def ci_file(name):
    return CI_VALUES / f"{name}.yaml"


def template(helm, *files, values=None, kube_version=None, chart=CHART_DIR, api_versions=()):
    """`helm template` output as text; files are CI set names or paths; values a dict (last wins);
    api_versions: what the simulated cluster serves beyond the built-in kinds ("group/version/Kind")."""
    paths = tuple(str(ci_file(f)) if f in CI_SETS else str(f) for f in files)
    return _template(helm, paths, json.dumps(values), kube_version, str(chart), tuple(api_versions))


def render(helm, *files, values=None, kube_version=None, chart=CHART_DIR, api_versions=()):
    return Rendered(template(helm, *files, values=values, kube_version=kube_version, chart=chart,
                             api_versions=api_versions))


def render_error(helm, *files, values=None, chart=CHART_DIR, api_versions=()):
    """helm's error message for values it must refuse (fails the test if it renders)."""
    try:
        template(helm, *files, values=values, chart=chart, api_versions=api_versions)
    except RenderError as err:
        return str(err)
    raise AssertionError(f"helm rendered values it should refuse: files={files} values={values}")


def notes(helm, *files, values=None):
    """NOTES.txt as `helm install --dry-run=client` prints it (Helm 4 needs no cluster for that)."""
    args = ["install", RELEASE, "--namespace", NAMESPACE, "--dry-run=client"]
    for f in files:
        args += ["-f", str(ci_file(f)) if f in CI_SETS else str(f)]
    proc = _helm(helm, args, values)
    if proc.returncode != 0:
        raise RenderError(proc.stderr)
    return proc.stdout.split("NOTES:", 1)[1]


class Rendered:
    def __init__(self, text):
        self.text = text
        self.objects = [o for o in yaml.safe_load_all(text) if o]

    def all(self, kind):
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind, name=None):
        found = [o for o in self.all(kind) if name is None or o["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name or ''}, found {[o['metadata']['name'] for o in found]}"
        return found[0]

    def has(self, kind, name=None):
        return any(name is None or o["metadata"]["name"] == name for o in self.all(kind))

    @property
    def deployment(self):
        return self.get("Deployment")

    @property
    def pod(self):
        return self.deployment["spec"]["template"]

    @property
    def container(self):
        (container,) = self.pod["spec"]["containers"]
        return container

    def container_port(self, name):
        return {p["name"]: p["containerPort"] for p in self.container["ports"]}[name]

    def secret_data(self, name):
        """Decoded data of a Secret the chart renders, or None for a Secret it does not."""
        if not self.has("Secret", name):
            return None
        return {k: base64.b64decode(v).decode() for k, v in self.get("Secret", name).get("data", {}).items()}

    def env(self):
        """What each env var of the container resolves to, in the order Kubernetes applies them.

        name -> ("literal", value) | ("configmap", cm, key, value) | ("secret", secret, key, value)
        where value is the Secret's decoded value when the chart renders that Secret, else None.
        """
        resolved = {}
        for source in self.container.get("envFrom", []):
            if "configMapRef" in source:
                cm = source["configMapRef"]["name"]
                for key, value in self.get("ConfigMap", cm).get("data", {}).items():
                    resolved[key] = ("configmap", cm, key, value)
        for var in self.container.get("env", []):
            if "value" in var:
                resolved[var["name"]] = ("literal", var["value"])
            elif "secretKeyRef" in var.get("valueFrom", {}):
                ref = var["valueFrom"]["secretKeyRef"]
                data = self.secret_data(ref["name"])
                resolved[var["name"]] = ("secret", ref["name"], ref["key"], data and data.get(ref["key"]))
            else:
                resolved[var["name"]] = ("other", var.get("valueFrom"))
        return resolved

    def env_names(self):
        return [v["name"] for v in self.container.get("env", [])]
