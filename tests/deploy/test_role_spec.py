"""The deploy role's defaults/main.yml and meta/argument_specs.yml must say the same thing."""
import yaml

from testkit.paths import ROOT

ROLE = ROOT / "collections/ansible_collections/fclairamb/dbbat/roles/deploy"


def _load(path):
    return yaml.safe_load((ROLE / path).read_text())


def test_defaults_and_argument_specs_have_the_same_keys_and_defaults():
    defaults = _load("defaults/main.yml")
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    assert sorted(defaults) == sorted(options), "defaults/main.yml and meta/argument_specs.yml differ in keys"
    for name, spec in options.items():
        assert "default" in spec, f"{name}: argument_specs has no default"
        assert spec["default"] == defaults[name], f"{name}: default {spec['default']!r} != {defaults[name]!r}"
        assert spec.get("description"), f"{name}: no description"


def test_every_variable_is_prefixed_and_documented_in_the_readme():
    defaults = _load("defaults/main.yml")
    readme = (ROLE / "README.md").read_text()
    for name in defaults:
        assert name.startswith("dbbat_"), name
        assert f"`{name}`" in readme, f"{name} is missing from the README table"


def test_secret_variables_are_no_log_in_the_spec():
    options = _load("meta/argument_specs.yml")["argument_specs"]["main"]["options"]
    for name in ("dbbat_encryption_key", "dbbat_db_password", "dbbat_db_dsn", "dbbat_registry_password"):
        assert options[name].get("no_log") is True, name
