"""playbooks/deploy.yml the way an AWX job runs it from the "Deploy DBBat" job template of
awx/dbbat.yml: survey answers as strings in JSON extra vars on top of the template's
extra_vars, the cluster only through the bearer-token credential's K8S_AUTH_* variables (no
kubeconfig, a host variable naming a kube context that does not exist), secrets as inline
vaulted inventory values opened with the vault password, no TTY, stdin closed."""
import base64
import json
import re
import sys

import yaml

from testkit.paths import CHART_DIR, ROOT

from .conftest import VENV_BIN, run

KEY = base64.b64encode(b"awx-conditions-key-0123456789abc").decode()
PASSWORD = "awx-db-password"
VAULT_PASSWORD = "awx-vault-password"


def _job_template(name):
    assets = yaml.safe_load((ROOT / "awx" / "dbbat.yml").read_text())
    return next(jt for jt in assets["job_templates"] if jt["name"] == name)


def _encrypt_string(env, workdir, name, value):
    proc = run([VENV_BIN / "ansible-vault", "encrypt_string", "--vault-password-file", workdir / "vault-pass",
                "--name", name, value], env=env, cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_deploy_job_template_under_awx_conditions(kube_api, tool_env, tmp_path):
    jt = _job_template("Deploy DBBat")
    host = jt["limit"]
    # The job's environment: AWX's credential variables, nothing of a kubeconfig, an empty HOME.
    env = {k: v for k, v in kube_api.awx_env().items() if not k.startswith(("ANSIBLE_", "HELM_"))}
    env.update(PATH=tool_env["PATH"], ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), HOME=str(tmp_path / "home"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
               HELM_CACHE_HOME=str(tmp_path / "helm-cache"), HELM_CONFIG_HOME=str(tmp_path / "helm-config"),
               HELM_DATA_HOME=str(tmp_path / "helm-data"))
    (tmp_path / "home").mkdir()
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
        "dbbat_namespace": "dbbat-awx-job",
        "dbbat_chart_ref": str(CHART_DIR),
        "dbbat_db_host": "postgres.storage.svc",
        "dbbat_wait_timeout": 120,
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
    assert proc.returncode == 0, out[-4000:]
    for secret in (KEY, PASSWORD, VAULT_PASSWORD):
        assert secret not in out, "a secret reached the job output"

    deployment = kube_api.get("apps/v1", "Deployment", "dbbat", "dbbat-awx-job")
    assert deployment is not None
    assert deployment["spec"]["replicas"] == 3, "the survey's \"3\" must deploy 3 replicas"
    stored = kube_api.get("v1", "Secret", "dbbat-secrets", "dbbat-awx-job")
    assert base64.b64decode(stored["data"]["DBB_KEY"]).decode() == KEY


def test_publish_job_template_under_awx_conditions(oci_registry_tls, tool_env, tmp_path):
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

    env = {k: v for k, v in tool_env.items() if not k.startswith(("ANSIBLE_", "HELM_"))}
    env.update(injected, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), HOME=str(tmp_path), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), HELM_CACHE_HOME=str(tmp_path / "helm-cache"),
               HELM_CONFIG_HOME=str(tmp_path / "helm-config"), HELM_DATA_HOME=str(tmp_path / "helm-data"))
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    extra = yaml.safe_load(jt["extra_vars"])
    extra.update(dbbat_publish_registry=reg.host, dbbat_publish_repository="awx-job/charts",
                 dbbat_publish_ca_file=str(reg.ca_file))
    extra.update({"dbbat_publish_version": str(chart["version"]), "dbbat_publish_app_version": str(chart["appVersion"])})

    inventory = ROOT / assets["inventory_sources"][0]["source_path"]
    proc = run([VENV_BIN / "ansible-playbook", ROOT / jt["playbook"], "-i", inventory, "-e", json.dumps(extra)],
               env=env, cwd=ROOT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert reg.password not in out, "the registry password reached the job output"
    assert reg.tag_digest("awx-job/charts/dbbat", str(chart["version"])), "the chart was not pushed"
