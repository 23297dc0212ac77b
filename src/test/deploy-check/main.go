// deploy-check checks the deployment files with the code of the tools that consume them, without a
// daemon or a cluster:
//
//	deploy-check dockerfile FILE...   as `docker build --check` does: BuildKit's Dockerfile frontend
//	                                  parses each file, converts every stage into a build graph and
//	                                  applies its lint rules
//	deploy-check kubernetes FILE...   each YAML document decoded strictly into its Kubernetes API type
//	                                  (k8s.io/api), as the API server's strict field validation does:
//	                                  unknown or duplicate fields, wrong types and unknown kinds fail
//
// Any warning or error fails the check: exit status 0 when every file passes, 1 otherwise, 2 on misuse.
//
// Base images are not pulled (there may be no registry to pull from): their configuration is taken
// as an empty linux/amd64 image, so rules that need a base image's real configuration see an empty one.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	digest "github.com/opencontainers/go-digest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// offlineImages answers every base image with an empty linux/amd64 configuration.
type offlineImages struct{}

const emptyImage = `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{}}`

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	return ref, digest.FromString(emptyImage), []byte(emptyImage), nil
}

func checkDockerfile(path string) (bool, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	source := llb.NewSourceMap(nil, path, "Dockerfile", dt)
	source.Definition = &llb.Definition{} // the file itself; no build context is loaded
	results, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		MetaResolver: offlineImages{},
		SourceMap:    source,
	})
	if err != nil {
		return false, err
	}
	if len(results.Warnings) == 0 && results.Error == nil {
		fmt.Printf("%s: ok\n", path)
		return true, nil
	}
	if err := results.PrintTo(os.Stdout, nil); err != nil {
		return false, err
	}
	if results.Error != nil {
		results.PrintErrorTo(os.Stdout, nil)
	}
	fmt.Printf("%s: %d warning(s), build error: %t\n", path, len(results.Warnings), results.Error != nil)
	return false, nil
}

func checkKubernetes(path string) (bool, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		return false, err
	}
	if err := appsv1.AddToScheme(scheme); err != nil {
		return false, err
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	reader := utilyaml.NewYAMLReader(bufioReader(dt))
	ok := true
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return false, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		_, kind, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			fmt.Printf("%s: document %d: %v\n", path, n, err)
			ok = false
			continue
		}
		fmt.Printf("%s: document %d: %s ok\n", path, n, kind.Kind)
	}
	return ok, nil
}

func main() {
	if len(os.Args) < 3 || (os.Args[1] != "dockerfile" && os.Args[1] != "kubernetes") {
		fmt.Fprintln(os.Stderr, "usage: deploy-check dockerfile|kubernetes FILE...")
		os.Exit(2)
	}
	check := checkDockerfile
	if os.Args[1] == "kubernetes" {
		check = checkKubernetes
	}
	passed := true
	for _, path := range os.Args[2:] {
		ok, err := check(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			os.Exit(2)
		}
		passed = passed && ok
	}
	if !passed {
		os.Exit(1)
	}
}

func bufioReader(dt []byte) *bufio.Reader {
	return bufio.NewReader(bytes.NewReader(dt))
}
