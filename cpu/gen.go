//go:build ignore

// gen.go writes avx2_amd64.go from avx512_amd64.go and normals_amd64.s
// from normals_amd64.s.in (see package cpu/internal/gen): go generate ./cpu
package main

import (
	"log"
	"os"

	"github.com/gpusim/gpusim/cpu/internal/gen"
)

func main() {
	src, err := os.ReadFile("avx512_amd64.go")
	if err != nil {
		log.Fatal(err)
	}
	out, err := gen.AVX2(src)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("avx2_amd64.go", out, 0o644); err != nil {
		log.Fatal(err)
	}
	tmpl, err := os.ReadFile("normals_amd64.s.in")
	if err != nil {
		log.Fatal(err)
	}
	if out, err = gen.Normals(tmpl); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("normals_amd64.s", out, 0o644); err != nil {
		log.Fatal(err)
	}
}
