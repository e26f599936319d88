# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Unit tests of the chart archive helpers: reproducible archives, source fingerprints, comparisons."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import gzip
import io
import os
import tarfile

import pytest

import yaml

from ansible_collections.fclairamb.dbbat.plugins.module_utils.chart_archive import (
    FINGERPRINT_ANNOTATION,
    annotations_fingerprint,
    archive_fingerprint,
    archive_name,
    canonical_archive,
    chart_differences,
    chart_files,
    gzip_bytes,
    sha256_digest,
    source_file_digests,
    source_fingerprint,
)

FILES = {
    "Chart.yaml": b'apiVersion: v2\nname: mychart\nversion: 1.0.0\nappVersion: "2.0"\n',
    "values.yaml": b"a: 1\n",
    "templates/cm.yaml": b"kind: ConfigMap\n",
    ".helmignore": b"*.swp\n",
}
FINGERPRINT = "sha256:" + "ab" * 32


def _archive(files, top="mychart", mtime=0, order=None, uid=0, gzip_mtime=0, level=9, directories=False):
    """A chart archive as some tool would write it (helm writes Chart.yaml first, mtime = now)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        if directories:
            info = tarfile.TarInfo(top + "/templates")
            info.type, info.mtime = tarfile.DIRTYPE, mtime
            tar.addfile(info)
        for path in order or sorted(files):
            info = tarfile.TarInfo("%s/%s" % (top, path))
            info.size, info.mtime, info.uid, info.uname = len(files[path]), mtime, uid, "someone" if uid else ""
            tar.addfile(info, io.BytesIO(files[path]))
    return gzip.compress(raw.getvalue(), compresslevel=level, mtime=gzip_mtime)


def test_canonical_archive_ignores_how_and_when_it_was_packaged():
    helm3 = _archive(FILES, mtime=1700000000, order=["Chart.yaml", "values.yaml", "templates/cm.yaml", ".helmignore"],
                     gzip_mtime=1700000000)
    helm4 = _archive(FILES, mtime=1600000000, uid=1000, level=6, directories=True)
    assert helm3 != helm4
    assert canonical_archive(helm3) == canonical_archive(helm4) == canonical_archive(canonical_archive(helm3))
    assert canonical_archive(helm3, FINGERPRINT) == canonical_archive(helm4, FINGERPRINT)
    assert canonical_archive(helm3, FINGERPRINT) != canonical_archive(helm3)


def test_canonical_archive_layout():
    data = canonical_archive(_archive(FILES, mtime=1700000000, uid=1000), FINGERPRINT)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == ["mychart/Chart.yaml", "mychart/.helmignore", "mychart/templates/cm.yaml",
                                         "mychart/values.yaml"]
    assert {(m.mode, m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0o644, 0, 0, 0, "", "")}
    assert dict(chart_files(data), **{"Chart.yaml": FILES["Chart.yaml"]}) == FILES
    assert gzip.decompress(data)  # a standard gzip stream
    assert data[4:8] == b"\0\0\0\0"  # no time in the gzip header


def test_canonical_archive_refuses_what_is_not_a_chart_archive():
    with pytest.raises((ValueError, tarfile.TarError)):
        canonical_archive(gzip.compress(b""))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for top in ("a", "b"):
            info = tarfile.TarInfo(top + "/Chart.yaml")
            tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(ValueError, match="one top directory"):
        canonical_archive(gzip.compress(raw.getvalue()))
    with pytest.raises((tarfile.TarError, OSError, EOFError)):
        canonical_archive(b"not gzip at all")


def test_the_fingerprint_travels_in_chart_yaml_among_its_annotations():
    """helm push copies Chart.yaml's annotations into the manifest: a later publish reads it there."""
    files = dict(FILES, **{"Chart.yaml": FILES["Chart.yaml"] + b"annotations:\n  artifacthub.io/license: MIT\n"})
    data = canonical_archive(_archive(files), FINGERPRINT)
    metadata = yaml.safe_load(chart_files(data)["Chart.yaml"])
    assert metadata["annotations"] == {"artifacthub.io/license": "MIT", FINGERPRINT_ANNOTATION: FINGERPRINT}
    assert metadata["appVersion"] == "2.0" and metadata["version"] == "1.0.0"
    assert archive_fingerprint(data) == FINGERPRINT
    assert archive_fingerprint(canonical_archive(_archive(files))) is None
    assert archive_fingerprint(b"not an archive") is None
    assert annotations_fingerprint(metadata["annotations"]) == FINGERPRINT
    assert annotations_fingerprint({FINGERPRINT_ANNOTATION: "not a digest"}) is annotations_fingerprint(None) is None


