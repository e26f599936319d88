"""Day 2, end to end on the local cluster through the real playbooks: the key backup
(playbooks/backup-key.yml) and its restore (playbooks/restore-key.yml), and the drift report
(playbooks/drift.yml), each after a deploy by the role (tests/deploy/conftest.py's Deployer) or,
for a release holding a Secret of its own (the role's never do), by helm.

"Nothing was written" is read from the API server's audit log (dry runs persist nothing and are
left out). The day-2 runs get their own variables file, without the deploy's secrets: so that every
file of the test's folder but the deploy's own variables can be searched for secrets in clear.

Nodes: kwok's only (the `cluster` fixture, one cluster per worker): pods get a status from kwok's
stages and no container runs; where DBBat itself must run, the tests are in tests/realnode."""
import base64
import json
import urllib.parse

import pytest
import yaml

from testkit.paths import CHART_DIR, ROOT, VENV_BIN
from testkit.proc import run

from .conftest import OTHER_KEY, SECRET, TEST_KEY, TEST_PASSWORD

pytestmark = pytest.mark.slow

VAULT_PASSWORD = "backup-vault-password-e2e"
VAULT_ID = "dbbat-e2e"


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def play(deployer, playbook, *args, env=None, **variables):
    """Run playbooks/``playbook`` for the deployer's host, with the cluster connection of the
    deployer's environment and only the variables given (namespace and release defaulting to the
    deployer's): none of the deploy's secrets."""
    variables = dict({"dbbat_namespace": deployer.namespace}, **variables)
    vars_file = deployer.workdir / "day2-vars.yml"
    vars_file.write_text(yaml.safe_dump(variables))
    return run([VENV_BIN / "ansible-playbook", ROOT / "playbooks" / playbook, "-i", deployer.inventory,
                "-e", f"@{vars_file}", *args], env=env or deployer.env)


def _secret_forms(data):
    """Every form the Secret's values could leak in: as stored (base64) and decoded, and the parts
    the deploy built the DSN from."""
    forms = {TEST_KEY, _b64(TEST_KEY), TEST_PASSWORD, urllib.parse.quote(TEST_PASSWORD, safe=""), OTHER_KEY,
             _b64(OTHER_KEY), VAULT_PASSWORD}
    for value in data.values():
        forms |= {value, base64.b64decode(value).decode()}
    return forms


def _assert_no_secret(text, data, where):
    for value in _secret_forms(data):
        assert value not in text, f"a secret value leaked into {where}"


def _assert_no_secret_in_files(folder, data, skip):
    """No file of ``folder`` (the test's HOME, Ansible's temp folders, caches, the backups...) holds a
    secret in clear, but the files the test itself wrote with them (``skip``)."""
    forms = [v.encode() for v in _secret_forms(data) if v != VAULT_PASSWORD]
    checked = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink() and path not in skip:
            content = path.read_bytes()
            checked += 1
            for value in forms:
                assert value not in content, f"a secret value is in clear in {path}"
    assert checked > 5, "the search found no file: wrong folder?"


def _vault_view(deployer, backup, password_file, vault_id=VAULT_ID):
    """The clear document of a backup, opened by ansible-vault itself (the file's format is Ansible
    Vault's, usable without the collection)."""
    result = run([VENV_BIN / "ansible-vault", "view", "--vault-id", f"{vault_id}@{password_file}", backup],
                 env=deployer.env).check()
    return json.loads(result.stdout)


