package gen

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedIsCurrent: avx2_amd64.go is what the generator makes of
// avx512_amd64.go today (run go generate ./cpu after editing the AVX-512 path).
func TestGeneratedIsCurrent(t *testing.T) {
	src, err := os.ReadFile("../../avx512_amd64.go")
	if err != nil {
		t.Fatal(err)
	}
	want, err := AVX2(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../avx2_amd64.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("cpu/avx2_amd64.go is stale: run go generate ./cpu")
	}
	if !bytes.HasPrefix(got, []byte(Header)) {
		t.Error("cpu/avx2_amd64.go does not start with the generated-code header")
	}
}
