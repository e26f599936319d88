"""The environment the chart manages: one list, read by the ConfigMap, the containers and the refusals."""
import pytest

from tests.chart.render import render, render_error

KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
# Value sets that, together, make the chart set every variable it manages.
SETS = [
    ("minimal", {"config": {"runMode": "demo", "publicUrl": "https://dbbat.example.com"}}),
    ("production", None),
    ("full", None),
    (None, {"secrets": {"encryptionKey": KEY}, "postgresql": {"external": {"host": "db"}}}),
    ("full", {"tls": {k: {"existingSecret": f"{k}-cert"} for k in ("pg", "mysql", "mongo", "mssql")}}),
]


# What full.yaml gives through config.env and extraEnv: the user's, not the chart's.
USER_SET = {"DBB_QUERY_RETENTION", "DBB_SLACK_CLIENT_SECRET"}


def chart_set_names(helm):
    """Every variable the chart puts in its ConfigMap or its container's env over SETS."""
    names = set()
    for values_file, extra in SETS:
        r = render(helm, *(values_file,) if values_file else (), values=extra)
        names |= set(r.get("ConfigMap", r.deployment["metadata"]["name"])["data"])
        names |= {v["name"] for v in r.container["env"]}
    return names - USER_SET


def test_every_variable_the_chart_sets_is_refused_from_the_user(helm):
    names = chart_set_names(helm)
    assert {"DBB_DSN", "DBB_KEY", "DBB_KEYFILE", "DB_PASSWORD", "DBB_LISTEN_PG", "DBB_RUN_MODE",
            "DBB_PUBLIC_URL", "DBB_PG_TLS_CERT_FILE", "DBB_MSSQL_TLS_KEY_FILE"} <= names
    for name in sorted(names):
        err = render_error(helm, "minimal", values={"config": {"env": {name: "x"}}})
        assert f"config.env.{name}: this variable is set by the chart from " in err, name
        err = render_error(helm, "minimal", values={"extraEnv": [{"name": name, "value": "x"}]})
        assert f"extraEnv[0] ({name}): this variable is set by the chart from " in err, name


@pytest.mark.parametrize("name,source", [
    ("DBB_LISTEN_API", "config.listenApi"),
    ("DBB_KEYFILE", "config.keyFile"),
    ("DB_PASSWORD", "secrets.keys.databasePassword"),
])
def test_refusal_names_the_value_to_use(helm, name, source):
    assert source in render_error(helm, "minimal", values={"config": {"env": {name: "x"}}})


def test_unmanaged_variables_pass(helm):
    r = render(helm, "minimal", values={"config": {"env": {"DBB_QUERY_RETENTION": "720h"}},
                                        "extraEnv": [{"name": "DBB_OIDC_ISSUER", "value": "https://id"}]})
    assert r.env()["DBB_QUERY_RETENTION"][3] == "720h"
    assert r.env()["DBB_OIDC_ISSUER"] == ("literal", "https://id")
