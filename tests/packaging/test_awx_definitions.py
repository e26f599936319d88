"""The AWX objects of awx/dbbat.yml checked against the repository: the format awxkit imports,
every path they name, every survey variable against the role's argument spec or the publish
playbook, and no secret in the file."""
import importlib.util
import re

import pytest
import yaml
from awxkit import yaml_file
from awxkit.api import pages
from awxkit.api.mixins import has_create
from awxkit.api.pages import api as awx_api

from testkit.paths import CHART_DIR, ROOT
from testkit.proc import run

from .conftest import COLLECTION_DIR, GALAXY, VENV_BIN

AWX_FILE = ROOT / "awx" / "dbbat.yml"
ROLE_SPEC = yaml.safe_load((COLLECTION_DIR / "roles" / "deploy" / "meta" / "argument_specs.yml").read_text())
ROLE_OPTIONS = ROLE_SPEC["argument_specs"]["main"]["options"]
PROD_VARS = yaml.safe_load((ROOT / "inventories" / "prod" / "group_vars" / "dbbat" / "main.yml").read_text())
CHART = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())

# Credential types every controller has (managed by AWX itself, never exported).
MANAGED_CREDENTIAL_TYPES = [
    {"name": "OpenShift or Kubernetes API Bearer Token", "kind": "kubernetes", "type": "credential_type"},
    {"name": "Vault", "kind": "vault", "type": "credential_type"},
]
# Which Python type answers each survey question type, and which argument spec types fit it.
SURVEY_TYPES = {"text": ("str", str), "textarea": ("str", str), "password": ("str", str),
                "integer": ("int", int), "float": ("float", float), "multiplechoice": ("str", str)}
# awxkit's page class of each section: its NATURAL_KEY is how `awx import` finds an object.
PAGES = {
    "organizations": pages.Organization, "execution_environments": pages.ExecutionEnvironment,
    "credential_types": pages.CredentialType, "credentials": pages.Credential, "projects": pages.Project,
    "inventory": pages.Inventory, "inventory_sources": pages.InventorySource, "job_templates": pages.JobTemplate,
}
# The asset sections `awx import` accepts and the natural-key type of their objects.
SECTION_TYPES = {
    "organizations": "organization", "execution_environments": "execution_environment",
    "credential_types": "credential_type", "credentials": "credential", "projects": "project",
    "inventory": "inventory", "inventory_sources": "inventory_source", "job_templates": "job_template",
}


@pytest.fixture(scope="module")
def assets():
    """The file as `awx import` reads it (awxkit's own YAML loader)."""
    with open(AWX_FILE) as f:
        return yaml.load(f, Loader=yaml_file.Loader)


def _all(assets):
    for section, objs in assets.items():
        for obj in objs:
            yield section, obj


def _job_template(assets, name):
    return next(jt for jt in assets["job_templates"] if jt["name"] == name)


def _natural_keys(assets):
    return [obj["natural_key"] for _, obj in _all(assets)] + MANAGED_CREDENTIAL_TYPES


def _references(value):
    """Every natural-key reference (a dict with a `type`) inside a field value. The natural key of
    an object created within another's related set (a job template's schedule) defines it: only
    what it refers to is a reference."""
    if isinstance(value, dict):
        if "type" in value and "name" in value:
            yield value
        for k, v in value.items():
            if k == "natural_key":
                yield from (ref for field in v.values() for ref in _references(field))
            else:
                yield from _references(v)
    elif isinstance(value, list):
        for v in value:
            yield from _references(v)


def test_sections_are_the_ones_awx_import_knows(assets):
    assert set(assets) <= set(awx_api.EXPORTABLE_RESOURCES), set(assets) - set(awx_api.EXPORTABLE_RESOURCES)


def test_every_object_has_the_natural_key_awxkit_matches_it_by(assets):
    for section, obj in _all(assets):
        key = obj["natural_key"]
        assert key["type"] == SECTION_TYPES[section], (section, key)
        assert key["name"] == obj["name"], (section, key)
        for field in PAGES[section].NATURAL_KEY:
            if field in obj or field == "name":
                assert field in key, f"{section} {obj['name']}: natural key lacks {field}"
                if field != "name":
                    assert key[field] == obj[field], f"{section} {obj['name']}: {field} differs from its natural key"


def test_every_reference_resolves_within_the_file_or_to_a_managed_type(assets):
    known = _natural_keys(assets)
    for section, obj in _all(assets):
        fields = {k: v for k, v in obj.items() if k != "natural_key"}
        for ref in _references(fields):
            assert ref in known, f"{section} {obj['name']} refers to {ref}, which the import cannot find"


