#!/usr/bin/env bash
# The local cluster's real node: a kubelet that runs pods through containerd and runc, with a
# bridge network (CNI), kube-proxy (Services route through iptables) and CoreDNS (Service names
# resolve). scripts/local-cluster.sh calls it after the control plane is up; its configuration
# is in tools/cluster/node/. One real node at a time on a machine (one bridge, fixed ranges).
#
#   scripts/local-node.sh check   say what this machine lacks for a real node (exit 1), or nothing
#   scripts/local-node.sh up      start (or restart) the node and wait until it is Ready
#   scripts/local-node.sh down    stop everything and leave nothing behind: processes, pods,
#                                 mounts, the bridge and the pods' interfaces, iptables rules,
#                                 cgroups, the ip_forward setting as it was
#   scripts/local-node.sh leftovers   list what a node of this cluster left on the machine (exit 1)
#
# Same variables as local-cluster.sh: DBBAT_CLUSTER_NAME, KWOK_WORKDIR, KUBECONFIG. The node's
# configuration and images are in $KWOK_WORKDIR/clusters/NAME/node/, its logs in .../logs/node/
# (kept after `down`, removed with the cluster); what holds unix sockets (containerd's state, the
# kubelet's folder with the pods' volumes, the pods' network namespaces) is in /run/dbbat-node-NAME,
# since a socket's path must stay under 108 bytes and a test's work folder is deeper than that.
#
# Network: the pods' range (POD_CIDR) and the Services' (the API server's default, SERVICE_CIDR)
# exist only on the bridge on this machine. Nothing is NATed out and an iptables chain drops
# whatever would be forwarded between the bridge and another interface, so that a pod, or a
# connection to an unused Service address, never reaches the machine's network.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/.tools/bin"
IMAGES="$ROOT/.tools/images"
CONF="$ROOT/tools/cluster/node"
NAME=${DBBAT_CLUSTER_NAME:-dbbat}
CONTEXT="kwok-$NAME"
CLUSTER_DIR="${KWOK_WORKDIR:-$HOME/.kwok}/clusters/$NAME"
NODE="$CLUSTER_DIR/node"
LOGS="$CLUSTER_DIR/logs/node"
RUN="/run/dbbat-node-$NAME"
NODE_NAME=dbbat-node
BRIDGE=dbbat0
POD_CIDR=10.244.0.0/24
GATEWAY=10.244.0.1
SERVICE_CIDR=10.0.0.0/24
CHAIN=DBBAT-NODE
OWNER=/run/dbbat-node.owner
PROGRAMS=(kubelet kube-proxy containerd containerd-shim-runc-v2 ctr runc crictl coredns cni/bridge cni/host-local cni/loopback cni/portmap)
# Ports on 127.0.0.1 (kwok's fake kubelets and the control plane take random free ones).
KUBELET_PORT=10250 KUBELET_HEALTHZ_PORT=10248 PROXY_HEALTHZ_PORT=10256 PROXY_METRICS_PORT=10249
DNS_HEALTH_PORT=10254 DNS_READY_PORT=10255

log() { printf '\033[1;34m[local-node]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[local-node] error:\033[0m %s\n' "$*" >&2; exit 1; }
kubectl() { "$BIN/kubectl" --context "$CONTEXT" "$@"; }
ctr() { "$BIN/ctr" --address "$RUN/containerd.sock" --namespace k8s.io "$@"; }
crictl() { "$BIN/crictl" --runtime-endpoint "unix://$RUN/containerd.sock" --timeout 30s "$@"; }

