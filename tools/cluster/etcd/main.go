// Command etcd is etcd's own server entry point (go.etcd.io/etcd/server/v3/etcdmain), the same
// one as the upstream etcd binary: the root module that holds upstream's main cannot be built
// from the module proxy because of its replace directives, so this module wraps etcdmain.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
