"""Builds the images the local cluster's real node needs where it cannot pull them, as OCI
image-layout tars that scripts/local-node.sh imports under the references the chart and the
manifests use (so no value changes for the tests):

    pause     registry.k8s.io/pause:3.10           pause.c, static (the pod sandbox)
    dbbat     ghcr.io/fclairamb/dbbat:<appVersion>  DBBat built from its source, laid out as the
                                                    upstream image (distroless base, nonroot)
    postgres  docker.io/library/postgres:17-alpine  the throwaway PostgreSQL of make deploy: a
                                                    stand-in made from Debian's postgresql-15

    python3 tools/images/build.py DEST_DIR [NAME...]

Each image is cached by its inputs (DEST_DIR/NAME.stamp): a second run with the same inputs
builds nothing. DBBAT_SOURCE names DBBat's source (a .tar.gz or a folder; default: the one in
../shared/upstream/ beside the checkout, at the chart's appVersion).
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oci  # noqa: E402  (a sibling module, not a package)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
APP_VERSION = re.search(r'^appVersion:\s*"?([^"\s]+)"?', (ROOT / "charts/dbbat/Chart.yaml").read_text(), re.M)[1]
LOCAL_LABEL = "local.dbbat.build"   # says an image was made here, not pulled from its registry


def sha256(*parts):
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else str(part).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def file_hash(path):
    path = Path(path)
    if path.is_dir():
        return sha256(*(f"{p.relative_to(path)}:{file_hash(p)}" for p in sorted(path.rglob("*")) if p.is_file()))
    return sha256(path.read_bytes())


def output(*argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kwargs).stdout.strip()


def debian_version(package):
    try:
        return output("dpkg-query", "-W", "-f=${Version}", package)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "absent"


OWN_FILES = [Path(__file__), HERE / "oci.py"]


# -- pause -------------------------------------------------------------------------------------
def pause_inputs():
    return [*OWN_FILES, HERE / "pause.c"], [output("gcc", "--version").splitlines()[0]]


def build_pause(work):
    binary = work / "pause"
    subprocess.run(["gcc", "-static", "-Os", "-s", "-o", binary, HERE / "pause.c"], check=True)
    layer = oci.layer_tar([oci.Entry("/pause", 0o755, src=str(binary))])
    return [layer], {"Entrypoint": ["/pause"], "User": "65535:65535"}, {}


# -- dbbat ---------------------------------------------------------------------------------------
class SourceMissing(Exception):
    pass


def dbbat_source():
    source = Path(os.environ.get("DBBAT_SOURCE") or ROOT.parent / "shared" / "upstream" / f"dbbat-{APP_VERSION}-src.tar.gz")
    if not source.exists():
        raise SourceMissing(f"DBBat's source not found at {source}: set DBBAT_SOURCE to a DBBat source tarball or "
                            "folder, or use a machine that can pull ghcr.io/fclairamb/dbbat (DBBAT_NODE_IMAGES=pull)")
    return source


def dbbat_inputs():
    return [*OWN_FILES, dbbat_source(), Path("/etc/ssl/certs/ca-certificates.crt")], \
        [APP_VERSION, output("go", "version"), debian_version("tzdata"), debian_version("ca-certificates")]


# The distroless base's accounts (gcr.io/distroless/base-debian13:nonroot).
PASSWD = b"root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" \
         b"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
GROUP = b"root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n"


def build_dbbat(work):
    source = dbbat_source()
    if source.is_dir():
        src = source
    else:
        with tarfile.open(source) as tar:
            tar.extractall(work, filter="tar") if hasattr(tarfile, "data_filter") else tar.extractall(work)
        src = next(p for p in work.iterdir() if (p / "go.mod").exists())
    binary = work / "dbbat"
    # The upstream build (its Dockerfile and ../shared/upstream/README.md): static, trimmed, versioned.
    env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=readonly")
    subprocess.run(["go", "build", "-trimpath", "-ldflags",
                    f"-s -w -X github.com/fclairamb/dbbat/internal/version.Version={APP_VERSION}",
                    "-o", binary, "."], cwd=src, env=env, check=True)
    base = [
        oci.Entry("/etc", 0o755, directory=True),
        oci.Entry("/etc/passwd", data=PASSWD), oci.Entry("/etc/group", data=GROUP),
        oci.Entry("/etc/nsswitch.conf", data=b"passwd: files\ngroup: files\nhosts: files dns\n"),
        oci.Entry("/etc/ssl", 0o755, directory=True), oci.Entry("/etc/ssl/certs", 0o755, directory=True),
        oci.Entry("/etc/ssl/certs/ca-certificates.crt", src="/etc/ssl/certs/ca-certificates.crt"),
        oci.Entry("/home", 0o755, directory=True),
        oci.Entry("/home/nonroot", 0o700, 65532, 65532, directory=True),
        oci.Entry("/tmp", 0o1777, directory=True),
        oci.Entry("/usr", 0o755, directory=True), oci.Entry("/usr/share", 0o755, directory=True),
        *oci.tree("/usr/share/zoneinfo", "/usr/share/zoneinfo"),
    ]
    app = [oci.Entry("/app", 0o755, directory=True), oci.Entry("/app/dbbat", 0o755, src=str(binary))]
    config = {"Cmd": ["./dbbat"], "WorkingDir": "/app", "User": "65532:65532",
              "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                      "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]}
    labels = {"org.opencontainers.image.source": "https://github.com/fclairamb/dbbat",
              "org.opencontainers.image.version": APP_VERSION,
              LOCAL_LABEL: f"built from {source.name} by tools/images/build.py, mirroring the upstream image"}
    return [oci.layer_tar(base), oci.layer_tar(app)], config, labels


# -- postgres ----------------------------------------------------------------------------------------
PG_PACKAGE = "postgresql-15"


def postgres_inputs():
    candidate = output("apt-cache", "policy", PG_PACKAGE)
    version = re.search(r"Candidate:\s*(\S+)", candidate)
    if not version or version[1] == "(none)":
        sys.exit(f"[images] {PG_PACKAGE} is not in this machine's apt sources: run apt-get update")
    return [*OWN_FILES, HERE / "postgres-entrypoint.sh"], [version[1]]


def build_postgres(work):
    if not shutil.which("mmdebstrap"):
        sys.exit("[images] mmdebstrap is needed for the PostgreSQL image: apt-get install mmdebstrap")
    rootfs = work / "rootfs.tar"
    # No documentation, and no LLVM: it serves only PostgreSQL's JIT (off in the entrypoint) and
    # is most of the size (about 400 MB of root filesystem with it).
    excludes = [f"--dpkgopt=path-exclude={p}" for p in (
        *(f"/usr/share/{d}/*" for d in ("doc", "man", "locale", "info", "lintian")),
        "/usr/lib/x86_64-linux-gnu/libLLVM*", "/usr/lib/postgresql/*/lib/llvmjit*", "/usr/lib/postgresql/*/lib/bitcode/*")]
    # The machine's own apt sources (mmdebstrap reads them with no mirror given), Debian's release.
    suite = output("sh", "-c", ". /etc/os-release && echo $VERSION_CODENAME")
    subprocess.run(["mmdebstrap", "--quiet", "--mode=root", "--variant=essential", f"--include={PG_PACKAGE}",
                    *excludes, suite, rootfs], check=True, env=dict(os.environ, SOURCE_DATE_EPOCH="0"))
    bin_dir = "/usr/lib/postgresql/15/bin"
    with tarfile.open(rootfs) as tar:
        passwd = tar.extractfile("./etc/passwd").read().decode()
    uid, gid = (int(n) for n in re.search(r"^postgres:[^:]*:(\d+):(\d+):", passwd, re.M).groups())
    extra = [oci.Entry("/usr/local/bin/docker-entrypoint.sh", 0o755, src=str(HERE / "postgres-entrypoint.sh")),
             oci.Entry("/var/lib/postgresql/data", 0o777, directory=True),
             # The server's socket folder (pg_isready's default), which the package's scripts make at boot.
             oci.Entry("/run/postgresql", 0o2775, uid, gid, directory=True)]
    config = {"Entrypoint": ["docker-entrypoint.sh"], "User": "postgres", "WorkingDir": "/var/lib/postgresql",
              "Env": [f"PATH={bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                      "PGDATA=/var/lib/postgresql/data/pgdata"],
              "ExposedPorts": {"5432/tcp": {}}}
    labels = {LOCAL_LABEL: f"a stand-in for postgres:17-alpine, built from Debian's {PG_PACKAGE} by tools/images/build.py"}
    return [rootfs.read_bytes(), oci.layer_tar(extra)], config, labels


IMAGES = {
    "pause": ("registry.k8s.io/pause:3.10", pause_inputs, build_pause),
    "dbbat": (f"ghcr.io/fclairamb/dbbat:{APP_VERSION}", dbbat_inputs, build_dbbat),
    "postgres": ("docker.io/library/postgres:17-alpine", postgres_inputs, build_postgres),
}


def build(dest, name):
    reference, inputs, make = IMAGES[name]
    files, facts = inputs()
    stamp = sha256(reference, *facts, *(file_hash(f) for f in files))
    out, stamp_file = dest / f"{name}.oci.tar", dest / f"{name}.stamp"
    if out.exists() and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"dbbat-image-{name}-") as work:
        layers, config, labels = make(Path(work))
        oci.write_layout_tar(out, reference, layers, config, labels)
    (dest / f"{name}.ref").write_text(reference + "\n")
    stamp_file.write_text(stamp + "\n")
    print(f"[images] {name}: {reference} built in {time.monotonic() - start:.0f} s, "
          f"{out.stat().st_size / 1e6:.0f} MB", file=sys.stderr)


def main(argv):
    if not argv:
        sys.exit(__doc__)
    dest = Path(argv[0])
    dest.mkdir(parents=True, exist_ok=True)
    names = argv[1:] or list(IMAGES)
    for name in names:
        if name not in IMAGES:
            sys.exit(f"[images] unknown image {name!r}: one of {', '.join(IMAGES)}")
        try:
            build(dest, name)
        except SourceMissing as err:
            # Named on purpose: an error. By default: the real node runs without DBBat's image, so
            # scripts/local-node.sh says the machine lacks it and the cluster has kwok nodes only.
            if os.environ.get("DBBAT_SOURCE"):
                sys.exit(f"[images] {err}")
            print(f"[images] warning: {err}; the local cluster will have no real node", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
