#!/usr/bin/env bash
# The images of the local cluster's real node (tools/images/build.py). Where the machine can
# pull from the images' registries, the node pulls the real ones and nothing is built: the
# marker DEST_DIR/PULL says so to scripts/local-node.sh. DBBAT_NODE_IMAGES=build|pull forces
# either (default auto: pull when ghcr.io and registry.k8s.io answer).
#
#   tools/images/build.sh DEST_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=${1:?usage: $0 DEST_DIR}
mkdir -p "$DEST"

can_pull() {
    local registry
    for registry in ghcr.io registry.k8s.io registry-1.docker.io; do
        # Any HTTP answer (401 included) means the registry is reachable.
        curl -s -o /dev/null --max-time 5 "https://$registry/v2/" || return 1
    done
}

# The real node runs as root only (scripts/local-node.sh check): without root there is nothing
# to build for (and mmdebstrap's root mode would fail).
if [ "$(id -u)" != 0 ]; then
    echo "[images] not root: no real node runs on this machine, so its images are not built" >&2
    exit 0
fi

mode=${DBBAT_NODE_IMAGES:-auto}
[ "$mode" = auto ] && { if can_pull; then mode=pull; else mode=build; fi; }
case "$mode" in
    pull) touch "$DEST/PULL" ;;
    build) rm -f "$DEST/PULL"; python3 "$HERE/build.py" "$DEST" ;;
    *) echo "DBBAT_NODE_IMAGES=$mode: use auto, build or pull" >&2; exit 2 ;;
esac
