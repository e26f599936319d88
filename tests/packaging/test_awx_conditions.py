"""playbooks/deploy.yml the way an AWX job runs it from the "Deploy DBBat" job template of
awx/dbbat.yml: survey answers as strings in JSON extra vars on top of the template's
extra_vars, the cluster only through the bearer-token credential's K8S_AUTH_* variables (no
kubeconfig, a host variable naming a kube context that does not exist), secrets as inline
vaulted inventory values opened with the vault password, no TTY, stdin closed. Then the key
backup and restore templates, the vault password given as the file their credential type injects.
Nodes: the deploy runs on the local cluster's real node, where the DBBat it deployed answers; the
key backup and restore need no pod and use the kwok-only `cluster`."""
import base64
import json
import re
import sys
import urllib.request

import pytest
import yaml

from testkit.env import isolated_env
from testkit.paths import CHART_DIR, ROOT, VENV_BIN
from testkit.proc import run
from testkit.storage import PASSWORD as STORAGE_PASSWORD
from testkit.storage import USER as STORAGE_USER

KEY = base64.b64encode(b"awx-conditions-key-0123456789abc").decode()
PASSWORD = STORAGE_PASSWORD   # the throwaway PostgreSQL's, as a vaulted inventory value
VAULT_PASSWORD = "awx-vault-password"


def _job_template(name):
    assets = yaml.safe_load((ROOT / "awx" / "dbbat.yml").read_text())
    return next(jt for jt in assets["job_templates"] if jt["name"] == name)


def _encrypt_string(env, workdir, name, value):
    proc = run([VENV_BIN / "ansible-vault", "encrypt_string", "--vault-password-file", workdir / "vault-pass",
                "--name", name, value], env=env, cwd=workdir)
    assert proc.rc == 0, proc.stderr
    return proc.stdout


@pytest.mark.real_node
def test_deploy_job_template_under_awx_conditions_deploys_a_dbbat_that_answers(
        real_cluster, storage, real_namespace, tmp_path):
    cluster, namespace = real_cluster, real_namespace
    storage.database(namespace)
    jt = _job_template("Deploy DBBat")
    host = jt["limit"]
    # The job's environment: AWX's credential variables, nothing of a kubeconfig, an empty HOME.
    env = isolated_env(tmp_path, cluster_env=cluster.awx_env())
    assert "KUBECONFIG" not in env and env["K8S_AUTH_HOST"].startswith("https://")

    # The inventory as AWX imports it from inventories/prod: the host names a kube context for
    # command-line use, secrets are inline vaulted values.
    (tmp_path / "vault-pass").write_text(VAULT_PASSWORD + "\n")
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "dbbat").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"dbbat": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
        "hosts": {host: {"dbbat_kube_context": "prod-eu"}}}}))
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    (inventory / "group_vars" / "dbbat" / "main.yml").write_text(yaml.safe_dump({
        "dbbat_namespace": namespace,
        "dbbat_chart_ref": str(CHART_DIR),
        "dbbat_db_host": "postgres.dbbat-postgres.svc",
        "dbbat_db_user": STORAGE_USER,
        "dbbat_db_name": namespace,
        "dbbat_db_sslmode": "disable",
        "dbbat_wait_timeout": 180,
        "dbbat_encryption_key": "{{ vault_dbbat_encryption_key }}",
        "dbbat_db_password": "{{ vault_dbbat_db_password }}",
    }))
    (inventory / "group_vars" / "dbbat" / "vault.yml").write_text(
        "---\n" + _encrypt_string(env, tmp_path, "vault_dbbat_encryption_key", KEY)
        + _encrypt_string(env, tmp_path, "vault_dbbat_db_password", PASSWORD))

    # Extra vars: the template's, then the survey answers, every one a string.
    extra = yaml.safe_load(jt["extra_vars"])
    answers = {"dbbat_chart_version": str(chart["version"]), "dbbat_image_tag": "", "dbbat_replicas": "3"}
    assert set(answers) == {q["variable"] for q in jt["related"]["survey_spec"]["spec"]}
    extra.update(answers)

    proc = run([VENV_BIN / "ansible-playbook", ROOT / "playbooks" / "deploy.yml", "-i", inventory,
                "--limit", host, "--vault-password-file", tmp_path / "vault-pass", "-e", json.dumps(extra)],
               env=env, cwd=ROOT)
    out = proc.stdout + proc.stderr
    assert proc.rc == 0, out[-4000:]
    for secret in (KEY, PASSWORD, VAULT_PASSWORD):
        assert secret not in out, "a secret reached the job output"

    deployment = cluster.get("apps/v1", "Deployment", "dbbat", namespace)
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 3, "the survey's \"3\" must deploy 3 replicas"
    assert deployment["status"]["readyReplicas"] == 3
    assert cluster.secret_data("dbbat-secrets", namespace)["DBB_KEY"] == KEY
    # The DBBat it deployed answers, through the port-forward the role prints.
    service = cluster.get("v1", "Service", "dbbat", namespace)
    http = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "http")
    with cluster.port_forward(namespace, "svc/dbbat", http) as port:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/version", timeout=10) as response:
            assert json.load(response)["build_version"] == yaml.safe_load(
                (CHART_DIR / "Chart.yaml").read_text())["appVersion"]


