# -*- coding: utf-8 -*-
# Copyright: (c) 2026, Florent Clairambault <florent@clairambault.fr>
# MIT License (see https://opensource.org/licenses/MIT)
"""Chart archives: a reproducible form of a packaged chart, the fingerprint of a chart's source,
and file comparisons.

``helm package`` is not reproducible: Helm 3 stamps every file with the packaging time, Helm 4
with the files' modification times (which a fresh checkout resets). ``canonical_archive`` rewrites
helm's archive so that the same source always gives the same bytes, hence the same digest,
whichever Helm major packaged it and whenever: ``Chart.yaml`` first then the other files in byte
order of their paths, mode 0644, owner 0/0 without names, time 0, no directories, PAX tar, then
gzip at level 6 (zlib's default) with no name and time 0. Pushed as is, its digest is the chart
layer digest of the registry's manifest.

The source fingerprint (``source_fingerprint``) is a digest of every file under the chart
directory, of the version and of the appVersion override: what ``helm package`` makes the archive
from. Written as an annotation of the archive's Chart.yaml, which ``helm push`` (Helm 3 and 4)
copies into the registry's manifest, it lets a later publish of the same source recognise its own
chart from the manifest alone, without reading the chart or packaging it again.

Pure functions (bytes in, bytes or data out), except ``source_file_digests`` which reads a directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import os
import struct
import tarfile
import zlib


# The Chart.yaml annotation (hence the manifest's) that carries the source fingerprint, and the
# version of the fingerprint's format.
FINGERPRINT_ANNOTATION = "dbbat.fclairamb.github.io/chart-source"
FINGERPRINT_FORMAT = b"fclairamb.dbbat chart source v1\0"
# Beyond this, fingerprinting the source costs more than helm package (which honours .helmignore).
MAX_SOURCE_FILES = 2000
MAX_SOURCE_BYTES = 16 * 1024 * 1024


def sha256_digest(data):
    """The OCI digest of ``data``: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def archive_name(name, version):
    """The file name helm gives a packaged chart (and that its provenance file refers to)."""
    return "%s-%s.tgz" % (name, version)


def _open(archive):
    if isinstance(archive, bytes):
        return tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz")
    return tarfile.open(name=archive, mode="r:gz")


def _members(archive):
    """``[(name in the archive, bytes)]`` of the regular files of a chart archive (path or bytes)."""
    members = []
    with _open(archive) as tar:
        for member in tar.getmembers():
            if member.isdir():
                continue
            if not member.isfile():
                raise ValueError("%s is not a regular file (a chart archive holds only files)" % member.name)
            members.append((member.name, tar.extractfile(member).read()))
    return members


def _chart_path(name):
    """``(top directory, path inside the chart)`` of an archive member name."""
    top, _sep, path = name.lstrip("./").partition("/")
    return top, path


def gzip_bytes(data):
    """``data`` gzipped at level 6 with a fixed header (no name, time 0, unknown OS): the same input
    always gives the same bytes (with the same zlib)."""
    header = b"\x1f\x8b\x08" + struct.pack("<BIBB", 0, 0, 0, 255)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS, 8, 0)
    body = compressor.compress(data) + compressor.flush()
    return header + body + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)


def canonical_archive(archive, fingerprint=None):
    """The reproducible form of a packaged chart (a path or bytes), as bytes; see the module docstring.
    ``fingerprint`` (a ``source_fingerprint``) goes into Chart.yaml's annotations."""
    members = _members(archive)
    if fingerprint:
        members = [(name, _annotated(content, fingerprint) if _chart_path(name)[1] == "Chart.yaml" else content)
                   for name, content in members]
    names = [name for name, _content in members]
    if len(set(names)) != len(names):
        raise ValueError("the archive holds the same path twice")
    tops = set(_chart_path(name)[0] for name in names)
    if len(tops) != 1:
        raise ValueError("a chart archive holds one top directory, this one holds %d" % len(tops))
    members.sort(key=lambda member: (_chart_path(member[0])[1] != "Chart.yaml", member[0].encode("utf-8")))
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in members:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(content))
    return gzip_bytes(raw.getvalue())


def _yaml():
    import yaml  # only needed to write or compare Chart.yaml, so not imported up front (it takes ~15 ms)
    return yaml


