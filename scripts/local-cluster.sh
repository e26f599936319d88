#!/usr/bin/env bash
# The local Kubernetes cluster: a real control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler, etcd; built by `make setup` from Go modules) whose nodes and pods are
# simulated by kwok: objects, scheduling, admission, RBAC and controllers are real, but no
# container runs. Its configuration is tools/cluster/{kwok.yaml,audit-policy.yaml,nodes.yaml}.
#
#   scripts/local-cluster.sh up           create (or restart) it; context kwok-$DBBAT_CLUSTER_NAME
#   scripts/local-cluster.sh down         delete it and its context
#   scripts/local-cluster.sh kubeconfig   print an admin kubeconfig for it
#   scripts/local-cluster.sh status       say whether it exists and answers
#
# DBBAT_CLUSTER_NAME (default dbbat) names it; KUBECONFIG (default ~/.kube/config) receives its
# context; KWOK_WORKDIR (default ~/.kwok) holds its state, logs included
# ($KWOK_WORKDIR/clusters/NAME/logs). The tests run their own, with both in a temporary folder.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.tools/bin"
CONF="$ROOT/tools/cluster"
NAME=${DBBAT_CLUSTER_NAME:-dbbat}
CONTEXT="kwok-$NAME"

log() { printf '\033[1;34m[local-cluster]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[local-cluster] error:\033[0m %s\n' "$*" >&2; exit 1; }

needed=(kwokctl kubectl)
[ "${1:-}" = up ] && needed+=(kwok kube-apiserver kube-controller-manager kube-scheduler etcd)
for b in "${needed[@]}"; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run 'make setup' (it builds the local control plane; Go is needed)"
done
kwokctl() { "$BIN/kwokctl" --name "$NAME" "$@"; }
kubectl() { "$BIN/kubectl" --context "$CONTEXT" "$@"; }
# (Node leases are off: see tools/cluster/kwok.yaml; the option cannot be 0 in its config file,
# where 0 means "the default".)

exists() { "$BIN/kwokctl" get clusters 2>/dev/null | grep -qx "$NAME"; }
answers() { kubectl get --raw /readyz --request-timeout=5s >/dev/null 2>&1; }

# kwokctl writes JSON log lines; keep them for -v users, show one line otherwise.
quiet() {
    local out
    if ! out=$("$@" 2>&1); then
        printf '%s\n' "$out" >&2
        return 1
    fi
}

up() {
    if exists; then
        answers && { log "cluster $NAME is up (context $CONTEXT)"; return 0; }
        log "starting the existing cluster $NAME"
        quiet kwokctl start cluster --wait 2m
    else
        log "creating cluster $NAME: $("$BIN/kube-apiserver" --version), etcd, kwok nodes"
        # kwok wants the logs file's absolute path: the ClusterLogs object is written here.
        logs_config=$(mktemp)
        trap 'rm -f "$logs_config"' EXIT
        printf '%s\n' "apiVersion: kwok.x-k8s.io/v1alpha1" "kind: ClusterLogs" "metadata: {name: stand-in}" \
            "spec: {logs: [{logsFile: $CONF/pod.log}]}" > "$logs_config"
        quiet kwokctl create cluster --config "$CONF/kwok.yaml" --config "$logs_config" \
            --kube-apiserver-binary "$BIN/kube-apiserver" \
            --kube-controller-manager-binary "$BIN/kube-controller-manager" \
            --kube-scheduler-binary "$BIN/kube-scheduler" \
            --etcd-binary "$BIN/etcd" \
            --kwok-controller-binary "$BIN/kwok" \
            --kube-audit-policy "$CONF/audit-policy.yaml" \
            --node-lease-duration-seconds 0 \
            --wait 2m
    fi
    quiet kubectl apply -f "$CONF/nodes.yaml"
    quiet kubectl wait --for=condition=Ready node --all --timeout=60s
    # Pods of a namespace are created only once its default ServiceAccount exists.
    until kubectl -n default get serviceaccount default >/dev/null 2>&1; do sleep 0.2; done
    log "cluster $NAME is up: context $CONTEXT in ${KUBECONFIG:-~/.kube/config}"
}

case "${1:-}" in
    up) up ;;
    down)
        if exists; then quiet kwokctl delete cluster; log "cluster $NAME deleted"; else log "no cluster $NAME"; fi ;;
    kubeconfig) kwokctl get kubeconfig ;;
    status)
        if ! exists; then echo "cluster $NAME: absent"; exit 1; fi
        if answers; then echo "cluster $NAME: up (context $CONTEXT)"; else echo "cluster $NAME: created, not answering"; exit 1; fi ;;
    *) die "usage: $0 up|down|kubeconfig|status" ;;
esac