def test_backup_then_restore_the_key_byte_for_byte(cluster, deployer, tmp_path):
    ns = deployer.namespace
    assert deployer.run().rc == 0
    original = cluster.get("v1", "Secret", SECRET, ns)
    data = original["data"]
    assert set(data) == {"DBB_KEY", "DBB_DSN"}

    # 1. Back up at -vvv, the password file named by the environment variable an AWX credential sets.
    password_file = tmp_path / "backup-pass"
    password_file.write_text(VAULT_PASSWORD + "\n")
    password_file.chmod(0o600)
    (tmp_path / "backups").mkdir()
    backup = tmp_path / "backups" / "dbbat.vault"
    env = dict(deployer.env, DBBAT_BACKUP_VAULT_PASSWORD_FILE=str(password_file))
    mark = cluster.audit_mark()
    result = play(deployer, "backup-key.yml", "-vvv", env=env, dbbat_backup_file=str(backup),
                  dbbat_backup_vault_id=VAULT_ID)
    assert result.rc == 0, result.tail()
    assert result.recap["changed"] == 1, result.changed_tasks()
    assert cluster.writes(mark) == [], "a backup only reads the cluster"
    _assert_no_secret(result.out, data, "the backup's output at -vvv")
    lines = backup.read_text().splitlines()
    assert lines[0] == f"$ANSIBLE_VAULT;1.2;AES256;{VAULT_ID}", lines[0]
    assert all(set(line) <= set("0123456789abcdef") for line in lines[1:]), "the rest is the vault's hex"
    assert backup.stat().st_mode & 0o777 == 0o600
    document = _vault_view(deployer, backup, password_file)
    assert document["data"] == data, "values are kept as the API gives them (base64)"
    assert (document["namespace"], document["secret"], document["release"]) == (ns, SECRET, "dbbat")
    assert document["created"].endswith("Z") and document["type"] == "Opaque"

    # 2. The same Secret again: the file stays as it is.
    before = backup.read_bytes()
    result = play(deployer, "backup-key.yml", env=env, dbbat_backup_file=str(backup), dbbat_backup_vault_id=VAULT_ID)
    assert result.rc == 0 and result.recap["changed"] == 0, result.tail()
    assert backup.read_bytes() == before and "already holds the data of" in result.out

    # 3. Disaster recovery into another namespace, which does not exist yet: --check first (writes
    #    nothing), then at -vvv; the Secret's data is the original's, byte for byte.
    other = cluster.unique_namespace("dr")
    restore = {"dbbat_namespace": other, "dbbat_backup_file": str(backup), "dbbat_backup_vault_id": VAULT_ID,
               "dbbat_backup_vault_password_file": str(password_file)}
    try:
        mark = cluster.audit_mark()
        result = play(deployer, "restore-key.yml", "--check", **restore)
        assert result.rc == 0 and result.recap["changed"] == 1, result.tail()
        assert cluster.writes(mark) == [] and cluster.get("v1", "Namespace", other) is None

        result = play(deployer, "restore-key.yml", "-vvv", **restore)
        assert result.rc == 0 and result.recap["changed"] == 1, result.tail()
        _assert_no_secret(result.out, data, "the restore's output at -vvv")
        restored = cluster.get("v1", "Secret", SECRET, other)
        assert restored["data"] == data, "the restored Secret's data must be the original's, byte for byte"
        assert restored["type"] == original["type"]
        assert restored["metadata"]["labels"] == original["metadata"]["labels"]
        namespace = cluster.get("v1", "Namespace", other)
        assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
        assert f"Restored Secret {other}/{SECRET}" in result.out and f"backup is of Secret {ns}/{SECRET}" in result.out

        # 4. Again: nothing to do, nothing written.
        mark = cluster.audit_mark()
        result = play(deployer, "restore-key.yml", **restore)
        assert result.rc == 0 and result.recap["changed"] == 0, result.changed_tasks()
        assert cluster.writes(mark) == []

        # 5. A different key in place: refused with the key-loss guard's words, nothing written; then
        #    replaced on purpose.
        cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": SECRET, "namespace": other},
                       "data": {"DBB_KEY": _b64(OTHER_KEY), "DBB_DSN": data["DBB_DSN"]}})
        mark = cluster.audit_mark()
        result = play(deployer, "restore-key.yml", **restore)
        text = " ".join(result.out.split())
        assert result.rc != 0
        assert f"Refusing to replace DBB_KEY in Secret {other}/{SECRET}" in text, result.tail()
        assert "dbbat_allow_key_rotation=true" in text and "Nothing was written." in text
        assert cluster.writes(mark) == []
        _assert_no_secret(result.out, data, "the key-loss guard's output")
        result = play(deployer, "restore-key.yml", dbbat_allow_key_rotation=True, **restore)
        assert result.rc == 0 and result.recap["changed"] == 1, result.tail()
        assert cluster.get("v1", "Secret", SECRET, other)["data"] == data

        # 6. A wrong vault password: a clear error, nothing written.
        wrong = tmp_path / "wrong-pass"
        wrong.write_text("not-the-password\n")
        mark = cluster.audit_mark()
        result = play(deployer, "restore-key.yml", **dict(restore, dbbat_backup_vault_password_file=str(wrong)))
        text = " ".join(result.out.split())
        assert result.rc != 0
        assert f"Cannot decrypt {backup} (dbbat_backup_file) with the vault password in {wrong}" in text, result.tail()
        assert "the password is wrong" in text and "Nothing was written." in text
        assert cluster.writes(mark) == []
    finally:
        cluster.delete("v1", "Namespace", other)

    # 7. The namespace lost altogether: restore it there, then deploy the same inventory, which finds
    #    its key in place and leaves the Secret alone.
    assert deployer.run(dbbat_state="absent", dbbat_remove_secret=True, dbbat_remove_namespace=True).rc == 0
    assert cluster.get("v1", "Namespace", ns) is None
    result = play(deployer, "restore-key.yml", **dict(restore, dbbat_namespace=ns))
    assert result.rc == 0, result.tail()
    assert cluster.get("v1", "Secret", SECRET, ns)["data"] == data
    mark = cluster.audit_mark()
    result = deployer.run()
    assert result.rc == 0, result.tail()
    assert not [w for w in cluster.writes(mark) if w["resource"] == "secrets" and w["name"] == SECRET], \
        "the deploy must find the restored key and leave the Secret alone"

    _assert_no_secret_in_files(tmp_path, data, skip={deployer.workdir / "vars.yml", password_file, wrong})


