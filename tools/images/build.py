"""Build the images the local cluster's real node cannot pull here, as OCI image-layout tars that
`ctr -n k8s.io images import` takes under the very references the chart and the manifests use
(so no value changes for the tests):

    pause     registry.k8s.io/pause:3.10            pause/pause.c, static: the pod sandbox
    dbbat     ghcr.io/fclairamb/dbbat:<appVersion>   DBBat built from its source, laid out as the
                                                     upstream image (distroless base, nonroot)
    postgres  docker.io/library/postgres:17-alpine   a stand-in made from Debian's postgresql-15,
                                                     for molecule/resources/manifests/postgres.yml

    python3 tools/images/build.py DEST_DIR [pause|dbbat|postgres ...]   (default: all)

Each image goes to DEST_DIR/NAME.oci.tar, its reference to DEST_DIR/NAME.ref, and a hash of its
inputs to DEST_DIR/NAME.stamp: with the same inputs a second run builds nothing and prints
nothing. DBBAT_SOURCE names DBBat's source (a .tar.gz or a folder; default: the one in
../shared/upstream/ beside the checkout, at the chart's appVersion). Stdlib only: it runs with
the project's venv Python or the system's python3.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import oci  # noqa: E402  (a sibling file: tools/images is not a package)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHART = ROOT / "charts" / "dbbat" / "Chart.yaml"
# Says, on every image, that it was made here and not pulled from the registry its name points to.
LOCAL_LABEL = "io.github.fclairamb.dbbat-deploy.local-build"
STANDARD_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
ZONEINFO = Path("/usr/share/zoneinfo")
APT_LISTS = Path("/var/lib/apt/lists")
# What to install when a program is missing (Debian package names).
FIXES = {"gcc": "apt-get install gcc libc6-dev", "go": "install Go (https://go.dev/dl/) and put it on PATH",
         "mmdebstrap": "apt-get install mmdebstrap", "dpkg-query": "run this on Debian or Ubuntu",
         "apt-cache": "run this on Debian or Ubuntu"}


class BuildError(Exception):
    """Something an image needs is missing: the message names it and the fix."""


class DefaultSourceMissing(BuildError):
    """DBBat's source is not where it is by default (DBBAT_SOURCE unset)."""


# -- inputs: what a stamp is made of ---------------------------------------------------------------
def digest(*parts):
    """A short hash of ``parts``, each delimited so that ("ab", "c") and ("a", "bc") differ."""
    h = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode()
        h.update(b"%d:" % len(data) + data)
    return h.hexdigest()[:32]


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_digest(folder):
    """The content of a folder (names, file contents, link targets), .git left out: a checkout's
    history is not its source."""
    parts = []
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(files):
            path = Path(parent, name)
            rel = path.relative_to(folder).as_posix()
            parts.append(f"{rel} -> {os.readlink(path)}" if path.is_symlink() else f"{rel} {file_digest(path)}")
    return digest(*parts)


def run(*argv, **kwargs):
    """The stdout of a command that must succeed; a missing program is a BuildError with its fix."""
    if not shutil.which(argv[0]):
        raise BuildError(f"{argv[0]} not found: {FIXES.get(argv[0], 'install it')}")
    done = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise BuildError(f"`{' '.join(map(str, argv))}` failed ({done.returncode}):\n{done.stderr.strip()[-3000:]}")
    return done.stdout.strip()


def installed_version(package):
    """The version of a Debian package installed on this machine."""
    version = run("dpkg-query", "-W", "-f=${Version}", package)
    if not version:
        raise BuildError(f"the Debian package {package} is not installed: apt-get install {package}")
    return version


def app_version():
    found = re.search(r'^appVersion:\s*["\']?([^"\'\s]+)', CHART.read_text(), re.M)
    if not found:
        raise BuildError(f"no appVersion in {CHART}: the DBBat image is tagged with it")
    return found[1]


def own_files():
    return [file_digest(HERE / "build.py"), file_digest(HERE / "oci.py")]


@dataclass
class Image:
    name: str
    reference: str
    inputs: object   # () -> list of strings whose hash is the stamp
    build: object    # (work dir) -> (layers, config)


# -- pause -------------------------------------------------------------------------------------------
PAUSE_C = HERE / "pause" / "pause.c"


