// CoreDNS for the local cluster's real node, with only the plugins its Corefile uses
// (tools/cluster/node/Corefile): the full build links every cloud provider's SDK and takes
// minutes longer to compile for nothing the node needs. This is CoreDNS's documented way of
// building with a chosen plugin set (coremain with dnsserver.Directives).
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The order plugins run in, as in CoreDNS's plugin.cfg.
var directives = []string{"bind", "errors", "log", "health", "ready", "cache", "kubernetes"}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
