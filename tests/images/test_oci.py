"""tools/images/oci.py, the OCI image-layout writer of the real node's images: deterministic
layers, a layout whose digests, sizes and diff ids agree, entries as asked."""
import gzip
import hashlib
import io
import json
import sys
import tarfile

from testkit.paths import ROOT

sys.path.insert(0, str(ROOT / "tools" / "images"))
import oci  # noqa: E402

ENTRIES = [oci.Entry("/app", 0o755, directory=True), oci.Entry("/app/run", 0o755, 65532, 65532, data=b"#!x\n"),
           oci.Entry("/app/link", link="run"), oci.Entry("/tmp", 0o1777, directory=True)]


def read_layout(path):
    with tarfile.open(path) as tar:
        files = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    return files, json.loads(files["index.json"])


def blob(files, digest):
    data = files["blobs/sha256/" + digest.split(":", 1)[1]]
    assert "sha256:" + hashlib.sha256(data).hexdigest() == digest, "a blob's content matches its digest"
    return data


def test_the_same_entries_give_the_same_layer_and_manifest_digest(tmp_path):
    assert oci.layer_tar(ENTRIES) == oci.layer_tar(list(reversed(ENTRIES)))
    first = oci.write_layout_tar(tmp_path / "a.tar", "example.org/x:1", [oci.layer_tar(ENTRIES)], {"Cmd": ["x"]})
    second = oci.write_layout_tar(tmp_path / "b.tar", "example.org/x:1", [oci.layer_tar(ENTRIES)], {"Cmd": ["x"]})
    assert first == second


def test_the_layout_names_the_reference_and_its_digests_sizes_and_diff_ids_agree(tmp_path):
    layer = oci.layer_tar(ENTRIES)
    digest = oci.write_layout_tar(tmp_path / "i.tar", "ghcr.io/fclairamb/dbbat:0.25.2", [layer],
                                  {"User": "65532:65532"}, labels={"k": "v"})
    files, index = read_layout(tmp_path / "i.tar")
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    [entry] = index["manifests"]
    assert entry["digest"] == digest
    assert entry["annotations"] == {"io.containerd.image.name": "ghcr.io/fclairamb/dbbat:0.25.2",
                                    "org.opencontainers.image.ref.name": "0.25.2"}
    manifest = json.loads(blob(files, entry["digest"]))
    assert len(blob(files, entry["digest"])) == entry["size"]
    config = json.loads(blob(files, manifest["config"]["digest"]))
    assert config["config"]["User"] == "65532:65532" and config["config"]["Labels"] == {"k": "v"}
    [layer_ref] = manifest["layers"]
    compressed = blob(files, layer_ref["digest"])
    assert len(compressed) == layer_ref["size"]
    assert config["rootfs"]["diff_ids"] == ["sha256:" + hashlib.sha256(gzip.decompress(compressed)).hexdigest()]


def test_entries_keep_their_modes_owners_and_links():
    with tarfile.open(fileobj=io.BytesIO(oci.layer_tar(ENTRIES))) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert list(members) == ["app", "app/link", "app/run", "tmp"], "parents first, sorted"
    assert members["app/run"].mode == 0o755 and (members["app/run"].uid, members["app/run"].gid) == (65532, 65532)
    assert members["app/link"].issym() and members["app/link"].linkname == "run"
    assert members["tmp"].isdir() and members["tmp"].mode == 0o1777
    assert all(m.mtime == 0 and m.uname == "" for m in members.values())