def pause_image():
    def inputs():
        # The C library is linked in (static): its version is part of the binary.
        return [file_digest(PAUSE_C), run("gcc", "--version").splitlines()[0], installed_version("libc6-dev")]

    def build(work):
        binary = work / "pause"
        run("gcc", "-static", "-Os", "-s", "-o", binary, PAUSE_C)
        layer = oci.layer_from_tree([oci.file("/pause", str(binary), 0o755)], work / "pause.tar.gz",
                                    "tools/images/pause/pause.c, gcc -static -Os -s")
        config = {"Entrypoint": ["/pause"], "User": "65535:65535",
                  "Labels": {LOCAL_LABEL: "built locally from tools/images/pause/pause.c by dbbat-deploy's "
                                          "tools/images/build.py, not Kubernetes' pause image"}}
        return [layer], config

    return Image("pause", "registry.k8s.io/pause:3.10", inputs, build)


# -- dbbat -------------------------------------------------------------------------------------------
def dbbat_source(version):
    given = os.environ.get("DBBAT_SOURCE")
    source = Path(given) if given else ROOT.parent / "shared" / "upstream" / f"dbbat-{version}-src.tar.gz"
    if not source.exists():
        error = DefaultSourceMissing if not given else BuildError
        raise error(f"DBBat's source not found at {source}: set DBBAT_SOURCE to a DBBat source tarball "
                    "(.tar.gz) or directory")
    return source