# --- what the machine must have -------------------------------------------------------------
# Prints one line per missing thing, each saying what and how to get it.
lacks() {
    local p
    [ "$(id -u)" = 0 ] || echo "root: a kubelet and containerd need root (this runs as $(id -un))"
    for p in "${PROGRAMS[@]}"; do
        [ -x "$BIN/$p" ] || echo "$BIN/$p: not built (make setup builds it; Go and libseccomp-dev are needed)"
    done
    for p in iptables iptables-save iptables-restore ip; do
        command -v "$p" >/dev/null 2>&1 || echo "$p: not installed (Debian: apt-get install iptables iproute2)"
    done
    grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null \
        || echo "the overlay filesystem: not in this kernel (containerd's overlayfs snapshotter needs it)"
    [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || modprobe br_netfilter 2>/dev/null \
        || echo "br_netfilter: not in this kernel (Services between pods on the bridge need it)"
    [ -d /sys/fs/cgroup/memory ] || [ -f /sys/fs/cgroup/cgroup.controllers ] \
        || echo "cgroups: neither a cgroup v1 memory hierarchy nor cgroup v2 at /sys/fs/cgroup"
    [ -d /sys/class/net ] && ip link add dbbat-probe0 type bridge 2>/dev/null && ip link del dbbat-probe0 \
        || echo "Linux bridges: cannot create one (ip link add TYPE bridge refused)"
    if [ -f "$OWNER" ] && [ "$(cat "$OWNER")" != "$NODE" ] && pgrep -f -- "--config $(cat "$OWNER")/containerd.toml" >/dev/null; then
        echo "another cluster's real node runs on this machine ($(cat "$OWNER")): one at a time"
    fi
    images_ready || echo "images: this machine cannot pull and $IMAGES lacks the pause or DBBat image (make setup builds them; DBBat's needs its source: tools/images/README.md)"
}

# Images come from a registry where the machine can pull, else from tools/images' builds.
images_ready() { [ -f "$IMAGES/PULL" ] || { [ -f "$IMAGES/pause.oci.tar" ] && [ -f "$IMAGES/dbbat.oci.tar" ]; }; }

# --- configuration ----------------------------------------------------------------------------
render() {  # render TEMPLATE OUT: fill in the __NAME__ values of tools/cluster/node/ templates
    sed -e "s#__STATE__#$NODE#g; s#__RUN__#$RUN#g; s#__BIN__#$BIN#g; s#__CA__#$CLUSTER_DIR/pki/ca.crt#g" \
        -e "s#__NODE_NAME__#$NODE_NAME#g; s#__BRIDGE__#$BRIDGE#g; s#__POD_CIDR__#$POD_CIDR#g; s#__GATEWAY__#$GATEWAY#g" \
        -e "s#__CONTEXT__#$CONTEXT#g; s#__KUBELET_PORT__#$KUBELET_PORT#g; s#__KUBELET_HEALTHZ_PORT__#$KUBELET_HEALTHZ_PORT#g" \
        -e "s#__PROXY_HEALTHZ_PORT__#$PROXY_HEALTHZ_PORT#g; s#__PROXY_METRICS_PORT__#$PROXY_METRICS_PORT#g" \
        -e "s#__DNS_HEALTH_PORT__#$DNS_HEALTH_PORT#g; s#__DNS_READY_PORT__#$DNS_READY_PORT#g" "$1" > "$2"
}

# A client certificate signed by the cluster's CA, and a kubeconfig with it: each component gets
# the identity Kubernetes' own RBAC expects of it (system:node:NAME in system:nodes for the
# kubelet, so the Node authorizer and NodeRestriction apply; system:kube-proxy; system:coredns).
identity() {  # identity FILE_PREFIX COMMON_NAME [ORGANIZATION]
    local prefix=$1 cn=$2 org=${3:-} server subj="/CN=$2"
    [ -n "$org" ] && subj="/O=$org/CN=$cn"
    if [ ! -s "$prefix.crt" ]; then
        openssl req -new -newkey rsa:2048 -nodes -keyout "$prefix.key" -subj "$subj" -out "$prefix.csr" 2>/dev/null
        openssl x509 -req -in "$prefix.csr" -CA "$CLUSTER_DIR/pki/ca.crt" -CAkey "$CLUSTER_DIR/pki/ca.key" \
            -CAcreateserial -days 3650 -out "$prefix.crt" 2>/dev/null
        rm -f "$prefix.csr"
        chmod 600 "$prefix.key"
    fi
    server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
    "$BIN/kubectl" config --kubeconfig "$prefix.kubeconfig" set-cluster "$CONTEXT" \
        --server "$server" --certificate-authority "$CLUSTER_DIR/pki/ca.crt" >/dev/null
    "$BIN/kubectl" config --kubeconfig "$prefix.kubeconfig" set-credentials "$cn" \
        --client-certificate "$prefix.crt" --client-key "$prefix.key" >/dev/null
    "$BIN/kubectl" config --kubeconfig "$prefix.kubeconfig" set-context "$CONTEXT" --cluster "$CONTEXT" --user "$cn" >/dev/null
    "$BIN/kubectl" config --kubeconfig "$prefix.kubeconfig" use-context "$CONTEXT" >/dev/null
}

configure() {
    mkdir -p "$NODE"/{pids,cni/net.d,cni/ipam} "$LOGS" "$RUN/kubelet"
    render "$CONF/containerd.toml" "$NODE/containerd.toml"
    render "$CONF/10-dbbat.conflist" "$NODE/cni/net.d/10-dbbat.conflist"
    render "$CONF/kubelet.yaml" "$NODE/kubelet.yaml"
    render "$CONF/kube-proxy.yaml" "$NODE/kube-proxy.yaml"
    render "$CONF/Corefile" "$NODE/Corefile"
    # Pods' own resolver is CoreDNS (clusterDNS); this file is for dnsPolicy Default pods, which
    # get no resolver at all: there is no network to resolve outside names on.
    : > "$NODE/resolv.conf"
    identity "$NODE/kubelet" "system:node:$NODE_NAME" system:nodes
    identity "$NODE/kube-proxy" system:kube-proxy
    identity "$NODE/coredns" system:coredns
    # CoreDNS reads Services, EndpointSlices, namespaces and pods (kubeadm's system:coredns role).
    kubectl apply -f "$CONF/coredns-rbac.yaml" >/dev/null
}

# --- network ------------------------------------------------------------------------------------
network_up() {
    [ -f "$NODE/ip_forward.before" ] || cat /proc/sys/net/ipv4/ip_forward > "$NODE/ip_forward.before"
    ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
    ip addr show dev "$BRIDGE" | grep -q "inet $GATEWAY/" || ip addr add "$GATEWAY/${POD_CIDR#*/}" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    # Service addresses are reached through the bridge: a connection to one that no rule of
    # kube-proxy rewrites stays on the bridge instead of taking the default route out.
    ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$GATEWAY"
    # Pods reach Services of other pods through the host's routing (DNAT, then back onto the
    # bridge): that needs forwarding, which the chain below keeps to the bridge itself.
    iptables -N "$CHAIN" 2>/dev/null || iptables -F "$CHAIN"
    iptables -A "$CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
    iptables -A "$CHAIN" -i "$BRIDGE" -j DROP
    iptables -A "$CHAIN" -o "$BRIDGE" -j DROP
    iptables -C FORWARD -j "$CHAIN" 2>/dev/null || iptables -I FORWARD 1 -j "$CHAIN"
    echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables
    echo 1 > /proc/sys/net/ipv4/ip_forward
}

# The chains the kubelet makes itself (kube-proxy removes its own with --cleanup), in IPv4 and
# IPv6: only those, since another Kubernetes on the machine may have KUBE-* chains of its own.
KUBELET_CHAINS=("filter KUBE-FIREWALL INPUT OUTPUT" "filter KUBE-KUBELET-CANARY" "nat KUBE-KUBELET-CANARY"
                "mangle KUBE-KUBELET-CANARY" "mangle KUBE-IPTABLES-HINT")

drop_chain() {  # drop_chain IPTABLES TABLE CHAIN [JUMPING_FROM...]
    local ipt=$1 table=$2 chain=$3 from; shift 3
    for from in "$@"; do
        while "$ipt" -t "$table" -D "$from" -j "$chain" 2>/dev/null; do :; done
    done
    "$ipt" -t "$table" -F "$chain" 2>/dev/null && "$ipt" -t "$table" -X "$chain" 2>/dev/null || true
}

network_down() {
    local ipt entry
    ip link del "$BRIDGE" 2>/dev/null || true   # its routes go with it
    drop_chain iptables filter "$CHAIN" FORWARD
    for ipt in iptables ip6tables; do
        command -v "$ipt" >/dev/null 2>&1 || continue
        for entry in "${KUBELET_CHAINS[@]}"; do
            # shellcheck disable=SC2086  # the entry's words are the arguments
            drop_chain "$ipt" $entry
        done
    done
    if [ -f "$NODE/ip_forward.before" ]; then
        cat "$NODE/ip_forward.before" > /proc/sys/net/ipv4/ip_forward
        rm -f "$NODE/ip_forward.before"
    fi
}

# --- processes ----------------------------------------------------------------------------------
running() { local pid; pid=$(cat "$NODE/pids/$1" 2>/dev/null) && kill -0 "$pid" 2>/dev/null; }

start() {  # start NAME COMMAND...: in its own session, its log in logs/node/NAME.log
    local name=$1; shift
    running "$name" && return 0
    setsid "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
    echo $! > "$NODE/pids/$name"
}

stop() {  # stop NAME: TERM, then KILL after 15 s
    local name=$1 pid i
    pid=$(cat "$NODE/pids/$name" 2>/dev/null) || return 0
    kill "$pid" 2>/dev/null || true
    for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$NODE/pids/$name"
}

wait_for() {  # wait_for WHAT SECONDS COMMAND...
    local what=$1 seconds=$2 i; shift 2
    for i in $(seq $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    die "$what did not come up in $seconds s: see $LOGS/"
}

# The images the node cannot pull, imported under the references the chart and manifests use
# (each tar's index names it; tools/images); one imported before from the same build is left alone.
# Pinned, so that the kubelet's image garbage collection never removes what cannot be pulled back.
import_images() {
    local tar base
    mkdir -p "$NODE/imported"
    for tar in "$IMAGES"/*.oci.tar; do
        [ -e "$tar" ] || continue
        base=$(basename "${tar%.oci.tar}")
        cmp -s "$IMAGES/$base.stamp" "$NODE/imported/$base" && continue
        ctr images import "$tar" >/dev/null
        ctr images label "$(cat "$IMAGES/$base.ref")" io.cri-containerd.pinned=pinned >/dev/null
        cp "$IMAGES/$base.stamp" "$NODE/imported/$base"
    done
}

# The kubelet's cgroupRoot must exist in every hierarchy; a new cpuset cgroup (v1) starts with
# no CPUs and memory nodes, so it gets its parent's.
cgroups_up() {
    local h
    for h in /sys/fs/cgroup/*/; do
        [ -d "$h" ] || continue
        mkdir -p "$h$NODE_NAME"
        if [ -f "$h$NODE_NAME/cpuset.cpus" ] && [ -z "$(cat "$h$NODE_NAME/cpuset.cpus")" ]; then
            cat "${h}cpuset.cpus" > "$h$NODE_NAME/cpuset.cpus"
            cat "${h}cpuset.mems" > "$h$NODE_NAME/cpuset.mems"
        fi
    done
}

up() {
    local missing
    missing=$(lacks)
    [ -z "$missing" ] || { printf '%s\n' "$missing" >&2; die "no real node on this machine (above: what it lacks)"; }
    configure
    echo "$NODE" > "$OWNER"
    network_up
    cgroups_up
    start containerd "$BIN/containerd" --config "$NODE/containerd.toml"
    wait_for containerd 30 ctr version
    import_images
    start kubelet "$BIN/kubelet" --config "$NODE/kubelet.yaml" --kubeconfig "$NODE/kubelet.kubeconfig" \
        --root-dir "$RUN/kubelet" --cert-dir "$RUN/kubelet/pki" --node-ip "$GATEWAY" \
        --hostname-override "$NODE_NAME" --node-labels "type=real,topology.kubernetes.io/zone=zone-a"
    start kube-proxy "$BIN/kube-proxy" --config "$NODE/kube-proxy.yaml"
    start coredns "$BIN/coredns" -conf "$NODE/Corefile"
    wait_for "the node $NODE_NAME" 90 kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
    wait_for CoreDNS 30 curl -fsS "http://127.0.0.1:$DNS_READY_PORT/ready"
    wait_for kube-proxy 30 curl -fsS "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
    log "real node $NODE_NAME is Ready ($("$BIN/kubelet" --version), $("$BIN/containerd" --version | cut -d' ' -f3), runc $("$BIN/runc" --version | awk 'NR==1{print $3}'))"
}

# Every step runs whatever the previous one did: a half-done `down` would leave the rest behind.
down() {
    [ -d "$NODE" ] || [ -d "$RUN" ] || return 0
    # Pods first, while containerd runs: their containers, shims and network namespaces go.
    stop kubelet
    if running containerd; then
        crictl rmp --all --force >/dev/null 2>&1 || true
    fi
    stop coredns
    stop kube-proxy
    [ -x "$BIN/kube-proxy" ] && "$BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
    stop containerd
    # Shims of this node's containerd that outlived it, and their containers.
    pkill -9 -f -- "containerd-shim-runc-v2 .*-address $RUN/containerd.sock" 2>/dev/null || true
    # Mounts under the node's folders (overlay snapshots, volumes, network namespaces), deepest first.
    { awk '{print $2}' /proc/self/mounts | grep -E "^($NODE|$RUN)/" || true; } | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    # Pods' cgroups, under the kubelet's cgroupRoot in every hierarchy, deepest first.
    find /sys/fs/cgroup -depth -type d -path "*/$NODE_NAME*" -exec rmdir {} + 2>/dev/null || true
    network_down
    if [ "$(cat "$OWNER" 2>/dev/null)" = "$NODE" ]; then rm -f "$OWNER"; fi
    rm -rf "$RUN" "$NODE"
}

# What `down` must have removed, one line each (the tests run it after every real node).
leftovers() {
    local p
    [ ! -e "$NODE" ] || echo "folder $NODE"
    [ ! -e "$RUN" ] || echo "folder $RUN"
    ip link show "$BRIDGE" >/dev/null 2>&1 && echo "interface $BRIDGE"
    ip -o link show type veth 2>/dev/null | grep -q "master $BRIDGE" && echo "pod interfaces on $BRIDGE"
    { awk '{print $2}' /proc/self/mounts | grep -E "^($NODE|$RUN)(/|$)" || true; } | sed 's/^/mount /'
    for p in iptables ip6tables; do
        command -v "$p-save" >/dev/null 2>&1 || continue
        { "$p-save" 2>/dev/null | grep -E "^:($CHAIN|KUBE-[A-Z-]+) " || true; } | sed "s/^:\([^ ]*\).*/$p chain \1/"
    done
    find /sys/fs/cgroup -maxdepth 2 -type d -name "$NODE_NAME" 2>/dev/null | sed 's/^/cgroup /'
    for p in containerd kubelet kube-proxy coredns; do
        pgrep -f -- "$BIN/$p .*$NODE" >/dev/null && echo "process $p"
    done
    pgrep -f -- "containerd-shim-runc-v2 .*-address $RUN/" >/dev/null && echo "process containerd-shim-runc-v2"
    return 0
}

case "${1:-}" in
    leftovers) left=$(leftovers); [ -z "$left" ] || { printf '%s\n' "$left"; exit 1; } ;;
    check) missing=$(lacks); [ -z "$missing" ] || { printf '%s\n' "$missing"; exit 1; } ;;
    up) up ;;
    down) down ;;
    *) die "usage: $0 check|up|down|leftovers" ;;
esac