def _annotated(chart_yaml, fingerprint):
    """Chart.yaml with the source fingerprint among its annotations (written as data: Helm 3 and 4
    serialize the same metadata differently, and this form is the same for both)."""
    metadata = _yaml().safe_load(chart_yaml)
    if not isinstance(metadata, dict):
        raise ValueError("Chart.yaml is not a mapping")
    metadata["annotations"] = dict(metadata.get("annotations") or {}, **{FINGERPRINT_ANNOTATION: fingerprint})
    return _yaml().safe_dump(metadata, sort_keys=True, default_flow_style=False, allow_unicode=True).encode("utf-8")


def annotations_fingerprint(annotations):
    """The source fingerprint among annotations (a manifest's, or Chart.yaml's), or None."""
    value = (annotations or {}).get(FINGERPRINT_ANNOTATION) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) and value.startswith("sha256:") else None


def archive_fingerprint(archive):
    """The source fingerprint in a packaged chart's Chart.yaml (written by ``canonical_archive``), or None."""
    try:
        metadata = _yaml().safe_load(chart_files(archive).get("Chart.yaml") or b"")
    except (ValueError, tarfile.TarError, OSError, _yaml().YAMLError):
        return None
    return annotations_fingerprint((metadata or {}).get("annotations") if isinstance(metadata, dict) else None)


def source_fingerprint(file_digests, version, app_version=None):
    """``sha256:...`` of a chart's source: ``{relative path: sha256 hex of its content}`` of every
    file under the chart directory, the chart version and the appVersion override (None: none)."""
    digest = hashlib.sha256(FINGERPRINT_FORMAT)
    for label, value in (("version", version), ("app_version", app_version)):
        digest.update(label.encode("ascii") + b"\0")
        digest.update(b"\1" if value is None else b"\2" + value.encode("utf-8"))
        digest.update(b"\0")
    for path in sorted(file_digests):
        digest.update(path.encode("utf-8") + b"\0" + file_digests[path].encode("ascii") + b"\0")
    return "sha256:" + digest.hexdigest()


def source_file_digests(chart_dir, max_files=MAX_SOURCE_FILES, max_bytes=MAX_SOURCE_BYTES):
    """``{relative path: sha256 hex}`` of every file under ``chart_dir``, following symbolic links as
    helm does. Raises ValueError when the directory is larger than the limits (fingerprinting it
    would cost more than packaging it) or holds a symbolic link loop, OSError when a file cannot be read."""
    digests = {}
    total = 0
    seen = set()
    for root, dirs, names in os.walk(chart_dir, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            raise ValueError("symbolic link loop at %s" % root)
        seen.add(real)
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                content = handle.read(max_bytes - total + 1)
            total += len(content)
            if total > max_bytes or len(digests) >= max_files:
                raise ValueError("more than %d files or %d bytes" % (max_files, max_bytes))
            digests[os.path.relpath(path, chart_dir).replace(os.sep, "/")] = hashlib.sha256(content).hexdigest()
    return digests


def chart_files(archive):
    """``{path inside the chart: bytes}`` of a packaged chart (a path or bytes), top directory removed.

    Archive metadata (timestamps, owners, ordering, compression) is ignored on purpose:
    two packagings of the same files are the same chart.
    """
    files = {}
    for name, content in _members(archive):
        _top, path = _chart_path(name)
        if path:
            files[path] = content
    return files


def _without_fingerprint(metadata):
    # The fingerprint says where a chart came from, not what it is: two sources may package alike.
    if isinstance(metadata, dict) and FINGERPRINT_ANNOTATION in (metadata.get("annotations") or {}):
        annotations = dict(metadata["annotations"])
        del annotations[FINGERPRINT_ANNOTATION]
        metadata = dict(metadata, annotations=annotations)
        if not annotations:
            del metadata["annotations"]
    return metadata


def _same_chart_yaml(left, right):
    yaml = _yaml()
    try:
        return _without_fingerprint(yaml.safe_load(left)) == _without_fingerprint(yaml.safe_load(right))
    except yaml.YAMLError:
        return left == right


def chart_differences(published, candidate):
    """Sorted ``["changed: templates/x.yaml", "added: ...", "removed: ..."]``; empty when equal.

    Both arguments are ``chart_files`` results. ``Chart.yaml`` is compared as data, since
    Helm 3 and Helm 4 may serialize the same metadata differently, and without the source fingerprint.
    """
    differences = []
    for path in sorted(set(published) | set(candidate)):
        if path not in published:
            differences.append("added: %s" % path)
        elif path not in candidate:
            differences.append("removed: %s" % path)
        elif published[path] != candidate[path]:
            same = path == "Chart.yaml" and _same_chart_yaml(published[path], candidate[path])
            if not same:
                differences.append("changed: %s" % path)
    return differences