# The accounts of gcr.io/distroless/base-debian13:nonroot (its shell, /sbin/nologin, is not there
# either: nothing logs in).
PASSWD = (b"root:x:0:0:root:/root:/sbin/nologin\n"
          b"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
          b"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
GROUP = b"root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
# Go reads it for the order of name lookups; distroless has the same.
NSSWITCH = b"passwd: files\ngroup: files\nhosts: files dns\n"


def dbbat_base_entries():
    """The upstream runtime image's base, made of files: accounts, CA certificates, time zones,
    a writable /tmp, the nonroot home. No shell and no other program."""
    return [
        oci.directory("/etc"), oci.file("/etc/passwd", PASSWD), oci.file("/etc/group", GROUP),
        oci.file("/etc/nsswitch.conf", NSSWITCH),
        oci.directory("/etc/ssl"), oci.directory("/etc/ssl/certs"),
        oci.file(str(CA_BUNDLE), str(CA_BUNDLE)),
        oci.directory("/home"), oci.directory("/home/nonroot", 0o700, 65532, 65532),
        oci.directory("/root", 0o700),
        oci.directory("/tmp", 0o1777),
        oci.directory("/usr"), oci.directory("/usr/share"),
        *oci.tree(ZONEINFO, str(ZONEINFO), owner=(0, 0)),
    ]


def dbbat_image():
    version = app_version()

    def inputs():
        source = dbbat_source(version)
        return [version, tree_digest(source) if source.is_dir() else file_digest(source), run("go", "version"),
                installed_version("ca-certificates"), file_digest(CA_BUNDLE), installed_version("tzdata")]

    def build(work):
        source = dbbat_source(version)
        if source.is_dir():
            src = source
        else:
            with tarfile.open(source) as tar:
                tar.extractall(work / "src", filter="data")
            src = next((p.parent for p in sorted((work / "src").glob("*go.mod")) + sorted((work / "src").glob("*/go.mod"))),
                       None)
            if src is None:
                raise BuildError(f"{source} holds no go.mod (at its top or one folder down): "
                                 "set DBBAT_SOURCE to a DBBat source tarball or directory")
        binary = work / "dbbat"
        # The upstream release build (its Dockerfile; ../shared/upstream/README.md): static,
        # trimmed paths, no symbols, the version stamped in.
        env = dict(os.environ, CGO_ENABLED="0", GOFLAGS="-mod=readonly")
        run("go", "build", "-trimpath", "-ldflags",
            f"-s -w -X github.com/fclairamb/dbbat/internal/version.Version={version}", "-o", binary, ".",
            cwd=src, env=env)
        base = oci.layer_from_tree(dbbat_base_entries(), work / "base.tar.gz",
                                   "accounts, CA certificates and time zones as in distroless base-debian13:nonroot")
        app = oci.layer_from_tree([oci.directory("/app"), oci.file("/app/dbbat", str(binary), 0o755)],
                                  work / "app.tar.gz", f"DBBat {version}, go build from {source.name}")
        config = {
            "Cmd": ["./dbbat"], "WorkingDir": "/app", "User": "65532:65532",
            "Env": [STANDARD_PATH, f"SSL_CERT_FILE={CA_BUNDLE}"],
            "Labels": {"org.opencontainers.image.source": "https://github.com/fclairamb/dbbat",
                       "org.opencontainers.image.version": version,
                       LOCAL_LABEL: f"built locally from DBBat's source ({source.name}) by dbbat-deploy's "
                                    "tools/images/build.py, in the layout of the upstream image; not the "
                                    "upstream image (no web UI bundle)"},
        }
        return [base, app], config

    return Image("dbbat", f"ghcr.io/fclairamb/dbbat:{version}", inputs, build)


# -- postgres ----------------------------------------------------------------------------------------
# Bookworm's PostgreSQL (the machine's own Debian release) and bookworm's package names below.
PG_PACKAGE = "postgresql-15"
PG_BIN = "/usr/lib/postgresql/15/bin"
ENTRYPOINT = HERE / "postgres" / "entrypoint.sh"
# Never unpacked: reading matter (documentation but its copyright files, manuals, translations)
# and JIT's plug-in (without it PostgreSQL simply has no JIT; with it and no LLVM, a query that
# crosses the JIT cost would fail).
PATH_EXCLUDES = ["/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*",
                 "/usr/share/lintian/*", "/usr/share/postgresql/*/man/*",
                 "/usr/lib/postgresql/*/lib/llvmjit*", "/usr/lib/postgresql/*/lib/bitcode/*"]
PATH_INCLUDES = ["/usr/share/doc/*/copyright"]
# Dependencies purged once everything is configured: perl only serves postgresql-common's
# wrappers and scripts (the image calls PostgreSQL's own programs), LLVM and z3 only JIT,
# locales only locale-gen (C.UTF-8 is libc-bin's), ssl-cert made a private key that would be the
# same in every container (and openssl came with it).
PURGED = ["perl", "perl-modules-5.36", "libperl5.36", "libllvm14", "libz3-4", "locales", "ssl-cert", "openssl"]
# Written before PostgreSQL is installed: the package would make a cluster in /var/lib/postgresql,
# where the entrypoint makes its own, in the volume, at the first start.
NO_MAIN_CLUSTER = ('mkdir -p "$1/etc/postgresql-common/createcluster.d" && '
                   'echo "create_main_cluster = false" > "$1/etc/postgresql-common/createcluster.d/no-main-cluster.conf"')
# Size, bookworm in December 2026: 155 MB of root filesystem, a 50 MB layer (275 MB with a
# main cluster, perl and LLVM; 120 MB more with LLVM unpacked).
ROOTFS_CACHE = "postgres-rootfs"


def debian_suite():
    found = re.search(r"^VERSION_CODENAME=\"?(\w+)", Path("/etc/os-release").read_text(), re.M)
    if not found:
        raise BuildError("no VERSION_CODENAME in /etc/os-release: the PostgreSQL image is built from "
                         "this machine's Debian release (Debian 12, bookworm)")
    return found[1]


def apt_sources():
    """This machine's own apt sources (mmdebstrap takes each file as a mirror)."""
    found = [p for p in [Path("/etc/apt/sources.list")] if p.exists() and re.search(r"^\s*deb\s", p.read_text(), re.M)]
    found += sorted(p for p in Path("/etc/apt/sources.list.d").glob("*") if p.suffix in (".list", ".sources"))
    if not found:
        raise BuildError("no apt sources in /etc/apt/sources.list(.d): the PostgreSQL image is made from them")
    return found


def mmdebstrap_argv(suite, sources, target):
    return ["mmdebstrap", "--quiet", "--mode=root", "--variant=essential", f"--include={PG_PACKAGE}",
            *(f"--dpkgopt=path-exclude={p}" for p in PATH_EXCLUDES),
            *(f"--dpkgopt=path-include={p}" for p in PATH_INCLUDES),
            f"--essential-hook={NO_MAIN_CLUSTER}",
            f'--customize-hook=chroot "$1" dpkg --purge --force-depends {" ".join(PURGED)}',
            suite, str(target), *map(str, sources)]


def lists_digest():
    """Changes whenever `apt-get update` brought new indexes (their signed Release files)."""
    return digest(*(f"{p.name} {file_digest(p)}" for p in sorted(APT_LISTS.glob("*Release"))))


def candidates(packages):
    """The versions apt would install now, per package."""
    found = dict(re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (\S+)",
                            run("apt-cache", "policy", *packages), re.M))
    return {p: found.get(p, "(none)") for p in packages}