def test_backup_refusals_keep_every_earlier_backup(cluster, deployer, tmp_path):
    """The Secret made by hand here (no release needed): a third key is backed up too; what the
    backup refuses leaves the file as it was."""
    ns = deployer.namespace
    password_file = tmp_path / "backup-pass"
    password_file.write_text(VAULT_PASSWORD)
    backup = tmp_path / "dbbat.vault"
    backup_vars = {"dbbat_backup_file": str(backup), "dbbat_backup_vault_password_file": str(password_file)}

    def secret(**data):
        cluster.apply({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": SECRET, "namespace": ns},
                       "data": {k: _b64(v) for k, v in data.items()}})

    # Input refused before the cluster is read.
    for variables, expected in [
        ({"dbbat_backup_file": ""}, "dbbat_backup_file is empty"),
        ({"dbbat_backup_file": str(tmp_path / "no-such-folder" / "x.vault")}, "does not exist; create it first"),
        ({"dbbat_backup_vault_password_file": str(tmp_path / "nope")}, f"The vault password file {tmp_path / 'nope'}"),
        ({"dbbat_backup_vault_password_file": ""}, "No vault password file"),
        ({"dbbat_backup_vault_id": "a;b"}, "is not a usable vault id"),
        ({"dbbat_backup_fil": "x"}, "dbbat_backup_fil is not an option of fclairamb.dbbat.deploy; did you mean"
                                    " dbbat_backup_file?"),
    ]:
        result = play(deployer, "backup-key.yml", **dict(backup_vars, **variables))
        assert result.rc != 0 and expected in " ".join(result.out.split()), (variables, result.tail())
        assert "Backup | read, reduced to checks" not in result.out
    empty = tmp_path / "empty-pass"
    empty.write_text("\n")
    result = play(deployer, "backup-key.yml", **dict(backup_vars, dbbat_backup_vault_password_file=str(empty)))
    assert result.rc != 0 and f"The vault password file {empty} is empty" in result.out, result.tail()

    # No Secret, then a Secret without DBB_KEY.
    cluster.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    result = play(deployer, "backup-key.yml", **backup_vars)
    assert result.rc != 0 and f"Secret {ns}/{SECRET} does not exist" in result.out, result.tail()
    secret(DBB_DSN="postgres://u:p@db/dbbat")
    result = play(deployer, "backup-key.yml", **backup_vars)
    assert result.rc != 0 and "has no DBB_KEY" in result.out, result.tail()
    assert not backup.exists()

    # Every key is backed up; --check writes nothing.
    secret(DBB_KEY=TEST_KEY, DBB_DSN="postgres://u:p@db/dbbat", EXTRA="more")
    result = play(deployer, "backup-key.yml", "--check", **backup_vars)
    assert result.rc == 0 and result.recap["changed"] == 1 and not backup.exists(), result.tail()
    assert play(deployer, "backup-key.yml", **backup_vars).rc == 0
    assert set(_vault_view(deployer, backup, password_file, "dbbat")["data"]) == {"DBB_KEY", "DBB_DSN", "EXTRA"}

    # The same key with another DSN: the backup follows.
    secret(DBB_KEY=TEST_KEY, DBB_DSN="postgres://u:new@db/dbbat")
    result = play(deployer, "backup-key.yml", **backup_vars)
    assert result.rc == 0 and result.recap["changed"] == 1, result.tail()
    assert base64.b64decode(_vault_view(deployer, backup, password_file, "dbbat")["data"]["DBB_DSN"]) == \
        b"postgres://u:new@db/dbbat"

    # Another key: the file may be the only copy of the first one. Kept, unless asked.
    kept = backup.read_bytes()
    secret(DBB_KEY=OTHER_KEY, DBB_DSN="postgres://u:new@db/dbbat")
    result = play(deployer, "backup-key.yml", **backup_vars)
    assert result.rc != 0 and "already holds the backup of another encryption key" in result.out, result.tail()
    assert "dbbat_backup_overwrite=true" in " ".join(result.out.split()) and backup.read_bytes() == kept
    other_password = tmp_path / "other-pass"
    other_password.write_text("another-password")
    result = play(deployer, "backup-key.yml", **dict(backup_vars, dbbat_backup_vault_password_file=str(other_password)))
    assert result.rc != 0 and "cannot open" in result.out and backup.read_bytes() == kept, result.tail()
    result = play(deployer, "backup-key.yml", dbbat_backup_overwrite=True, **backup_vars)
    assert result.rc == 0 and result.recap["changed"] == 1, result.tail()
    assert base64.b64decode(_vault_view(deployer, backup, password_file, "dbbat")["data"]["DBB_KEY"]).decode() == \
        OTHER_KEY

    # Two environments, one file: refused.
    inventory = yaml.safe_load(deployer.inventory.read_text())
    inventory["dbbat"]["hosts"]["e2e-2"] = dict(inventory["dbbat"]["hosts"]["e2e"])
    deployer.inventory.write_text(yaml.safe_dump(inventory))
    result = play(deployer, "backup-key.yml", **backup_vars)
    assert result.rc != 0 and f"dbbat_backup_file is {backup} for e2e and for e2e-2 too" in result.out, result.tail()


