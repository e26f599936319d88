"""A small OCI image-layout writer, stdlib only: the local cluster's real node cannot pull its
images here and the machine has no container engine, so tools/images/build.py lays the images
out from files itself, as tars that `ctr images import` takes.

Layers are deterministic (entries sorted, times 0, owners numeric with no names, gzip without a
time or a file name): the same inputs give the same bytes, so a digest changes only when what
is in the image does. Layers are streamed to files, never held in memory (a root filesystem is
hundreds of MB).
"""
import gzip
import hashlib
import io
import json
import os
import stat
import tarfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
# Every date in an image is the epoch: a date would make two builds of the same inputs differ.
EPOCH = "1970-01-01T00:00:00Z"
KINDS = ("file", "dir", "symlink", "hardlink")


@dataclass(frozen=True)
class Entry:
    """One path of a layer. ``kind``: "file" (content from ``source``: bytes, or a host path),
    "dir", "symlink" or "hardlink" (to ``target``; a hard link's target is a path of the same
    layer, which sorts before it)."""
    path: str
    kind: str = "file"
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    source: object = None
    target: str = None


def file(path, source, mode=0o644, uid=0, gid=0):
    return Entry(path, "file", mode, uid, gid, source=source)


def directory(path, mode=0o755, uid=0, gid=0):
    return Entry(path, "dir", mode, uid, gid)


def symlink(path, target, uid=0, gid=0):
    return Entry(path, "symlink", 0o777, uid, gid, target=target)


@dataclass(frozen=True)
class Layer:
    """A gzip-compressed layer tar on disk, with what the manifest and the config say of it."""
    path: Path
    digest: str     # of the compressed blob: the manifest names it
    size: int
    diff_id: str    # of the uncompressed tar: the config's rootfs names it, containerd checks it
    comment: str    # the config's history line for this layer


def _member_name(path):
    return path.strip("/")


def tree(host_dir, image_dir, owner=None):
    """Entries for a host directory and everything in it, placed at ``image_dir``. Modes (set-id
    and sticky bits included) are kept; ``owner`` (uid, gid) replaces every owner, None keeps the
    host's numeric ones (a root filesystem's ids are those of its own /etc/passwd). Files that
    share an inode become hard links to the first of them in layer order. Device nodes, fifos
    and sockets are left out: a container runtime mounts its own /dev."""
    host_dir = Path(host_dir)
    image_dir = "/" + _member_name(image_dir)
    found = [(host_dir, image_dir)]
    for parent, dirs, files in os.walk(host_dir):
        rel = Path(parent).relative_to(host_dir).as_posix()
        base = image_dir if rel == "." else f"{image_dir.rstrip('/')}/{rel}"
        found += [(Path(parent, name), f"{base.rstrip('/')}/{name}") for name in dirs + files]
    entries, first_of_inode = [], {}
    for host, path in sorted(found, key=lambda pair: _member_name(pair[1])):
        info = host.lstat()
        uid, gid = owner if owner else (info.st_uid, info.st_gid)
        mode = stat.S_IMODE(info.st_mode)
        if stat.S_ISLNK(info.st_mode):
            entries.append(Entry(path, "symlink", 0o777, uid, gid, target=os.readlink(host)))
        elif stat.S_ISDIR(info.st_mode):
            entries.append(Entry(path, "dir", mode, uid, gid))
        elif stat.S_ISREG(info.st_mode):
            inode = (info.st_dev, info.st_ino)
            if info.st_nlink > 1 and inode in first_of_inode:
                entries.append(Entry(path, "hardlink", mode, uid, gid, target=first_of_inode[inode]))
            else:
                first_of_inode[inode] = path
                entries.append(Entry(path, "file", mode, uid, gid, source=str(host)))
    return entries


def ordered(entries):
    """The entries of a layer in tar order: sorted by path (so a directory comes before what it
    holds), one per path, a later entry replacing an earlier one (to override a tree's file)."""
    by_path = {}
    for entry in entries:
        if entry.kind not in KINDS:
            raise ValueError(f"{entry.path}: kind {entry.kind!r} is not one of {', '.join(KINDS)}")
        if entry.kind == "file" and entry.source is None:
            raise ValueError(f"{entry.path}: a file needs a source (bytes or a host path)")
        if entry.kind in ("symlink", "hardlink") and not entry.target:
            raise ValueError(f"{entry.path}: a {entry.kind} needs a target")
        by_path[_member_name(entry.path)] = entry
    return [by_path[name] for name in sorted(by_path)]


def _tar_info(entry):
    info = tarfile.TarInfo(_member_name(entry.path))
    info.mode, info.uid, info.gid, info.mtime = entry.mode, entry.uid, entry.gid, 0
    info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                 "hardlink": tarfile.LNKTYPE}[entry.kind]
    if entry.kind == "hardlink":
        info.linkname = _member_name(entry.target)
    elif entry.kind == "symlink":
        info.linkname = entry.target
    return info