class RootfsCache:
    """The root filesystem layer, kept in DEST_DIR/cache/: it takes a minute and a half and the
    network to make, and other changes (the entrypoint, these scripts) do not need a new one.
    It is valid while the mmdebstrap command is the same and apt would install the same versions
    of the packages in it. Asking apt takes a second, too long for a run that builds nothing: the
    versions are asked again only when the apt indexes changed."""

    def __init__(self, dest):
        self.layer_path = dest / "cache" / f"{ROOTFS_CACHE}.tar.gz"
        self.meta_path = dest / "cache" / f"{ROOTFS_CACHE}.json"

    def key(self):
        argv = mmdebstrap_argv(debian_suite(), apt_sources(), "TARGET")
        return digest(*argv, file_digest(HERE / "oci.py"))

    def meta(self):
        """The cache's note, its package versions brought up to date with apt's indexes; None
        when there is no cache."""
        if not (self.layer_path.exists() and self.meta_path.exists()):
            return None
        meta = json.loads(self.meta_path.read_text())
        lists = lists_digest()
        if meta["lists"] != lists:
            meta["candidates"], meta["lists"] = candidates(sorted(meta["packages"])), lists
            if meta["candidates"] == meta["packages"]:
                self.meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True))
        return meta

    def valid(self, meta):
        return meta is not None and meta["key"] == self.key() and meta.get("candidates", meta["packages"]) == meta["packages"]

    def make(self, work):
        rootfs = work / "rootfs"
        # SOURCE_DATE_EPOCH: the dates mmdebstrap writes in files are 0, as the layer's are.
        run(*mmdebstrap_argv(debian_suite(), apt_sources(), rootfs), env=dict(os.environ, SOURCE_DATE_EPOCH="0"))
        installed = dict(line.split("\t") for line in run(
            "dpkg-query", f"--admindir={rootfs}/var/lib/dpkg", "-W", "-f=${Package}\t${Version}\n").splitlines())
        account = re.search(r"^postgres:[^:]*:(\d+):(\d+):", (rootfs / "etc" / "passwd").read_text(), re.M)
        if not account:
            raise BuildError(f"{PG_PACKAGE} made no postgres account in the root filesystem: see the mmdebstrap "
                             f"command in {HERE / 'build.py'}")
        # The runtime mounts its own /dev (mmdebstrap left device nodes and links there).
        entries = [e for e in oci.tree(rootfs, "/") if not e.path.startswith("/dev/")]
        self.layer_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.layer_path.with_suffix(".tmp")
        oci.layer_from_tree(entries, tmp)
        os.replace(tmp, self.layer_path)
        meta = {"key": self.key(), "lists": lists_digest(), "packages": candidates(sorted(installed)),
                "postgresql": installed[PG_PACKAGE], "uid": int(account[1]), "gid": int(account[2])}
        self.meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True))
        return meta


