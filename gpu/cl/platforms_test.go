package cl_test

import (
	"errors"
	"go/build"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
)

// TestBuildTags checks that exactly one of dl_purego.go and dl_other.go
// builds on each system, and that the loader is built exactly where purego
// v0.11.3 builds (its README's platform table and its files' build tags).
// .ci/cross-build.sh compiles the same systems for real.
func TestBuildTags(t *testing.T) {
	for _, c := range []struct {
		target string
		cgo    bool
		tags   string
		want   bool
	}{
		{"linux/amd64", false, "", true}, {"linux/arm64", false, "", true}, {"linux/386", false, "", true},
		{"linux/arm", false, "", true}, {"linux/loong64", false, "", true}, {"linux/ppc64le", false, "", true},
		{"linux/riscv64", false, "", true},
		{"linux/s390x", false, "", false}, {"linux/s390x", true, "", true}, {"linux/s390x", false, "go1.27", true},
		{"linux/ppc64", false, "", false}, {"linux/mips64le", false, "", false}, {"linux/mips64le", true, "", true},
		{"darwin/arm64", false, "", true}, {"darwin/amd64", false, "", true}, {"ios/arm64", false, "", false},
		{"android/arm64", false, "", false}, {"android/arm64", true, "", true},
		{"freebsd/amd64", false, "", false}, {"freebsd/amd64", true, "", true},
		{"freebsd/amd64", false, "gpusim_fakecgo", true}, {"freebsd/riscv64", false, "gpusim_fakecgo", false},
		{"netbsd/arm64", false, "gpusim_fakecgo", true},
		{"openbsd/amd64", false, "", false}, {"windows/amd64", false, "", false}, {"js/wasm", false, "", false},
	} {
		goos, goarch, _ := strings.Cut(c.target, "/")
		ctx := build.Default
		ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = goos, goarch, c.cgo
		ctx.BuildTags = nil
		ctx.ReleaseTags = slices.Clip(ctx.ReleaseTags)
		if c.tags == "go1.27" {
			ctx.ReleaseTags = append(ctx.ReleaseTags, "go1.27")
		} else if c.tags != "" {
			ctx.BuildTags = []string{c.tags}
		}
		var got []string
		for _, f := range []string{"dl_purego.go", "dl_other.go"} {
			ok, err := ctx.MatchFile(".", f)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				got = append(got, f)
			}
		}
		want := "dl_other.go"
		if c.want {
			want = "dl_purego.go"
		}
		if len(got) != 1 || got[0] != want {
			t.Errorf("%s cgo=%v tags=%q: builds %v, want [%s]", c.target, c.cgo, c.tags, got, want)
		}
	}
}

// TestUnsupported checks the error of a build without a loader: it names
// the system, matches ErrUnsupported and ErrNoLibrary (OpenCL is absent, so
// auto falls back), and its hint says how to get OpenCL and that the CPU
// engines run.
func TestUnsupported(t *testing.T) {
	for target, hint := range map[string]string{
		"linux/s390x":   "CGO_ENABLED=1",
		"freebsd/amd64": "-tags gpusim_fakecgo",
		"windows/amd64": "no OpenCL loader for windows",
	} {
		goos, goarch, _ := strings.Cut(target, "/")
		err := cl.UnsupportedError(goos, goarch)
		if !errors.Is(err, cl.ErrUnsupported) || !errors.Is(err, cl.ErrNoLibrary) || errors.Is(err, cl.ErrNoPlatform) {
			t.Errorf("%s: %v does not match ErrUnsupported and ErrNoLibrary only", target, err)
		}
		if want := "OpenCL is not supported on " + target; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: message %q, want prefix %q", target, err, want)
		}
		if h := cl.HintFor(err); !strings.Contains(h, hint) || !strings.Contains(h, "CPU engines") {
			t.Errorf("%s: hint %q lacks %q or the CPU engines", target, h, hint)
		}
	}
}
