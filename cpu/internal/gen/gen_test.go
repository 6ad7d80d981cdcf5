package gen

import (
	"bytes"
	"os"
	"testing"
)

// current fails the test unless the file out (relative to the cpu
// package) is what gen makes of the file in today, and returns out.
func current(t *testing.T, in, out string, gen func([]byte) ([]byte, error)) []byte {
	t.Helper()
	src, err := os.ReadFile("../../" + in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := gen(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../" + out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("cpu/%s is stale: run go generate ./cpu", out)
	}
	return got
}

// TestGeneratedIsCurrent: avx2_amd64.go is what the generator makes of
// avx512_amd64.go today (run go generate ./cpu after editing the AVX-512 path).
func TestGeneratedIsCurrent(t *testing.T) {
	got := current(t, "avx512_amd64.go", "avx2_amd64.go", AVX2)
	if !bytes.HasPrefix(got, []byte(Header)) {
		t.Error("cpu/avx2_amd64.go does not start with the generated-code header")
	}
}

// TestNormalsIsCurrent: normals_amd64.s is what the generator makes of
// normals_amd64.s.in today, and every macro line of the template's chains
// appears twice in it, once per register set.
func TestNormalsIsCurrent(t *testing.T) {
	got := current(t, "normals_amd64.s.in", "normals_amd64.s", Normals)
	for _, m := range []string{"#define RADIUS2(W1, R1, W2, R2)", "#define SINCOS2(A1, S1, C1, A2, S2, C2)",
		"\tVSQRTPS         Z4, R1; \\\n\tVSQRTPS         Z26, R2"} {
		if !bytes.Contains(got, []byte(m)) {
			t.Errorf("cpu/normals_amd64.s lacks %q", m)
		}
	}
	if _, err := Normals([]byte("#define OTHER(X) \\\n\tVPXORD X, X, X\n")); err == nil {
		t.Error("a template without RADIUS and SINCOS: no error")
	}
}