def test_a_first_import_resolves_every_reference(assets):
    """`awx import` creates objects in awxkit's dependency order and looks references up when it
    creates the object (related sets come last): a reference to an object created later would be
    dropped on a first import."""
    order = has_create.page_creation_order(*PAGES.values())
    rank = {cls: i for i, group in enumerate(order) for cls in group}
    type_rank = {SECTION_TYPES[s]: rank[PAGES[s]] for s in PAGES}
    for section, obj in _all(assets):
        fields = {k: v for k, v in obj.items() if k not in ("natural_key", "related")}
        for ref in _references(fields):
            if ref["type"] in type_rank:
                assert type_rank[ref["type"]] < type_rank[SECTION_TYPES[section]], \
                    f"{section} {obj['name']} refers to the {ref['type']} {ref['name']}, created after it"


def test_project_is_this_repository(assets):
    (project,) = assets["projects"]
    assert project["scm_type"] == "git"
    assert project["scm_url"].removesuffix(".git") == GALAXY["repository"]
    # The branch CI guards (a local `git branch` check would fail in a detached CI checkout).
    ci = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert project["scm_branch"] in ci["on"]["push"]["branches"]


def test_every_playbook_and_inventory_path_exists(assets):
    for jt in assets["job_templates"]:
        assert (ROOT / jt["playbook"]).is_file(), f"{jt['name']}: playbook {jt['playbook']} does not exist"
    (source,) = assets["inventory_sources"]
    assert source["source"] == "scm"
    assert source["source_path"].startswith("inventories/prod/")
    assert (ROOT / source["source_path"]).is_file(), source["source_path"]
    hosts = yaml.safe_load((ROOT / source["source_path"]).read_text())
    assert "dbbat" in hosts, "the deploy playbook runs on group dbbat"


def test_job_template_limit_is_a_host_of_the_inventory(assets):
    hosts = yaml.safe_load((ROOT / "inventories" / "prod" / "hosts.yml").read_text())["dbbat"]["hosts"]
    deploy = _job_template(assets, "Deploy DBBat")
    assert deploy["limit"] in hosts
    # The default credential is the cluster of the default limit.
    cluster = deploy["related"]["credentials"][0]["name"]
    assert cluster.endswith(deploy["limit"].removeprefix("dbbat-")), (cluster, deploy["limit"])


def test_deploy_survey_variables_are_role_options_with_compatible_types_and_defaults(assets):
    spec = _job_template(assets, "Deploy DBBat")["related"]["survey_spec"]["spec"]
    assert {q["variable"] for q in spec} == {"dbbat_chart_version", "dbbat_image_tag", "dbbat_replicas"}
    for q in spec:
        var = q["variable"]
        assert var in ROLE_OPTIONS, f"{var} is not an option of the role's argument spec"
        option = ROLE_OPTIONS[var]
        spec_type, py_type = SURVEY_TYPES[q["type"]]
        assert option.get("type", "str") == spec_type, f"{var}: survey type {q['type']} vs spec {option.get('type')}"
        assert isinstance(q["default"], py_type), f"{var}: default {q['default']!r} is not {spec_type}"
        if q["type"] == "integer":
            assert q["min"] <= q["default"] <= q["max"], var
        else:
            assert q["min"] <= len(q["default"]) <= q["max"], var
        if "choices" in option:
            assert q["type"] == "multiplechoice" and set(q["choices"]) <= set(option["choices"]), var
        # A survey default must not silently change what the production inventory deploys.
        expected = PROD_VARS.get(var, option.get("default"))
        assert q["default"] == expected, f"{var}: survey default {q['default']!r}, inventory/role {expected!r}"
    versions = {q["variable"]: q["default"] for q in spec}
    assert versions["dbbat_chart_version"] == CHART["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", versions["dbbat_chart_version"])


def test_publish_survey_variables_are_publish_playbook_variables(assets):
    play = yaml.safe_load((ROOT / "playbooks" / "publish.yml").read_text())[0]
    jt = _job_template(assets, "Publish DBBat chart")
    spec = jt["related"]["survey_spec"]["spec"]
    for q in spec:
        assert q["variable"] in play["vars"], f"{q['variable']} is not a variable of playbooks/publish.yml"
        assert q["type"] == "text" and isinstance(q["default"], str)
    defaults = {q["variable"]: q["default"] for q in spec}
    assert defaults["dbbat_publish_version"] == CHART["version"]
    assert defaults["dbbat_publish_app_version"] == CHART["appVersion"]
    for var in yaml.safe_load(jt["extra_vars"]):
        assert var in play["vars"], f"extra var {var} is not a variable of playbooks/publish.yml"