def test_publish_job_template_under_awx_conditions(oci_registry_tls, tmp_path):
    """"Publish DBBat chart": the registry login only through the environment variables that the
    "Helm OCI registry" credential type injects, survey answers as strings, the job template's
    inventory, no TTY. The template's registry is pointed at the test registry."""
    reg = oci_registry_tls
    assets = yaml.safe_load((ROOT / "awx" / "dbbat.yml").read_text())
    jt = _job_template("Publish DBBat chart")
    (credential,) = jt["related"]["credentials"]
    (cred_type,) = [t for t in assets["credential_types"] if t["natural_key"] == credential["credential_type"]]
    inputs = {"username": reg.username, "password": reg.password}
    injected = {name: re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: inputs[m[1]], template)
                for name, template in cred_type["injectors"]["env"].items()}

    env = isolated_env(tmp_path, extra=injected)
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    extra = yaml.safe_load(jt["extra_vars"])
    extra.update(dbbat_publish_registry=reg.host, dbbat_publish_repository="awx-job/charts",
                 dbbat_publish_ca_file=str(reg.ca_file))
    extra.update({"dbbat_publish_version": str(chart["version"]), "dbbat_publish_app_version": str(chart["appVersion"])})

    inventory = ROOT / assets["inventory_sources"][0]["source_path"]
    proc = run([VENV_BIN / "ansible-playbook", ROOT / jt["playbook"], "-i", inventory, "-e", json.dumps(extra)],
               env=env, cwd=ROOT)
    out = proc.stdout + proc.stderr
    assert proc.rc == 0, out[-4000:]
    assert reg.password not in out, "the registry password reached the job output"
    assert reg.tag_digest("awx-job/charts/dbbat", str(chart["version"])), "the chart was not pushed"


def _inject(cred_type, inputs, workdir):
    """The environment a job gets from a credential of ``cred_type``: its file injector written
    to a file of the job's own (``tower.filename``), its env injector rendered."""
    values = dict(inputs)
    template = cred_type["injectors"].get("file", {}).get("template")
    if template is not None:
        injected = workdir / "credential-file"
        injected.write_text(re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: values[m[1]], template))
        injected.chmod(0o600)
        values["tower.filename"] = str(injected)
    return {name: re.sub(r"\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m[1]], value)
            for name, value in cred_type["injectors"]["env"].items()}


def test_backup_and_restore_job_templates_under_awx_conditions(cluster, namespace, tmp_path):
    """"Back up DBBat key" then "Restore DBBat key": the cluster through the bearer-token
    credential, the vault password through the file the "DBBat backup vault password" credential
    type injects, survey answers as strings, the backup file from the template's own extra_vars
    (its folder moved to the test's)."""
    assets = yaml.safe_load((ROOT / "awx" / "dbbat.yml").read_text())
    backup_jt, restore_jt = _job_template("Back up DBBat key"), _job_template("Restore DBBat key")
    host = backup_jt["limit"]
    data = {"DBB_KEY": base64.b64encode(KEY.encode()).decode(),
            "DBB_DSN": base64.b64encode(b"postgres://dbbat:awx@db:5432/dbbat").decode()}
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                   "metadata": {"name": "dbbat-secrets", "namespace": namespace}, "data": data})

    (credential,) = [c for c in backup_jt["related"]["credentials"] if c["credential_type"]["kind"] == "cloud"]
    (cred_type,) = [t for t in assets["credential_types"] if t["natural_key"] == credential["credential_type"]]
    env = isolated_env(tmp_path, cluster_env=cluster.awx_env(),
                       extra=_inject(cred_type, {"vault_password": VAULT_PASSWORD}, tmp_path))
    inventory = tmp_path / "inventory"
    (inventory / "group_vars" / "dbbat").mkdir(parents=True)
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"dbbat": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "ansible_pipelining": True},
        "hosts": {host: {"dbbat_kube_context": "prod-eu"}}}}))
    (inventory / "group_vars" / "dbbat" / "main.yml").write_text(yaml.safe_dump({"dbbat_namespace": namespace}))

    def job(jt, answers):
        extra = yaml.safe_load(jt["extra_vars"])
        if "dbbat_backup_file" in extra:
            extra["dbbat_backup_file"] = extra["dbbat_backup_file"].replace("/var/lib/dbbat-backups",
                                                                            str(tmp_path / "backups"))
        assert set(answers) == {q["variable"] for q in jt["related"]["survey_spec"]["spec"]}
        assert all(isinstance(v, str) for v in answers.values())
        extra.update(answers)
        proc = run([VENV_BIN / "ansible-playbook", ROOT / jt["playbook"], "-i", inventory, "--limit", host,
                    "-e", json.dumps(extra)], env=env, cwd=ROOT)
        out = proc.stdout + proc.stderr
        assert proc.rc == 0, out[-4000:]
        for secret in [VAULT_PASSWORD, KEY, *data.values(), "postgres://dbbat:awx@db"]:
            assert secret not in out, "a secret reached the job output"

    (tmp_path / "backups").mkdir()
    job(backup_jt, {"dbbat_backup_vault_id": "dbbat", "dbbat_backup_overwrite": "false"})
    backup = tmp_path / "backups" / f"{host}-{namespace}.vault"
    assert backup.read_text().startswith("$ANSIBLE_VAULT;1.2;AES256;dbbat\n")

    cluster.delete("v1", "Secret", "dbbat-secrets", namespace)
    job(restore_jt, {"dbbat_backup_file": str(backup), "dbbat_backup_vault_id": "dbbat",
                     "dbbat_allow_key_rotation": "false"})
    assert cluster.get("v1", "Secret", "dbbat-secrets", namespace)["data"] == data
