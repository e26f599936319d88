"""A small OCI image-layout writer: enough to make the images of the local cluster's real node
from files on this machine, with no registry and no container engine (tools/images/build.py).

Layers are deterministic (entries sorted, owners numeric, times 0, gzip without a time), so the
same inputs give the same digests, and `ctr images import` takes the layout tar under the
reference its index names (annotation io.containerd.image.name).
"""
import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"


@dataclass(frozen=True)
class Entry:
    """One path of a layer: a file (``data`` bytes or ``src`` path), a directory, or a symlink."""
    path: str
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    data: bytes = None
    src: str = None
    link: str = None
    directory: bool = False


def tree(host_dir, image_dir):
    """Entries for a host directory tree, placed at ``image_dir`` in the image, owned by root."""
    entries = [Entry(image_dir, 0o755, directory=True)]
    for parent, dirs, files in os.walk(host_dir):
        rel = os.path.relpath(parent, host_dir)
        base = image_dir if rel == "." else f"{image_dir}/{rel}"
        for name in sorted(dirs + files):
            src = os.path.join(parent, name)
            target = f"{base}/{name}"
            if os.path.islink(src):
                entries.append(Entry(target, 0o777, link=os.readlink(src)))
            elif os.path.isdir(src):
                entries.append(Entry(target, 0o755, directory=True))
            else:
                entries.append(Entry(target, os.stat(src).st_mode & 0o777, src=src))
    return entries


def _tar_info(entry):
    info = tarfile.TarInfo(entry.path.lstrip("/"))
    info.mode, info.uid, info.gid, info.mtime = entry.mode, entry.uid, entry.gid, 0
    if entry.directory:
        info.type = tarfile.DIRTYPE
    elif entry.link is not None:
        info.type, info.linkname = tarfile.SYMTYPE, entry.link
    return info


def layer_tar(entries):
    """The uncompressed tar of ``entries`` (parents before children, each path once)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in sorted({e.path: e for e in entries}.values(), key=lambda e: e.path.strip("/")):
            info = _tar_info(entry)
            if entry.directory or entry.link is not None:
                tar.addfile(info)
                continue
            data = entry.data if entry.data is not None else open(entry.src, "rb").read()
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_config(layers, config, labels=None, history=None):
    """The image configuration: ``config`` (Entrypoint, Cmd, User, WorkingDir, Env…) for
    linux/amd64, with the diff ids of the uncompressed ``layers``."""
    return {
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": dict(config, Labels=labels or {}),
        "rootfs": {"type": "layers", "diff_ids": [_digest(layer) for layer in layers]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": line} for line in (history or [])],
    }


def write_layout_tar(out_path, reference, layers, config, labels=None, history=None):
    """Write the OCI image layout of one image (``layers``: uncompressed tars, bottom first) to
    ``out_path`` as a tar; returns the manifest's digest."""
    compressed = [gzip.compress(layer, compresslevel=1, mtime=0) for layer in layers]
    config_blob = json.dumps(image_config(layers, config, labels, history), sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": _digest(config_blob), "size": len(config_blob)},
        "layers": [{"mediaType": LAYER_TYPE, "digest": _digest(blob), "size": len(blob)} for blob in compressed],
    }, sort_keys=True).encode()
    tag = reference.rsplit(":", 1)[1]
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": MANIFEST_TYPE, "digest": _digest(manifest), "size": len(manifest),
        "annotations": {"io.containerd.image.name": reference, "org.opencontainers.image.ref.name": tag},
    }]}, sort_keys=True).encode()
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)]
    files += [("blobs/sha256/" + _digest(blob)[7:], blob) for blob in [config_blob, manifest, *compressed]]
    tmp = f"{out_path}.tmp"
    with tarfile.open(tmp, "w") as tar:
        for name, data in dict(files).items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, out_path)
    return _digest(manifest)