def _role_entry_point(playbook):
    """The entry point of the deploy role that a playbook runs (main for `roles:`), or None."""
    for play in yaml.safe_load((ROOT / playbook).read_text()):
        for role in play.get("roles", []):
            if (role if isinstance(role, str) else role.get("role", role.get("name"))) == "fclairamb.dbbat.deploy":
                return "main"
        for task in play.get("tasks", []):
            include = task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role") or {}
            if include.get("name") == "fclairamb.dbbat.deploy":
                return include.get("tasks_from", "main")
    return None


def _role_job_templates():
    assets = yaml.safe_load(AWX_FILE.read_text())
    return [(jt["name"], _role_entry_point(jt["playbook"])) for jt in assets["job_templates"]
            if _role_entry_point(jt["playbook"])]


def test_the_day2_playbooks_have_job_templates():
    expected = {"Deploy DBBat": "main", "Back up DBBat key": "backup_key", "Restore DBBat key": "restore_key",
                "DBBat drift": "drift", "Roll back DBBat": "rollback"}
    assert expected.items() <= dict(_role_job_templates()).items()


@pytest.mark.parametrize("name, entry_point", _role_job_templates())
def test_role_job_templates_ask_for_options_of_their_entry_point(assets, name, entry_point):
    """Every survey question and extra variable of a job template that runs the role is an option
    of the entry point its playbook runs, of a type its answer fits (AWX answers with strings and
    numbers: a bool option is a multiple choice of "true"/"false", which the role reads with
    `| bool`), and a survey default does not change what the role or the inventory would do."""
    options = ROLE_SPEC["argument_specs"][entry_point]["options"]
    jt = _job_template(assets, name)
    for var in yaml.safe_load(jt["extra_vars"]) or {}:
        assert var in options, f"{name}: extra var {var} is not an option of entry point {entry_point}"
    for q in jt["related"]["survey_spec"]["spec"]:
        var = q["variable"]
        assert var in options, f"{name}: {var} is not an option of entry point {entry_point}"
        option = options[var]
        expected = PROD_VARS.get(var, option.get("default"))
        if option.get("type", "str") == "bool":
            assert q["type"] == "multiplechoice" and set(q["choices"]) <= {"true", "false"}, (name, var)
            assert q["default"] == str(expected).lower(), f"{name}: {var} defaults to {q['default']!r}"
            continue
        spec_type, py_type = SURVEY_TYPES[q["type"]]
        assert option.get("type", "str") == spec_type, f"{name}: {var} survey type {q['type']} vs {option.get('type')}"
        assert isinstance(q["default"], py_type), f"{name}: {var} default {q['default']!r} is not {spec_type}"
        if q["type"] == "integer":
            assert q["min"] <= q["default"] <= q["max"], (name, var)
        else:
            assert q["min"] <= len(q["default"]) <= q["max"], (name, var)
        if "choices" in option:
            assert q["type"] == "multiplechoice" and set(q["choices"]) <= set(option["choices"]), (name, var)
        assert q["default"] == expected, f"{name}: {var} survey default {q['default']!r}, inventory/role {expected!r}"
    # The cluster comes from the job's credential (see Deploy DBBat).
    assert yaml.safe_load(jt["extra_vars"]).get("dbbat_kube_context") == "", name


