"""The artifact installed offline into an empty collections path, used from there and not
from the checkout: ansible-doc renders the module and the role, and the role deploys DBBat to
the local cluster."""
import base64
import re
import sys
from pathlib import Path

import yaml

from testkit.paths import CHART_DIR, ROOT
from testkit.proc import run

from .conftest import VENV_BIN, site_packages_collection

HERE = Path(__file__).resolve().parent
KEY = base64.b64encode(b"packaging-test-key-0123456789abc").decode()


def test_install_is_offline_and_takes_kubernetes_core_from_the_set_up(installed):
    cpath, env = installed
    assert (cpath / "ansible_collections" / "fclairamb" / "dbbat" / "MANIFEST.json").is_file()
    # The dependency was satisfied by the ansible package's copy, not downloaded.
    assert not (cpath / "ansible_collections" / "kubernetes").exists()
    bundled = site_packages_collection("kubernetes", "core")
    assert bundled is not None, "kubernetes.core is not in the virtual environment (make setup)"
    proc = run([VENV_BIN / "ansible-galaxy", "collection", "list", "--format", "yaml"], env=env, cwd=cpath)
    assert proc.rc == 0, proc.stderr
    listed = {path: set(cols) for path, cols in yaml.safe_load(proc.stdout).items()}
    where = [p for p, cols in listed.items() if "fclairamb.dbbat" in cols]
    assert where == [str(cpath / "ansible_collections")], f"fclairamb.dbbat must come from the install only: {where}"
    assert not any(str(ROOT / "collections") in p for p in listed), listed


def test_ansible_doc_renders_the_module_from_the_installed_copy(installed):
    cpath, env = installed
    proc = run([VENV_BIN / "ansible-doc", "fclairamb.dbbat.helm_chart_publish"], env=env, cwd=cpath)
    assert proc.rc == 0, proc.stderr
    assert f"({cpath}/ansible_collections/fclairamb/dbbat/plugins/modules/helm_chart_publish.py)" in proc.stdout
    for section in ("OPTIONS", "EXAMPLES", "RETURN VALUES"):
        assert section in proc.stdout, f"{section} missing from ansible-doc output"
    assert "[WARNING]" not in proc.stderr and "ERROR" not in proc.stderr, proc.stderr


def test_ansible_doc_renders_the_role_from_the_installed_copy(installed):
    cpath, env = installed
    proc = run([VENV_BIN / "ansible-doc", "-t", "role", "fclairamb.dbbat.deploy"], env=env, cwd=cpath)
    assert proc.rc == 0, proc.stderr
    assert f"({cpath}/ansible_collections/fclairamb/dbbat)" in proc.stdout
    assert re.search(r"ENTRY POINT: \*?main\b", proc.stdout), proc.stdout[:500]
    for option in ("dbbat_chart_version", "dbbat_namespace", "dbbat_replicas", "dbbat_image_tag"):
        assert option in proc.stdout, f"{option} missing from the role's documentation"


def test_deploy_with_the_installed_collection(installed, cluster, namespace, tmp_path):
    """End to end with the installed copy: playbook outside the checkout, cluster through a
    kubeconfig, chart from the local chart directory."""
    cpath, env = installed
    env = dict(env, **cluster.env())
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"dbbat": {"hosts": {"packaging": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    variables = tmp_path / "vars.yml"
    variables.write_text(yaml.safe_dump({
        "dbbat_namespace": namespace,
        "dbbat_chart_ref": str(CHART_DIR),
        "dbbat_chart_version": chart["version"],
        "dbbat_db_host": "postgres.storage.svc",
        "dbbat_db_password": "packaging-password",
        "dbbat_encryption_key": KEY,
        "dbbat_replicas": 2,
        "dbbat_wait_timeout": 120,
    }))
    playbook = tmp_path / "deploy.yml"
    playbook.write_text((HERE / "files" / "deploy.yml").read_text())
    proc = run([VENV_BIN / "ansible-playbook", playbook, "-i", inventory, "-e", f"@{variables}"],
               env=env, cwd=tmp_path)
    proc.check()
    assert "TASK [fclairamb.dbbat.deploy : " in proc.out
    deployment = cluster.get("apps/v1", "Deployment", "dbbat", namespace)
    assert deployment is not None, "the release's Deployment was not created"
    assert deployment["spec"]["replicas"] == 2 and deployment["status"]["readyReplicas"] == 2
    assert cluster.list("v1", "Secret", namespace, label_selector="owner=helm,name=dbbat"), \
        "no Helm release record"
