"""The collection's action groups (meta/runtime.yml): module_defaults sets the connection once.

`group/fclairamb.dbbat.cluster` holds every module with kubernetes.core's connection options and
`group/fclairamb.dbbat.helm` every module that runs helm (binary_path); the role sets both once
per entry point. No cluster is needed: the options given by the group show in where the module
tried to go.
"""
import ast
from pathlib import Path

import yaml

from testkit.env import isolated_env
from testkit.paths import COLLECTION_DIR, VENV_BIN
from testkit.proc import run

RUNTIME = yaml.safe_load((COLLECTION_DIR / "meta" / "runtime.yml").read_text())


def _documented_fragments():
    """{module: its extends_documentation_fragment}, read from each module's DOCUMENTATION."""
    fragments = {}
    for path in sorted((COLLECTION_DIR / "plugins" / "modules").glob("*.py")):
        tree = ast.parse(path.read_text())
        doc = next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                   and getattr(node.targets[0], "id", None) == "DOCUMENTATION")
        fragments[path.stem] = yaml.safe_load(doc).get("extends_documentation_fragment", [])
    return fragments


def test_each_group_holds_exactly_the_modules_that_take_its_options():
    fragments = _documented_fragments()
    groups = RUNTIME["action_groups"]
    assert sorted(groups["cluster"]) == sorted(m for m, f in fragments.items() if "kubernetes.core.k8s_auth_options" in f)
    assert sorted(groups["helm"]) == sorted(m for m, f in fragments.items() if "fclairamb.dbbat.helm_binary" in f)


def test_module_defaults_of_the_groups_reach_the_modules(tmp_path):
    # Two contexts on closed loopback ports: the error says which address the module tried.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "default",
        "clusters": [{"name": n, "cluster": {"server": f"https://{ip}:9"}}
                     for n, ip in (("default", "127.0.0.1"), ("grouped", "127.0.0.3"))],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in ("default", "grouped")]}))
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(yaml.safe_dump([{
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/fclairamb.dbbat.cluster": {"kubeconfig": str(kubeconfig), "context": "grouped"},
                            "group/fclairamb.dbbat.helm": {"binary_path": str(tmp_path / "no-such-helm")}},
        "tasks": [
            {"name": "drift (cluster group)", "fclairamb.dbbat.release_drift": {"release_name": "r", "release_namespace": "n"},
             "ignore_errors": True},
            {"name": "test (helm group)", "fclairamb.dbbat.release_test": {"release_name": "r", "release_namespace": "n"},
             "ignore_errors": True},
        ]}]))
    result = run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)],
                 env=isolated_env(tmp_path))
    drift, test = result.out.split("TASK [test (helm group)]")
    assert "127.0.0.3" in drift and "127.0.0.1" not in drift, drift
    assert str(tmp_path / "no-such-helm") in test, test
