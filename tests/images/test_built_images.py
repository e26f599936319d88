"""The images `make setup` built for the real node (.tools/images), read from their layout tars:
DBBat's mirrors the upstream runtime image; pause and PostgreSQL's stand-in start as expected."""
import io
import json
import tarfile

import pytest

from testkit.paths import ROOT

IMAGES = ROOT / ".tools" / "images"


def image(name):
    path = IMAGES / f"{name}.oci.tar"
    if not path.exists():
        pytest.skip(f"{path} is not built (this machine pulls images, or DBBat's source is missing)")
    with tarfile.open(path) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}

    def blob(digest):
        return files["blobs/sha256/" + digest.split(":", 1)[1]]
    [entry] = json.loads(files["index.json"])["manifests"]
    manifest = json.loads(blob(entry["digest"]))
    config = json.loads(blob(manifest["config"]["digest"]))
    members = {}
    for layer in manifest["layers"]:
        with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as tar:
            members.update({m.name.lstrip("./"): m for m in tar.getmembers()})
    return entry["annotations"]["io.containerd.image.name"], config, members


def test_the_dbbat_image_mirrors_the_upstream_runtime_image_without_a_shell():
    app_version = next(line.split(":", 1)[1].strip().strip('"') for line in
                       (ROOT / "charts/dbbat/Chart.yaml").read_text().splitlines() if line.startswith("appVersion:"))
    reference, config, members = image("dbbat")
    assert reference == f"ghcr.io/fclairamb/dbbat:{app_version}"
    assert config["config"]["User"] == "65532:65532" and config["config"]["WorkingDir"] == "/app"
    assert config["config"]["Cmd"] == ["./dbbat"] and "Entrypoint" not in config["config"]
    assert members["app/dbbat"].mode == 0o755 and members["app/dbbat"].isfile()
    assert members["home/nonroot"].uid == 65532 and members["tmp"].mode == 0o1777
    assert "etc/ssl/certs/ca-certificates.crt" in members and "usr/share/zoneinfo/Europe/Paris" in members
    shells = [name for name in members if name.rsplit("/", 1)[-1] in ("sh", "bash", "dash", "busybox")]
    assert not shells, shells
    assert "local.dbbat.build" in config["config"]["Labels"]


def test_the_pause_image_runs_its_static_binary_as_an_unprivileged_user():
    reference, config, members = image("pause")
    assert reference == "registry.k8s.io/pause:3.10"
    assert config["config"]["Entrypoint"] == ["/pause"] and config["config"]["User"] == "65535:65535"
    assert list(members) == ["pause"]


def test_the_postgresql_stand_in_has_its_entrypoint_and_pg_isready():
    reference, config, members = image("postgres")
    assert reference == "docker.io/library/postgres:17-alpine"
    assert config["config"]["Entrypoint"] == ["docker-entrypoint.sh"] and config["config"]["User"] == "postgres"
    assert "usr/local/bin/docker-entrypoint.sh" in members and "usr/lib/postgresql/15/bin/pg_isready" in members
    assert "stand-in" in config["config"]["Labels"]["local.dbbat.build"]