def postgres_image(dest):
    cache = RootfsCache(dest)

    def inputs():
        if os.geteuid() != 0:
            raise BuildError("the PostgreSQL image needs root (mmdebstrap --mode=root, and a root filesystem's "
                             "owners): run it as root, or build only pause and dbbat")
        if not shutil.which("mmdebstrap"):
            raise BuildError(f"mmdebstrap not found: {FIXES['mmdebstrap']}")
        meta = cache.meta()
        rootfs = json.dumps(meta["candidates" if "candidates" in meta else "packages"], sort_keys=True) if meta else "none"
        return [file_digest(ENTRYPOINT), cache.key(), rootfs]

    def build(work):
        meta = cache.meta()
        if not cache.valid(meta):
            meta = cache.make(work)
        rootfs = oci.load_layer(cache.layer_path, f"mmdebstrap --variant=essential --include={PG_PACKAGE} "
                                                  f"({meta['postgresql']}), perl, LLVM and locales purged")
        uid, gid = meta["uid"], meta["gid"]
        own = oci.layer_from_tree([
            oci.directory("/usr/local/bin"),
            oci.file("/usr/local/bin/docker-entrypoint.sh", str(ENTRYPOINT), 0o755),
            # PostgreSQL's own programs, ahead of Debian's perl wrappers of the same names in /usr/bin.
            *(oci.symlink(f"/usr/local/bin/{p}", f"{PG_BIN}/{p}") for p in ("postgres", "initdb", "pg_isready", "psql")),
            oci.directory("/var/lib/postgresql/data", 0o1777, uid, gid),
            # The server's socket folder, pg_isready's and psql's default (Debian makes it at boot).
            oci.directory("/run/postgresql", 0o2775, uid, gid),
        ], work / "own.tar.gz", "tools/images/postgres/entrypoint.sh, PostgreSQL's programs on PATH")
        config = {
            "Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["postgres"],
            # Numeric, so that a pod with runAsNonRoot can run it (the kubelet cannot check a name).
            "User": f"{uid}:{gid}",
            "WorkingDir": "/var/lib/postgresql",
            "Env": [STANDARD_PATH, "LANG=C.UTF-8", "PGDATA=/var/lib/postgresql/data/pgdata"],
            "ExposedPorts": {"5432/tcp": {}},
            "StopSignal": "SIGINT",
            "Labels": {"org.opencontainers.image.source": "https://salsa.debian.org/postgresql/postgresql",
                       "org.opencontainers.image.version": meta["postgresql"],
                       LOCAL_LABEL: f"a local stand-in built from Debian's {PG_PACKAGE} {meta['postgresql']} by "
                                    "dbbat-deploy's tools/images/build.py; only the reference is postgres:17-alpine's"},
        }
        return [rootfs, own], config

    return Image("postgres", "docker.io/library/postgres:17-alpine", inputs, build)


# -- the run -----------------------------------------------------------------------------------------
def scratch():
    """A scratch folder, removed by ``remove_scratch``."""
    return Path(tempfile.mkdtemp(prefix="dbbat-images-"))


def remove_scratch(work):
    """Remove the scratch folder, unless something is still mounted in it: mmdebstrap mounts
    /dev, /proc and /sys in the root filesystem while it works, and removing through those
    would remove the machine's own."""
    mounted = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
               if line.split()[4].startswith(f"{work}/")]
    if mounted:
        raise BuildError(f"{', '.join(mounted)} still mounted: run `umount -R {mounted[0]}` for each, "
                         f"then remove {work}")
    shutil.rmtree(work)


def build(dest, image):
    """Build ``image`` into ``dest`` unless its stamp says its inputs are the same."""
    out, ref, stamp_file = (dest / f"{image.name}.{ext}" for ext in ("oci.tar", "ref", "stamp"))
    stamp = digest(image.reference, *own_files(), *image.inputs())
    if out.exists() and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return
    start = time.monotonic()
    work = scratch()
    try:
        layers, config = image.build(work)
        oci.write_layout_tar(out, image.reference, layers, config)
    finally:
        remove_scratch(work)
    ref.write_text(image.reference + "\n")
    stamp_file.write_text(stamp + "\n")
    print(f"[images] {image.name}: built in {time.monotonic() - start:.0f} s, "
          f"{out.stat().st_size / 1e6:.0f} MB", file=sys.stderr)


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    dest = Path(argv[0]).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    makers = {"pause": pause_image, "dbbat": dbbat_image, "postgres": lambda: postgres_image(dest)}
    names = argv[1:] or list(makers)
    unknown = [n for n in names if n not in makers]
    if unknown:
        print(f"[images] error: unknown image {', '.join(unknown)}: the images are {', '.join(makers)}", file=sys.stderr)
        return 2
    for name in names:
        try:
            build(dest, makers[name]())
        except DefaultSourceMissing as err:
            # Not an error: without DBBat's source the local cluster runs with kwok nodes only
            # (scripts/local-node.sh says why). A DBBAT_SOURCE that is not there is an error.
            print(f"[images] warning: {err}; the local cluster will have no real node", file=sys.stderr)
        except BuildError as err:
            print(f"[images] error: {name}: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
