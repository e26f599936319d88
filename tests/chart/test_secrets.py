"""Where the storage DSN, its password and the encryption key come from."""
import base64
from urllib.parse import unquote, urlsplit

import pytest

from tests.chart.render import render, render_error

KEY = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="  # base64 of 32 bytes
DSN = "postgres://user:pass@postgres.example.com:5432/dbbat?sslmode=require"
PARTS = {"host": "db.example.com", "port": 5433, "database": "dbbat", "username": "dbbat", "sslMode": "verify-full"}


def values(key=KEY, existing="", keyfile="", **pg):
    return {
        "secrets": {"encryptionKey": key if not existing and not keyfile else "", "existingSecret": existing},
        "config": {"keyFile": keyfile},
        "postgresql": {"external": pg},
    }


def test_minimal_key_from_existing_secret_dsn_from_chart_secret(helm):
    r = render(helm, "minimal")
    env = r.env()
    assert env["DBB_KEY"] == ("secret", "dbbat-secrets", "DBB_KEY", None)
    assert env["DBB_DSN"] == ("secret", "dbbat", "DBB_DSN", DSN)
    # The chart's Secret carries only the DSN: the key lives in the user's Secret.
    assert r.secret_data("dbbat") == {"DBB_DSN": DSN}
    assert "DB_PASSWORD" not in env


def test_production_password_from_existing_secret_expanded_into_dsn(helm):
    r = render(helm, "production")
    env = r.env()
    assert env["DBB_KEY"] == ("secret", "dbbat-secrets", "DBB_KEY", None)
    assert env["DB_PASSWORD"] == ("secret", "dbbat-secrets", "DB_PASSWORD", None)
    assert env["DBB_DSN"] == (
        "literal", "postgres://dbbat:$(DB_PASSWORD)@postgres.internal.example.com:5432/dbbat?sslmode=verify-full")
    names = r.env_names()
    # Kubernetes expands $(VAR) only from variables defined before.
    assert names.index("DB_PASSWORD") < names.index("DBB_DSN")
    assert not r.has("Secret"), "nothing secret is in the values, so the chart renders no Secret"


@pytest.mark.parametrize("password", ["s3cr3t", "p@ss w/rd:%+$(x)?#&=é", "a+b c"])
def test_inline_password_url_escaped_into_chart_secret(helm, password):
    r = render(helm, values=values(**PARTS, password=password))
    kind, secret, key, dsn = r.env()["DBB_DSN"]
    assert (kind, secret, key) == ("secret", "dbbat", "DBB_DSN")
    url = urlsplit(dsn)
    # Go's url.Parse (used by the app's pgdriver) unescapes %XX in user info and keeps "+" as is.
    assert " " not in dsn and "+" not in url.password.replace("%2B", "")
    assert unquote(url.password) == password
    assert (url.hostname, url.port, url.path, url.query) == ("db.example.com", 5433, "/dbbat", "sslmode=verify-full")
    assert "DB_PASSWORD" not in r.env()


def test_parts_username_and_database_escaped(helm):
    r = render(helm, values=values(**{**PARTS, "username": "me@corp", "database": "my db"}, password="x"))
    dsn = r.secret_data("dbbat")["DBB_DSN"]
    assert dsn == "postgres://me%40corp:x@db.example.com:5433/my%20db?sslmode=verify-full"


def test_ipv6_host_is_bracketed(helm):
    r = render(helm, values=values(**{**PARTS, "host": "fd00::10"}, password="x"))
    assert "@[fd00::10]:5433/" in r.secret_data("dbbat")["DBB_DSN"]


def test_secrets_database_password_is_used_and_external_password_wins(helm):
    v = values(**PARTS)
    v["secrets"]["databasePassword"] = "from-secrets"
    assert ":from-secrets@" in render(helm, values=v).secret_data("dbbat")["DBB_DSN"]
    v["postgresql"]["external"]["password"] = "from-external"
    assert ":from-external@" in render(helm, values=v).secret_data("dbbat")["DBB_DSN"]


def test_parts_without_any_password(helm):
    r = render(helm, values=values(**PARTS))
    assert r.secret_data("dbbat")["DBB_DSN"] == "postgres://dbbat@db.example.com:5433/dbbat?sslmode=verify-full"


