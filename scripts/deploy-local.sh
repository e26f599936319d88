#!/usr/bin/env bash
# The main job (`make deploy`): deploy DBBat with playbooks/deploy.yml and inventories/local
# to a laptop cluster, with a throwaway PostgreSQL for its storage. The cluster, in this order:
#
# - the current kube context, when a cluster answers there and it looks like a laptop cluster
#   (kind, minikube, Docker Desktop, k3d, the local cluster below...); DBBAT_ALLOW_ANY_CONTEXT=1
#   to use another one on purpose;
# - none answers, and kind and a running Docker exist: a kind cluster `dbbat` (pods run the image);
# - otherwise the local cluster of scripts/local-cluster.sh (context kwok-dbbat): a real
#   Kubernetes control plane with a real node, where DBBat runs (its image built from source where
#   it cannot be pulled); on a machine that cannot run that node, kwok nodes only, where pods
#   are simulated and nothing runs the image (the job says so at the end).
# With DBBat running, the job ends by asking its API for /api/v1/version through the same
# `kubectl port-forward` it prints.
# Extra arguments go to ansible-playbook (e.g. --check --diff, -v).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
KIND_CLUSTER=${DBBAT_KIND_CLUSTER:-dbbat}
LOCAL_CLUSTER=${DBBAT_CLUSTER_NAME:-dbbat}

log() { printf '\033[1;34m[deploy]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[deploy] error:\033[0m %s\n' "$*" >&2; exit 1; }

command -v ansible-playbook >/dev/null && command -v kubectl >/dev/null && command -v helm >/dev/null \
    || die "ansible-playbook, kubectl or helm missing: run 'make setup' first"

reachable() { kubectl cluster-info --request-timeout=5s >/dev/null 2>&1; }
context() { kubectl config current-context 2>/dev/null || echo "(none)"; }

if ! reachable; then
    if command -v kind >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        if ! kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
            log "no cluster reachable with context $(context): creating kind cluster $KIND_CLUSTER"
            kind create cluster --name "$KIND_CLUSTER" --wait 180s
        fi
        kubectl config use-context "kind-$KIND_CLUSTER" >/dev/null
        reachable || die "kind cluster $KIND_CLUSTER exists but its API does not answer (kind get clusters; docker ps)"
    else
        log "no cluster reachable with context $(context), and no kind with a running Docker: using the local cluster"
        DBBAT_CLUSTER_NAME=$LOCAL_CLUSTER bash "$ROOT/scripts/local-cluster.sh" up
        kubectl config use-context "kwok-$LOCAL_CLUSTER" >/dev/null
    fi
fi

ctx=$(context)
case "$ctx" in
    kind-*|kwok-*|minikube|docker-desktop|docker-for-desktop|rancher-desktop|k3d-*|orbstack|colima*|microk8s) ;;
    *)
        [ "${DBBAT_ALLOW_ANY_CONTEXT:-0}" = 1 ] || die "the current context '$ctx' does not look like a laptop cluster, and this job installs a throwaway PostgreSQL there. Switch context (kubectl config use-context ...), or set DBBAT_ALLOW_ANY_CONTEXT=1 if you mean it. For real environments use: ansible-playbook playbooks/deploy.yml -i inventories/prod"
        ;;
esac

log "context $ctx: throwaway PostgreSQL (molecule/resources/manifests/postgres.yml)"
kubectl apply -f molecule/resources/manifests/postgres.yml
kubectl -n dbbat-postgres rollout status deployment/postgres --timeout=300s

log "ansible-playbook playbooks/deploy.yml -i inventories/local $*"
ansible-playbook playbooks/deploy.yml -i inventories/local "$@"

if [[ $ctx == kwok-* ]] && ! kubectl get node dbbat-node >/dev/null 2>&1; then
    cat >&2 <<MSG

DBBat is deployed to the local cluster '$ctx' with simulated nodes only (this machine cannot run
its real node: scripts/local-node.sh check says why). A real Kubernetes
$(kubectl version 2>/dev/null | sed -n 's/^Server Version: //p') control plane (API server, controllers, scheduler, admission, RBAC) whose nodes and pods are
simulated by kwok: the objects, the rollout and the pods' status are real, but no container
runs the DBBat image, so the port-forward commands above have nothing to reach.
  look at it:   kubectl --context $ctx -n dbbat get all
  remove it:    make cluster-down   (or: scripts/local-cluster.sh down)
To see DBBat itself run, use kind or another cluster with real nodes (make deploy uses it first).
MSG
    exit 0
fi

version=$(bash "$ROOT/scripts/api-version.sh" dbbat dbbat) || die "DBBat was deployed, but /api/v1/version did not answer through kubectl port-forward: kubectl -n dbbat get pods; kubectl -n dbbat logs deploy/dbbat"
log "DBBat answers through kubectl port-forward: GET /api/v1/version -> $version"
if [[ $ctx == kwok-* ]]; then
    cat >&2 <<MSG

DBBat runs on the real node of the local cluster '$ctx' (kubelet, containerd and runc on this
machine; the DBBat image built from its source where it cannot be pulled). The commands above
work as printed. Remove it all with: make cluster-down
MSG
fi