def _backup_files_filter():
    """The role's filter that finds the vault password file (it imports nothing of Ansible's)."""
    path = ROOT / "collections/ansible_collections/fclairamb/dbbat/plugins/filter/backup_files.py"
    spec = importlib.util.spec_from_file_location("backup_files", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.backup_files


def test_day2_credentials_fit_what_the_role_reads(assets, monkeypatch, tmp_path):
    """Backup and restore get the cluster's credential and the backup vault password, as a file
    whose name the role reads from DBBAT_BACKUP_VAULT_PASSWORD_FILE; drift needs the cluster only."""
    for name in ("Back up DBBat key", "Restore DBBat key"):
        credentials = _job_template(assets, name)["related"]["credentials"]
        assert sorted(c["credential_type"]["kind"] for c in credentials) == ["cloud", "kubernetes"], name
        (cloud,) = [c for c in credentials if c["credential_type"]["kind"] == "cloud"]
        (cred_type,) = [t for t in assets["credential_types"] if t["natural_key"] == cloud["credential_type"]]
        secret_ids = {f["id"] for f in cred_type["inputs"]["fields"] if f.get("secret")}
        assert secret_ids == set(cred_type["inputs"]["required"]) == {"vault_password"}
        assert cred_type["injectors"]["file"] == {"template": "{{ vault_password }}"}
        assert cred_type["injectors"]["env"] == {"DBBAT_BACKUP_VAULT_PASSWORD_FILE": "{{ tower.filename }}"}
    # What AWX injects is where the role looks when the inventory names no password file.
    (variable,) = cred_type["injectors"]["env"]
    monkeypatch.setenv(variable, str(tmp_path / "injected"))
    assert _backup_files_filter()("x.vault", "")["password"]["path"] == str(tmp_path / "injected")
    drift = _job_template(assets, "DBBat drift")
    assert [c["credential_type"]["kind"] for c in drift["related"]["credentials"]] == ["kubernetes"]


def test_the_drift_job_template_runs_on_a_schedule(assets):
    hosts = yaml.safe_load((ROOT / "inventories" / "prod" / "hosts.yml").read_text())["dbbat"]["hosts"]
    drift = _job_template(assets, "DBBat drift")
    (schedule,) = drift["related"]["schedules"]
    assert schedule["natural_key"]["unified_job_template"] == drift["natural_key"]
    assert schedule["natural_key"]["name"] == schedule["name"] and schedule["enabled"] is True
    assert re.fullmatch(r"DTSTART;TZID=UTC:\d{8}T\d{6} RRULE:FREQ=DAILY;INTERVAL=1", schedule["rrule"])
    # The schedule's limit is the cluster of the template's credential (which AWX lets it keep).
    assert drift["ask_limit_on_launch"] and schedule["limit"] in hosts
    cluster = drift["related"]["credentials"][0]["name"]
    assert cluster.endswith(schedule["limit"].removeprefix("dbbat-")), (cluster, schedule["limit"])


def test_deploy_extra_vars_are_role_options(assets):
    extra = yaml.safe_load(_job_template(assets, "Deploy DBBat")["extra_vars"])
    for var in extra:
        assert var in ROLE_OPTIONS, var


def test_credentials_fit_what_the_playbooks_read(assets):
    deploy = _job_template(assets, "Deploy DBBat")["related"]["credentials"]
    kinds = sorted(c["credential_type"]["kind"] for c in deploy)
    assert kinds == ["kubernetes", "vault"]
    publish = _job_template(assets, "Publish DBBat chart")["related"]["credentials"]
    (registry_type,) = [t for t in assets["credential_types"] if t["natural_key"] == publish[0]["credential_type"]]
    playbook = (ROOT / "playbooks" / "publish.yml").read_text()
    for env_var in registry_type["injectors"]["env"]:
        assert f"'{env_var}'" in playbook, f"playbooks/publish.yml does not read {env_var}"
    secret_ids = {f["id"] for f in registry_type["inputs"]["fields"] if f.get("secret")}
    assert secret_ids == {"password"}


def test_no_secret_value_in_the_file(assets):
    secret_inputs = {"bearer_token", "ssl_ca_cert", "vault_password", "password"}
    for cred in assets["credentials"]:
        for key, value in cred["inputs"].items():
            if key in secret_inputs:
                assert value == "$encrypted$", f"{cred['name']}: {key} must be $encrypted$ in the file"


def test_execution_environment_is_the_one_execution_environment_yml_builds(assets):
    ee_file = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
    (ee,) = assets["execution_environments"]
    repo = ee["image"].rsplit(":", 1)[0]
    assert any(tag.rsplit(":", 1)[0] == repo for tag in ee_file["options"]["tags"]), (ee["image"], ee_file["options"])
    for jt in assets["job_templates"]:
        assert jt["execution_environment"] == ee["natural_key"]


def test_awx_cli_reads_yaml():
    """awxkit's CLI runs here (offline it shows its global options only): the command line of
    awx/README.md, `awx --conf.format yaml import`, is one it takes."""
    proc = run([VENV_BIN / "awx", "--help"], timeout=60)
    assert proc.rc == 0, proc.stderr
    assert re.search(r"--conf\.format \{json,yaml", proc.stdout), proc.stdout
    assert "--conf.format yaml import < awx/dbbat.yml" in (ROOT / "awx" / "README.md").read_text()