def test_drift_names_each_object_and_field(cluster, deployer, helm4):
    ns = deployer.namespace
    deployer.vars["dbbat_helm_binary"] = helm4
    assert deployer.run().rc == 0

    mark = cluster.audit_mark()
    result = play(deployer, "drift.yml")
    assert result.rc == 0, result.tail()
    assert result.recap["changed"] == 0 and result.recap["failed"] == 0
    assert f"No drift: the 5 objects of release dbbat in namespace {ns} (revision 1, chart" in result.out, result.tail()

    # Changes made outside the inventory.
    cluster.kubectl("-n", ns, "scale", "deployment/dbbat", "--replicas=3").check()
    cluster.kubectl("-n", ns, "patch", "deployment", "dbbat", "-p", json.dumps(
        {"spec": {"template": {"spec": {"containers": [{"name": "dbbat", "image": "example.org/dbbat:patched"}]}}}})
    ).check()
    cluster.kubectl("-n", ns, "label", "service", "dbbat", "app.kubernetes.io/part-of=elsewhere", "--overwrite").check()
    cluster.kubectl("-n", ns, "label", "service", "dbbat", "team=db").check()  # only kubectl sets it: not drift
    cluster.kubectl("-n", ns, "delete", "configmap", "dbbat").check()

    expected = [
        f"3 of the 5 objects of release dbbat in namespace {ns}",
        f"ConfigMap {ns}/dbbat: deleted from the cluster",
        f'Service {ns}/dbbat: metadata.labels["app.kubernetes.io/part-of"]: "elsewhere" in the cluster,'
        ' "dbbat" in the release',
        f"Deployment {ns}/dbbat: spec.replicas: 3 in the cluster, 1 in the release",
        f'Deployment {ns}/dbbat: spec.template.spec.containers[name=dbbat].image: "example.org/dbbat:patched" in the'
        ' cluster, "ghcr.io/fclairamb/dbbat:',
    ]
    mark = cluster.audit_mark()
    for args, variables in [((), {}), (("--check",), {})]:
        result = play(deployer, "drift.yml", *args, **variables)
        text = " ".join(result.out.split())
        assert result.rc == 2, result.tail()
        assert result.recap["changed"] == 0 and result.recap["failed"] == 1
        for line in expected:
            assert line in text, (line, result.tail())
        assert "team" not in text and "applies its revision again" in text
    # As from an AWX survey: a string.
    result = play(deployer, "drift.yml", dbbat_drift_fail="false")
    assert result.rc == 0 and result.recap["changed"] == 0, result.tail()
    text = " ".join(result.out.split())
    for line in expected:
        assert line in text, (line, result.tail())
    assert cluster.writes(mark) == [], "the drift report writes nothing (its dry runs persist nothing)"

    # What the report says brings them back does: the revision applied again, then no drift.
    run([helm4, "-n", ns, "rollback", "dbbat", "1", "--force-conflicts", "--wait", "--timeout", "120s"],
        env=dict(deployer.env)).check()
    result = play(deployer, "drift.yml")
    assert result.rc == 0 and "No drift: the 5 objects of release dbbat" in result.out, result.tail()
    assert "team" in cluster.get("v1", "Service", "dbbat", ns)["metadata"]["labels"]