def test_the_fingerprint_is_not_part_of_what_a_chart_is():
    """Two sources may package alike: the same files under two fingerprints are the same chart."""
    one = chart_files(canonical_archive(_archive(FILES), FINGERPRINT))
    other = chart_files(canonical_archive(_archive(FILES), "sha256:" + "cd" * 32))
    assert chart_differences(one, other) == [] and chart_differences(one, chart_files(_archive(FILES))) == []
    changed = chart_files(canonical_archive(_archive(dict(FILES, **{"values.yaml": b"a: 2\n"})), FINGERPRINT))
    assert chart_differences(one, changed) == ["changed: values.yaml"]


def test_gzip_bytes_is_deterministic_and_standard():
    assert gzip_bytes(b"data" * 100) == gzip_bytes(b"data" * 100)
    assert gzip.decompress(gzip_bytes(b"data" * 100)) == b"data" * 100


def test_source_fingerprint_covers_files_version_and_app_version():
    digests = {"Chart.yaml": "a" * 64, "templates/x.yaml": "b" * 64}
    base = source_fingerprint(digests, "1.0.0")
    assert base.startswith("sha256:") and base == source_fingerprint(dict(digests), "1.0.0")
    assert base != source_fingerprint(digests, "1.0.1")
    assert base != source_fingerprint(digests, "1.0.0", "")
    assert source_fingerprint(digests, "1.0.0", "") != source_fingerprint(digests, "1.0.0", "2.0")
    assert base != source_fingerprint(dict(digests, **{"templates/x.yaml": "c" * 64}), "1.0.0")
    assert base != source_fingerprint(dict(digests, **{"templates/y.yaml": "b" * 64}), "1.0.0")
    assert base != source_fingerprint({"Chart.yaml": "a" * 64, "templates/y.yaml": "b" * 64}, "1.0.0")


def test_source_file_digests_reads_every_file_and_follows_links(tmp_path):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_bytes(FILES["Chart.yaml"])
    (chart / "templates" / "cm.yaml").write_bytes(b"kind: ConfigMap\n")
    (chart / ".helmignore").write_bytes(b"*.swp\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "common.tpl").write_bytes(b"{{ define \"x\" }}{{ end }}\n")
    os.symlink(str(shared), str(chart / "templates" / "shared"))
    digests = source_file_digests(str(chart))
    assert sorted(digests) == [".helmignore", "Chart.yaml", "templates/cm.yaml", "templates/shared/common.tpl"]
    assert digests["Chart.yaml"] == sha256_digest(FILES["Chart.yaml"])[len("sha256:"):]
    (shared / "common.tpl").write_bytes(b"changed\n")
    assert source_file_digests(str(chart)) != digests


def test_source_file_digests_limits(tmp_path):
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "big").write_bytes(b"x" * 2048)
    with pytest.raises(ValueError):
        source_file_digests(str(chart), max_bytes=1024)
    for index in range(3):
        (chart / ("f%d" % index)).write_bytes(b"")
    with pytest.raises(ValueError):
        source_file_digests(str(chart), max_files=2)
    os.symlink(str(chart), str(chart / "loop"))
    with pytest.raises(ValueError, match="loop"):
        source_file_digests(str(chart))


def test_archive_name_is_helms():
    assert archive_name("dbbat", "1.0.0+build.1") == "dbbat-1.0.0+build.1.tgz"


def test_chart_files_ignores_archive_metadata(tmp_path):
    assert chart_files(_archive(FILES, mtime=0)) == chart_files(_archive(FILES, mtime=1700000000)) == FILES
    path = tmp_path / "mychart-1.0.0.tgz"
    path.write_bytes(_archive(FILES, directories=True))
    assert chart_files(str(path)) == FILES


def test_same_files_have_no_differences():
    assert chart_differences(FILES, dict(FILES)) == []


def test_chart_yaml_is_compared_as_data():
    reordered = dict(FILES)
    reordered["Chart.yaml"] = b"appVersion: '2.0'\nversion: 1.0.0\nname: mychart\napiVersion: v2\n"
    assert chart_differences(FILES, reordered) == []
    changed = dict(FILES)
    changed["Chart.yaml"] = FILES["Chart.yaml"].replace(b'"2.0"', b'"2.1"')
    assert chart_differences(FILES, changed) == ["changed: Chart.yaml"]


def test_differences_list_added_removed_changed():
    candidate = dict(FILES)
    candidate["templates/cm.yaml"] = b"kind: ConfigMap\ndata: {}\n"
    candidate["templates/new.yaml"] = b"kind: Secret\n"
    del candidate["values.yaml"]
    assert chart_differences(FILES, candidate) == [
        "changed: templates/cm.yaml", "added: templates/new.yaml", "removed: values.yaml"]
