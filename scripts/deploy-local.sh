#!/usr/bin/env bash
# The main job (`make deploy`): deploy DBBat with playbooks/deploy.yml and inventories/local
# to the current kube context, with a throwaway PostgreSQL for its storage.
#
# - A cluster is reachable with the current context: it is used, if it looks like a laptop
#   cluster (kind, minikube, Docker Desktop, k3d, ...); set DBBAT_ALLOW_ANY_CONTEXT=1 to use
#   another one on purpose.
# - None is reachable, and kind and a running Docker exist: a kind cluster `dbbat` is created.
# - Otherwise: a clear error.
# Extra arguments go to ansible-playbook (e.g. --check --diff, -v).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/.tools/bin:$ROOT/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$ROOT/ansible.cfg"
KIND_CLUSTER=${DBBAT_KIND_CLUSTER:-dbbat}

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
        die "no Kubernetes cluster reachable (current context: $(context)). Set KUBECONFIG or a kube context that works (kubectl cluster-info), or install kind and Docker so that a local cluster can be created."
    fi
fi

ctx=$(context)
case "$ctx" in
    kind-*|minikube|docker-desktop|docker-for-desktop|rancher-desktop|k3d-*|orbstack|colima*|microk8s) ;;
    *)
        [ "${DBBAT_ALLOW_ANY_CONTEXT:-0}" = 1 ] || die "the current context '$ctx' does not look like a laptop cluster, and this job installs a throwaway PostgreSQL there. Switch context (kubectl config use-context ...), or set DBBAT_ALLOW_ANY_CONTEXT=1 if you mean it. For real environments use: ansible-playbook playbooks/deploy.yml -i inventories/prod"
        ;;
esac

log "context $ctx: throwaway PostgreSQL (molecule/resources/manifests/postgres.yml)"
kubectl apply -f molecule/resources/manifests/postgres.yml
kubectl -n dbbat-postgres rollout status deployment/postgres --timeout=300s

log "ansible-playbook playbooks/deploy.yml -i inventories/local $*"
exec ansible-playbook playbooks/deploy.yml -i inventories/local "$@"