class _Hashing:
    """A write-only stream that hashes and counts what passes through to ``out``."""

    def __init__(self, out):
        self.out, self.hash, self.size = out, hashlib.sha256(), 0

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        return self.out.write(data)

    def flush(self):
        self.out.flush()

    def digest(self):
        return "sha256:" + self.hash.hexdigest()


def layer_from_tree(entries, out_path, comment=""):
    """Write the layer of ``entries`` to ``out_path`` (tar+gzip) and return it as a Layer."""
    out_path = Path(out_path)
    with open(out_path, "wb") as out:
        compressed = _Hashing(out)
        # filename="" and mtime=0: gzip would otherwise put the file's name and the time in its header.
        with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, mtime=0, compresslevel=6) as gz:
            uncompressed = _Hashing(gz)
            # "w|": a stream, so the tar is written straight through the hashes and gzip.
            with tarfile.open(fileobj=uncompressed, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for entry in ordered(entries):
                    _add(tar, entry)
    return Layer(out_path, compressed.digest(), compressed.size, uncompressed.digest(), comment)


def _add(tar, entry):
    info = _tar_info(entry)
    if entry.kind != "file":
        tar.addfile(info)
    elif isinstance(entry.source, bytes):
        info.size = len(entry.source)
        tar.addfile(info, io.BytesIO(entry.source))
    else:
        with open(entry.source, "rb") as source:
            info.size = os.fstat(source.fileno()).st_size
            tar.addfile(info, source)


def load_layer(path, comment=""):
    """A Layer for a tar+gzip written earlier (a cached one): its digests are read again from
    the file rather than trusted from a note beside it."""
    path = Path(path)
    compressed, uncompressed = hashlib.sha256(), hashlib.sha256()
    with open(path, "rb") as blob:
        for chunk in iter(lambda: blob.read(1 << 20), b""):
            compressed.update(chunk)
    with gzip.open(path, "rb") as tar:
        for chunk in iter(lambda: tar.read(1 << 20), b""):
            uncompressed.update(chunk)
    return Layer(path, "sha256:" + compressed.hexdigest(), path.stat().st_size,
                 "sha256:" + uncompressed.hexdigest(), comment)


# -- the layout: pure functions from layers and settings to JSON documents -----------------------
def canonical_json(document):
    """JSON bytes that depend only on the document (sorted keys, no spaces): digests are of bytes."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def split_reference(reference):
    """(name, tag) of a reference such as docker.io/library/postgres:17-alpine. A tag is required:
    containerd names the imported image after the whole reference, and a registry port
    (localhost:5000/x) is not a tag."""
    name, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag or "@" in reference or not name:
        raise ValueError(f"{reference!r} is not a NAME:TAG reference (a tag is needed, a digest is not taken)")
    return name, tag


def image_config(layers, config):
    """The image configuration for linux/amd64: ``config`` is its "config" part (Entrypoint, Cmd,
    Env, User, WorkingDir, Labels...)."""
    return {
        "architecture": "amd64", "os": "linux", "created": EPOCH, "config": config,
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
        "history": [{"created": EPOCH, "created_by": layer.comment} for layer in layers],
    }


def image_manifest(config_blob, layers):
    return {
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": digest_of(config_blob), "size": len(config_blob)},
        "layers": [{"mediaType": LAYER_TYPE, "digest": layer.digest, "size": layer.size} for layer in layers],
    }


def image_index(manifest_blob, reference):
    """The layout's index.json. `ctr images import` names the image after io.containerd.image.name;
    org.opencontainers.image.ref.name (the tag) is what the OCI layout spec itself reads."""
    _, tag = split_reference(reference)
    return {"schemaVersion": 2, "manifests": [{
        "mediaType": MANIFEST_TYPE, "digest": digest_of(manifest_blob), "size": len(manifest_blob),
        "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"io.containerd.image.name": reference, "org.opencontainers.image.ref.name": tag},
    }]}


def write_layout_tar(out_path, reference, layers, config):
    """Write the OCI image layout of one image (``layers`` bottom first) as a tar at ``out_path``,
    replacing it whole (a reader never sees half a file); return the manifest's digest."""
    config_blob = canonical_json(image_config(layers, config))
    manifest_blob = canonical_json(image_manifest(config_blob, layers))
    index_blob = canonical_json(image_index(manifest_blob, reference))
    members = {"oci-layout": canonical_json({"imageLayoutVersion": "1.0.0"}), "index.json": index_blob,
               _blob_name(digest_of(config_blob)): config_blob,
               _blob_name(digest_of(manifest_blob)): manifest_blob}
    members.update({_blob_name(layer.digest): layer.path for layer in layers})
    tmp = Path(f"{out_path}.tmp")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in members.items():
            _add(tar, file(name, content if isinstance(content, bytes) else str(content)))
    os.replace(tmp, out_path)
    return digest_of(manifest_blob)


def _blob_name(digest):
    algorithm, hexdigest = digest.split(":", 1)
    return f"blobs/{algorithm}/{hexdigest}"