def test_drift_of_a_release_secret_names_its_keys_and_never_shows_their_values(cluster, deployer, helm4, tmp_path):
    """The role's own releases hold no Secret (the chart reads secrets.existingSecret, which the
    role writes outside Helm's records): the release here is installed with helm as the chart's
    README shows, its key and DSN in the chart's own Secret, and drift is then run as for any
    release, through playbooks/drift.yml. The Secret's values are changed in the cluster; the report
    names each key that differs, in the masked form the module documents, and no output, at any
    verbosity, holds a value from before or after."""
    ns = deployer.namespace
    old_dsn = "postgres://dbbat:%s@postgres.storage.svc:5432/dbbat?sslmode=require" % urllib.parse.quote(
        TEST_PASSWORD, safe="")
    values = tmp_path / "chart-values.yml"
    values.write_text(yaml.safe_dump({"secrets": {"encryptionKey": TEST_KEY},
                                      "postgresql": {"external": {"dsn": old_dsn}}}))
    run([helm4, "install", "dbbat", CHART_DIR, "-n", ns, "--create-namespace", "-f", values, "--wait",
         "--timeout", "120s"], env=deployer.env).check()
    old = cluster.get("v1", "Secret", "dbbat", ns)["data"]
    assert set(old) == {"DBB_KEY", "DBB_DSN"} and base64.b64decode(old["DBB_DSN"]).decode() == old_dsn

    result = play(deployer, "drift.yml", "-v")
    assert result.rc == 0 and "No drift: the" in result.out, result.tail()
    assert f"Secret {ns}/dbbat" in result.task_result("Drift | compare with the cluster")["objects"]

    new = {"DBB_KEY": _b64(OTHER_KEY),
           "DBB_DSN": _b64("postgres://dbbat:n3w-s3cr3t%2Fp%40ss@postgres.storage.svc:5432/dbbat?sslmode=require")}
    cluster.apply({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "dbbat", "namespace": ns}, "data": new})
    assert cluster.get("v1", "Secret", "dbbat", ns)["data"] == new
    # Every form of the values before and after (as stored, decoded, and the parts of the DSN).
    values_before_and_after = dict({f"old {k}": v for k, v in old.items()}, **{f"new {k}": v for k, v in new.items()})

    masked = {"live": "(hidden)", "release": "(hidden)", "note": "value differs"}
    for args in [(), ("-v",), ("-vvv",)]:
        result = play(deployer, "drift.yml", *args)
        text = " ".join(result.out.split())
        assert result.rc == 2 and result.recap["failed"] == 1, result.tail()
        for key in ("DBB_DSN", "DBB_KEY"):
            # The key is named, so the values' absence below is the masking, not a report without them.
            assert f"Secret {ns}/dbbat: data.{key}: value differs" in text, (args, result.tail())
        _assert_no_secret(result.out, values_before_and_after, f"drift's output {args}")
        if args:
            report = result.task_result("Drift | compare with the cluster")
            (item,) = [d for d in report["drift"] if d["object"] == f"Secret {ns}/dbbat"]
            assert item["state"] == "changed" and item["fields"] == [
                dict(masked, path="data.DBB_DSN"), dict(masked, path="data.DBB_KEY")], item