def test_existing_secret_with_inline_password_uses_the_inline_one(helm):
    r = render(helm, values=values(existing="mine", **PARTS, password="inline"))
    env = r.env()
    assert env["DBB_DSN"][:3] == ("secret", "dbbat", "DBB_DSN")
    assert ":inline@" in env["DBB_DSN"][3]
    assert env["DBB_KEY"] == ("secret", "mine", "DBB_KEY", None)
    assert "DB_PASSWORD" not in env


def test_existing_secret_carries_the_whole_dsn_when_values_have_none(helm):
    v = values(existing="mine")
    v["secrets"]["keys"] = {"encryptionKey": "key", "dsn": "storage-dsn", "databasePassword": "pw"}
    r = render(helm, values=v)
    env = r.env()
    assert env["DBB_DSN"] == ("secret", "mine", "storage-dsn", None)
    assert env["DBB_KEY"] == ("secret", "mine", "key", None)
    assert "DB_PASSWORD" not in env
    assert not r.has("Secret")


def test_dsn_in_values_beats_parts(helm):
    r = render(helm, values=values(existing="mine", dsn=DSN, **PARTS, password="ignored"))
    assert r.env()["DBB_DSN"] == ("secret", "dbbat", "DBB_DSN", DSN)


def test_existing_secret_custom_password_key(helm):
    v = values(existing="mine", **PARTS)
    v["secrets"]["keys"] = {"databasePassword": "pg-pass"}
    assert render(helm, values=v).env()["DB_PASSWORD"] == ("secret", "mine", "pg-pass", None)


def test_inline_key_goes_to_chart_secret(helm):
    r = render(helm, values=values(dsn=DSN))
    assert r.env()["DBB_KEY"] == ("secret", "dbbat", "DBB_KEY", KEY)


def test_key_file_replaces_dbb_key(helm):
    r = render(helm, values=values(keyfile="/keys/raw", dsn=DSN))
    env = r.env()
    assert env["DBB_KEYFILE"] == ("configmap", "dbbat", "DBB_KEYFILE", "/keys/raw")
    assert "DBB_KEY" not in env
    assert r.secret_data("dbbat") == {"DBB_DSN": DSN}


def test_key_file_with_existing_secret_for_the_password(helm):
    r = render(helm, "full")
    env = r.env()
    assert "DBB_KEY" not in env
    assert env["DBB_KEYFILE"][3] == "/etc/dbbat/key/raw.key"
    assert env["DB_PASSWORD"] == ("secret", "bastion-secrets", "storage-password", None)
    mounts = {m["mountPath"]: m["name"] for m in r.container["volumeMounts"]}
    assert mounts["/etc/dbbat/key"] == "key"


def test_no_key_source_is_refused_with_how_to_create_one(helm):
    err = render_error(helm, values=values(key="", dsn=DSN))
    assert "secrets.encryptionKey" in err
    assert "openssl rand -base64 32" in err
    assert "config.keyFile" in err and "secrets.existingSecret" in err


def test_no_database_is_refused(helm):
    err = render_error(helm, values=values())
    assert "postgresql.external.dsn" in err and "postgresql.external.host" in err


@pytest.mark.parametrize("set_name", ["minimal", "production", "full"])
def test_no_password_in_configmap_or_plain_env(helm, set_name):
    r = render(helm, set_name, values={"postgresql": {"external": {"password": "Sup3rSecret"}}})
    for cm in r.all("ConfigMap"):
        assert "Sup3rSecret" not in str(cm) and "user:pass" not in str(cm)
    for var in r.container["env"]:
        assert "Sup3rSecret" not in var.get("value", "") and "user:pass" not in var.get("value", "")


@pytest.mark.parametrize("raw", [bytes(32), b"\xff" * 32, bytes(range(32)), bytes(range(200, 232))])
def test_any_32_byte_key_is_accepted(helm, raw):
    key = base64.b64encode(raw).decode()
    assert render(helm, values=values(key=key, dsn=DSN)).env()["DBB_KEY"][3] == key
