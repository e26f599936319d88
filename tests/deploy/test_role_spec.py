"""The deploy role's defaults/main.yml and meta/argument_specs.yml must say the same thing."""
import yaml

from testkit.paths import ROOT

ROLE = ROOT / "collections/ansible_collections/fclairamb/dbbat/roles/deploy"


def _load(path):
    return yaml.safe_load((ROLE / path).read_text())


def test_defaults_and_argument_specs_have_the_same_keys_and_defaults():
    """defaults/main.yml holds exactly the options of every entry point (main, backup_key,
    restore_key, drift...), and an option several entry points share has the same default and type
    in each (the role's defaults are loaded whichever entry point runs)."""
    defaults = _load("defaults/main.yml")
    entry_points = _load("meta/argument_specs.yml")["argument_specs"]
    assert "main" in entry_points
    union = set()
    for entry_point, spec in entry_points.items():
        assert spec.get("short_description") and spec.get("description"), entry_point
        for name, option in spec["options"].items():
            union.add(name)
            where = f"{entry_point}: {name}"
            assert name in defaults, f"{where} has no default in defaults/main.yml"
            assert "default" in option, f"{where}: argument_specs has no default"
            assert option["default"] == defaults[name], f"{where}: default {option['default']!r} != {defaults[name]!r}"
            assert option.get("description"), f"{where}: no description"
            assert option.get("type", "str") == entry_points["main"]["options"].get(name, option).get("type", "str"), \
                f"{where}: another type than in main"
    assert sorted(defaults) == sorted(union), "defaults/main.yml and meta/argument_specs.yml differ in keys"


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


def _role_options(*args):
    from testkit.paths import VENV_BIN
    from testkit.proc import run

    return run([VENV_BIN / "python", ROOT / "scripts/role-options.py", *args])


def test_generated_option_files_are_in_step_with_the_declaration():
    """argument_specs.yml, defaults/main.yml, the inputs block of vars/main.yml and the README's table
    are what scripts/role-options.py makes of plugins/module_utils/deploy_options.py."""
    result = _role_options("--check")
    assert result.rc == 0, result.out + result.err


def test_an_option_added_to_the_declaration_reaches_every_generated_file(tmp_path):
    """One declaration is all a new option takes: generated into a copy of the role, it is in the
    spec of each entry point that takes it, the defaults, the README table and the inputs the modules
    and filters take."""
    import shutil

    role = tmp_path / "deploy"
    for path in ("meta/argument_specs.yml", "defaults/main.yml", "vars/main.yml", "README.md"):
        (role / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROLE / path, role / path)
    declaration = tmp_path / "deploy_options.py"
    declaration.write_text((ROLE / "../../plugins/module_utils/deploy_options.py").read_text() + (
        "\nOPTIONS.append({'name': 'dbbat_zz_extra', 'section': 'scale', 'type': 'int', 'default': 7,"
        " 'description': 'An option of this test.', 'entry_points': {'main': None, 'drift': None},"
        " 'value': {'path': 'zz.extra', 'when': []}})\n"))
    assert _role_options("--check", "--role", role, "--declaration", declaration).rc == 1
    result = _role_options("--role", role, "--declaration", declaration)
    assert result.rc == 0, result.out + result.err
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    for entry_point in ("main", "drift"):
        assert specs[entry_point]["options"]["dbbat_zz_extra"] == {"description": "An option of this test.",
                                                                   "type": "int", "default": 7}
    assert "dbbat_zz_extra" not in specs["rollback"]["options"]
    assert yaml.safe_load((role / "defaults/main.yml").read_text())["dbbat_zz_extra"] == 7
    assert "| `dbbat_zz_extra` | `7` | `zz.extra` |" in (role / "README.md").read_text()
    role_vars = yaml.safe_load((role / "vars/main.yml").read_text())
    for inputs in ("__dbbat_inputs", "__dbbat_day2_inputs"):
        assert role_vars[inputs]["dbbat_zz_extra"] == "{{ dbbat_zz_extra }}", inputs
    assert _role_options("--check", "--role", role, "--declaration", declaration).rc == 0
