// A registry for the signature tests that serves the OCI referrers API: go-containerregistry's
// in-memory registry (pkg/registry) with its referrers support switched on, which its own
// cmd/registry leaves off (and the CNCF distribution registry has no referrers API). Listens on a
// free loopback port and prints it, as cmd/registry does: "serving on port N".
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	fmt.Fprintf(os.Stderr, "serving on port %d\n", listener.Addr().(*net.TCPAddr).Port)
	handler := registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(os.Stderr, "", log.LstdFlags)))
	log.Fatal(http.Serve(listener, handler))
}
