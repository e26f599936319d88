#!/usr/bin/env bash
# Fetches the CustomResourceDefinitions of the custom objects the chart renders, so that the
# chart's tests validate them against the official schemas:
#
#   tools/crds/fetch.sh DEST
#
#   DEST/gateway-api/standard/gateway.networking.k8s.io_tcproutes.yaml      TCPRoute v1
#   DEST/gateway-api/experimental/gateway.networking.k8s.io_tcproutes.yaml  TCPRoute v1 and v1alpha2
#   DEST/cert-manager/cert-manager.io_certificates.yaml                     Certificate v1
#
# The CRDs ship in the projects' Go modules (sigs.k8s.io/gateway-api: config/crd/,
# github.com/cert-manager/cert-manager: deploy/crds/), so the ordinary `go` client gets them
# through the Go module proxy, checked against the checksum database; no GitHub access is needed.
# Versions and module hashes are pinned below (the latest releases the proxy served when pinned:
# `go list -m -versions MODULE`). DEST/.crds-stamp names them: a second run with nothing changed
# only compares the stamp.
set -euo pipefail
DEST=${1:?usage: $0 DEST_DIR}
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

GATEWAY_API=sigs.k8s.io/gateway-api@v1.7.0
GATEWAY_API_SUM=h1:duVnm7nO6oXfMMUWfcDoBph47CYR/ME3NGxccOVglaY=
CERT_MANAGER=github.com/cert-manager/cert-manager@v1.21.2
CERT_MANAGER_SUM=h1:UWgoYM+KLNtRlqmoWOKjKBOBUPVHeepQ6/ac3ERJW68=

# module-relative path -> DEST-relative path
FILES=(
    "$GATEWAY_API config/crd/standard/gateway.networking.k8s.io_tcproutes.yaml gateway-api/standard/gateway.networking.k8s.io_tcproutes.yaml"
    "$GATEWAY_API config/crd/experimental/gateway.networking.k8s.io_tcproutes.yaml gateway-api/experimental/gateway.networking.k8s.io_tcproutes.yaml"
    "$CERT_MANAGER deploy/crds/cert-manager.io_certificates.yaml cert-manager/cert-manager.io_certificates.yaml"
)

log() { printf '\033[1;34m[crds]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[crds] error:\033[0m %s\n' "$*" >&2; exit 1; }

stamp=$(sha256sum "$SELF" | cut -c1-16)
all_there() {
    local entry
    for entry in "${FILES[@]}"; do
        set -- $entry
        [ -s "$DEST/$3" ] || return 1
    done
}
if [ "$(cat "$DEST/.crds-stamp" 2>/dev/null)" = "$stamp" ] && all_there; then
    exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is needed to fetch the CRDs from the Go module proxy: https://go.dev/dl"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the module archives"

# Outside any module or workspace, and with the local toolchain only: gateway-api's go.mod may ask
# for a newer Go than the one installed, and go then refuses to unpack the module into its cache
# (it has already downloaded and verified the archive, whose hash is checked below).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=mod

# zip_of MODULE@VERSION SUM: the verified module archive's path.
zip_of() {
    local module=$1 sum=$2 json
    json=$(go mod download -json "$module" 2>/dev/null || true)
    [ -n "$json" ] || die "go mod download $module printed nothing (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
    python3 - "$module" "$sum" "$json" <<'PY'
import json, os, sys
module, want, info = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
zip_path = info.get("Zip", "")
if not zip_path or not os.path.isfile(zip_path):
    sys.exit(f"[crds] error: {module}: {info.get('Error', 'no module archive')}")
if info.get("Sum") != want:
    sys.exit(f"[crds] error: {module}: hash {info.get('Sum')} is not the pinned {want}")
print(zip_path)
PY
}

log "fetching the CRDs ($GATEWAY_API, $CERT_MANAGER) into $DEST"
gateway_zip=$(zip_of "$GATEWAY_API" "$GATEWAY_API_SUM")
cert_manager_zip=$(zip_of "$CERT_MANAGER" "$CERT_MANAGER_SUM")
for entry in "${FILES[@]}"; do
    set -- $entry
    case "$1" in
        "$GATEWAY_API") zip=$gateway_zip ;;
        *) zip=$cert_manager_zip ;;
    esac
    mkdir -p "$(dirname "$DEST/$3")"
    python3 - "$zip" "$1/$2" "$DEST/$3" <<'PY'
import os, sys, zipfile
archive, member, dest = sys.argv[1:]
with zipfile.ZipFile(archive) as z:
    data = z.read(member)
with open(dest + ".tmp", "wb") as f:
    f.write(data)
os.replace(dest + ".tmp", dest)
PY
done
printf '%s\n' "$GATEWAY_API" "$CERT_MANAGER" > "$DEST/VERSIONS"
echo "$stamp" > "$DEST/.crds-stamp"
