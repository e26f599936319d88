#!/usr/bin/env bash
# Builds the local Kubernetes cluster's programs from Go modules (through the Go module proxy),
# pinned by the go.mod/go.sum of the modules next to this script:
#
#   kubernetes/  kube-apiserver, kube-controller-manager, kube-scheduler, and the real node's
#                kubelet and kube-proxy (k8s.io/kubernetes, one pin for all)
#   etcd/        etcd (go.etcd.io/etcd/server/v3)
#   kwok/        kwok (the simulated kubelets) and kwokctl (sigs.k8s.io/kwok)
#   containerd/  the real node's container runtime: containerd, its runc shim, ctr
#   runc/        runc (cgo, with seccomp: the chart's pods ask for the RuntimeDefault profile)
#   cni/         the CNI plugins bridge, host-local, loopback, portmap
#   coredns/     CoreDNS with the plugins the node's Corefile uses (main.go)
#   crictl/      crictl (cri-tools), to inspect and clean the node's pods
#
#   tools/cluster/build.sh DEST_DIR
#
# The binaries land in DEST_DIR with a stamp naming the modules' content: a second run with
# nothing changed only compares the stamp. Cold, on 2 cores: about 7.5 minutes for the control
# plane and 6 more for the node (3.6 GB + 2 GB of Go build cache in ~/.cache/go-build, 0.6 GB +
# 0.5 GB of modules); the binaries take 450 MB + 350 MB.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=${1:?usage: $0 DEST_DIR}
mkdir -p "$DEST"

log() { printf '\033[1;34m[cluster-build]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[cluster-build] error:\033[0m %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is needed to build the local control plane (Go >= 1.22 starts; go.mod asks for 1.26, which the go command fetches itself): https://go.dev/dl"

BINARIES=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok kwokctl
          kubelet kube-proxy containerd containerd-shim-runc-v2 ctr runc crictl coredns
          cni/bridge cni/host-local cni/loopback cni/portmap)
stamp=$(cat "$HERE"/*/go.mod "$HERE"/*/go.sum "$HERE"/*/main.go "$0" | sha256sum | cut -c1-16)
all_built() {
    local b
    for b in "${BINARIES[@]}"; do [ -x "$DEST/$b" ] || return 1; done
}
if [ "$(cat "$DEST/.cluster-stamp" 2>/dev/null)" = "$stamp" ] && all_built; then
    exit 0
fi

export CGO_ENABLED=0 GOFLAGS="-buildvcs=false -mod=readonly"
# The version k8s.io/kubernetes is pinned at, stamped into the binaries as the release
# build does, so that `kubectl version` and Helm's kubeVersion checks see the real 1.x.y.
kube_version=$(cd "$HERE/kubernetes" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
[[ $kube_version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]] || die "unexpected k8s.io/kubernetes version $kube_version"
# Both version packages, as Kubernetes' own release build does (hack/lib/version.sh):
# component-base for --version and /version, client-go for the components' User-Agent.
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    kube_ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=${BASH_REMATCH[1]}"
    kube_ldflags+=" -X $pkg.gitMinor=${BASH_REMATCH[2]} -X $pkg.gitTreeState=clean"
    kube_ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

build() {  # build MODULE_DIR LDFLAGS PACKAGE... (OUT=folder below DEST, GO_TAGS=build tags)
    local dir=$1 ldflags=$2 start; shift 2
    start=$(date +%s)
    mkdir -p "$DEST/${OUT:-}"
    (cd "$HERE/$dir" && go build -trimpath -tags "${GO_TAGS:-}" -ldflags "$ldflags" -o "$DEST/${OUT:-}" "$@")
    log "$dir: ${*##*/} ($(( $(date +%s) - start )) s)"
}
# The version a module pins a program at, for its --version (go build leaves it "unknown").
pinned() { (cd "$HERE/$1" && go list -m -f '{{.Version}}' "$2"); }

log "building the local cluster ($kube_version control plane and node, etcd, kwok, containerd, runc, CNI, CoreDNS) into $DEST: several minutes the first time"
rm -f "$DEST/.cluster-stamp"
build kubernetes "$kube_ldflags" k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
build etcd "-s -w" .
build kwok "-s -w" sigs.k8s.io/kwok/cmd/kwok sigs.k8s.io/kwok/cmd/kwokctl
v=$(pinned containerd github.com/containerd/containerd/v2)
# The tags leave out the snapshotters that need cgo (btrfs, devmapper, zfs): overlayfs is used.
GO_TAGS="no_btrfs no_devmapper no_zfs" build containerd "-s -w -X github.com/containerd/containerd/v2/version.Version=$v" \
    github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
    github.com/containerd/containerd/v2/cmd/ctr
# runc needs cgo and libseccomp (Debian: libseccomp-dev, pkg-config); Debian's own runc 1.1 is
# too old for containerd 2.4 ("can't get final child's PID from pipe").
pkg-config --exists libseccomp 2>/dev/null || die "runc needs libseccomp's headers: apt-get install libseccomp-dev pkg-config"
v=$(pinned runc github.com/opencontainers/runc)
CGO_ENABLED=1 GO_TAGS=seccomp build runc "-s -w -X main.version=${v#v}" github.com/opencontainers/runc
OUT=cni build cni "-s -w" github.com/containernetworking/plugins/plugins/main/bridge \
    github.com/containernetworking/plugins/plugins/ipam/host-local \
    github.com/containernetworking/plugins/plugins/main/loopback github.com/containernetworking/plugins/plugins/meta/portmap
build coredns "-s -w" .   # main.go: dbbat.local/tools/cluster/coredns, a binary named coredns
v=$(pinned crictl sigs.k8s.io/cri-tools)
build crictl "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$v" sigs.k8s.io/cri-tools/cmd/crictl
"$DEST/kube-apiserver" --version | grep -qx "Kubernetes $kube_version" || die "kube-apiserver does not report $kube_version"
echo "$stamp" > "$DEST/.cluster-stamp"
