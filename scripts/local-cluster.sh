#!/usr/bin/env bash
# The local Kubernetes cluster: a real control plane (kube-apiserver, kube-controller-manager,
# kube-scheduler, etcd; built by `make setup` from Go modules) with two kinds of nodes:
# - one real node (scripts/local-node.sh): a kubelet running pods through containerd and runc,
#   with a bridge network, kube-proxy and CoreDNS, where containers really run;
# - three nodes simulated by kwok, in three zones (tools/cluster/nodes.yaml), for what needs many
#   nodes (zone spread, disruption budgets, scale): pods there get a status, no container runs.
# With the real node up, the kwok nodes carry the taint dbbat.local/simulated=true:NoSchedule, so
# that pods run on the real node unless they tolerate it. Where the machine lacks what a real node
# needs (root, a kernel feature; local-node.sh check says what), the cluster has the kwok nodes only.
# Configuration: tools/cluster/{kwok.yaml,audit-policy.yaml,nodes.yaml,node/}.
#
#   scripts/local-cluster.sh up           create (or restart) it; context kwok-$DBBAT_CLUSTER_NAME
#   scripts/local-cluster.sh down         delete it, its context and its real node
#   scripts/local-cluster.sh kubeconfig   print an admin kubeconfig for it
#   scripts/local-cluster.sh status       say whether it exists and answers, and its real node
#
# DBBAT_CLUSTER_NAME (default dbbat) names it; KUBECONFIG (default ~/.kube/config) receives its
# context; KWOK_WORKDIR (default ~/.kwok) holds its state, logs included
# ($KWOK_WORKDIR/clusters/NAME/logs, the real node's in .../node/logs). DBBAT_REAL_NODE: auto
# (the default: a real node where the machine allows it), 1 (required: fail without it) or 0
# (kwok nodes only). The tests run their own clusters, in temporary folders.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.tools/bin"
CONF="$ROOT/tools/cluster"
NAME=${DBBAT_CLUSTER_NAME:-dbbat}
CONTEXT="kwok-$NAME"
CLUSTER_DIR="${KWOK_WORKDIR:-$HOME/.kwok}/clusters/$NAME"
REAL_NODE=${DBBAT_REAL_NODE:-auto}
SIMULATED_TAINT=dbbat.local/simulated=true:NoSchedule

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
        answers && { real_node; log "cluster $NAME is up (context $CONTEXT)"; return 0; }
        log "starting the existing cluster $NAME"
        quiet kwokctl start cluster --wait 2m
    else
        log "creating cluster $NAME: $("$BIN/kube-apiserver" --version), etcd, kwok nodes"
        # What names paths of this cluster's folder is written here (kwok wants absolute ones):
        # - the ClusterLogs object: the kwok nodes' stand-in log line;
        # - the API server shows the real node's kubelet a client certificate of the cluster's CA
        #   (the kubelet authorizes requests through RBAC), and reaches it at its InternalIP (its
        #   host name resolves nowhere);
        # - kwok plays only the nodes of nodes.yaml (their annotation): by default it would also
        #   write the real node's status and take its pods over.
        logs_config=$(mktemp)
        trap 'rm -f "$logs_config"' EXIT
        cat > "$logs_config" <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: stand-in}
spec: {logs: [{logsFile: $CONF/pod.log}]}
---
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - {key: kubelet-client-certificate, value: $CLUSTER_DIR/pki/admin.crt}
      - {key: kubelet-client-key, value: $CLUSTER_DIR/pki/admin.key}
      - {key: kubelet-preferred-address-types, value: "InternalIP,Hostname"}
  - name: kwok-controller
    extraArgs:
      - {key: manage-all-nodes, value: "false", override: true}
      - {key: manage-nodes-with-annotation-selector, value: kwok.x-k8s.io/node=fake}
EOF
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
    quiet kubectl wait --for=condition=Ready node -l type=kwok --timeout=60s
    # Pods of a namespace are created only once its default ServiceAccount exists.
    until kubectl -n default get serviceaccount default >/dev/null 2>&1; do sleep 0.2; done
    real_node
    log "cluster $NAME is up: context $CONTEXT in ${KUBECONFIG:-~/.kube/config}"
}

# The real node, where the machine allows one; else (or with DBBAT_REAL_NODE=0) kwok nodes only.
real_node() {
    local missing
    case "$REAL_NODE" in
        0) return 0 ;;
        1|auto) ;;
        *) die "DBBAT_REAL_NODE=$REAL_NODE: use auto, 1 (required) or 0 (kwok nodes only)" ;;
    esac
    if ! missing=$(bash "$ROOT/scripts/local-node.sh" check); then
        [ "$REAL_NODE" = 1 ] && die "DBBAT_REAL_NODE=1 but this machine cannot run a real node: $missing"
        log "no real node: $(printf '%s' "$missing" | paste -sd ';' | sed 's/;/; /g')"
        log "the cluster has simulated (kwok) nodes only: no container runs there"
        return 0
    fi
    if ! bash "$ROOT/scripts/local-node.sh" up; then
        bash "$ROOT/scripts/local-node.sh" down || true
        [ "$REAL_NODE" = 1 ] && die "the real node did not start (DBBAT_REAL_NODE=1)"
        log "the real node did not start (above); the cluster has simulated (kwok) nodes only: no container runs there"
        return 0
    fi
    quiet kubectl taint node -l type=kwok "$SIMULATED_TAINT" --overwrite
}

case "${1:-}" in
    up) up ;;
    down)
        bash "$ROOT/scripts/local-node.sh" down
        if exists; then quiet kwokctl delete cluster; log "cluster $NAME deleted"; else log "no cluster $NAME"; fi ;;
    kubeconfig) kwokctl get kubeconfig ;;
    status)
        if ! exists; then echo "cluster $NAME: absent"; exit 1; fi
        if ! answers; then echo "cluster $NAME: created, not answering"; exit 1; fi
        echo "cluster $NAME: up (context $CONTEXT)"
        if kubectl get node dbbat-node >/dev/null 2>&1; then
            echo "real node dbbat-node: $(kubectl get node dbbat-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')"
        else
            echo "real node: none (simulated kwok nodes only)"
        fi ;;
    *) die "usage: $0 up|down|kubeconfig|status" ;;
esac
