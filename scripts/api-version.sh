#!/usr/bin/env bash
# Asks a deployed DBBat for /api/v1/version the way the role tells a person to: through
# `kubectl port-forward` to its API Service. Prints DBBat's JSON answer; exits 1 when nothing
# answers within about 10 s. Used by `make deploy` and the molecule scenario that runs here.
#
#   scripts/api-version.sh [NAMESPACE [SERVICE]]     (default: dbbat dbbat; kubectl's current context)
set -euo pipefail
NAMESPACE=${1:-dbbat}
SERVICE=${2:-dbbat}
port=$(kubectl -n "$NAMESPACE" get service "$SERVICE" -o jsonpath='{.spec.ports[?(@.name=="http")].port}')
# A free local port, so that a port-forward of the user's own is never in the way.
local_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
kubectl -n "$NAMESPACE" port-forward "svc/$SERVICE" "$local_port:$port" >/dev/null 2>&1 &
forward=$!
trap 'kill "$forward" 2>/dev/null; wait "$forward" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    if curl -fsS --max-time 2 "http://127.0.0.1:$local_port/api/v1/version" 2>/dev/null; then
        exit 0
    fi
    sleep 0.2
done
echo "DBBat's /api/v1/version did not answer through kubectl port-forward to svc/$SERVICE in namespace $NAMESPACE" >&2
exit 1
