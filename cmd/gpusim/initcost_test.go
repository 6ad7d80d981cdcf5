package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// initBudget is the most a package of gpusim's may allocate as the process
// initializes it (its package-level variables and init functions): that
// work comes before main in every start, before even the OpenCL driver's
// early load (engines.StartDevices), so it counts whole in the warm start
// of issue 13.4 and the time to first result of 13.6. A table or a
// compiled regexp belongs in a sync.OnceValue, built where it is used.
const (
	initBudgetBytes  = 8 << 10
	initBudgetAllocs = 64
)

// TestInitCost: no package of gpusim's does costly work as the process
// initializes it, as GODEBUG=inittrace=1 reports for this test binary
// (which links the packages gpusim does, but for the tests' own). Package
// gpu built CRC-32C's tables there (crc32.MakeTable(crc32.Castagnoli),
// 9672 bytes, 0.17 to 0.26 ms of every start) and gpu/cl compiled a regexp
// (poclBinaryDir, 31 kB in 202 allocations, 0.04 to 0.1 ms). Allocations
// stand for the work: the trace's clock is too noisy to test.
func TestInitCost(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	trace, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s -test.run=^$: %v\n%s", bin, err, trace)
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(trace))
	for sc.Scan() {
		// init github.com/gpusim/gpusim/gpu @1.1 ms, 0.18 ms clock, 9672 bytes, 8 allocs
		f := strings.Fields(sc.Text())
		if len(f) != 11 || f[0] != "init" || f[8] != "bytes," || f[10] != "allocs" {
			continue
		}
		pkg := f[1]
		if !strings.HasPrefix(pkg, "github.com/gpusim/gpusim/") || pkg == "github.com/gpusim/gpusim/cmd/gpusim" || strings.HasSuffix(pkg, "/internal/testenv") {
			continue // main holds the tests' variables here; testenv is the tests'
		}
		seen++
		size, err1 := strconv.Atoi(f[7])
		allocs, err2 := strconv.Atoi(f[9])
		if err1 != nil || err2 != nil {
			t.Fatalf("unreadable trace line %q", sc.Text())
		}
		if size > initBudgetBytes || allocs > initBudgetAllocs {
			t.Errorf("package %s allocates %d bytes in %d allocations as it initializes (%s %s of clock), over %d bytes or %d allocations: build it where it is used (sync.OnceValue)",
				pkg, size, allocs, f[4], f[5], initBudgetBytes, initBudgetAllocs)
		}
	}
	if seen < 5 {
		t.Fatalf("the trace names %d of gpusim's packages, want the ones the binary links:\n%s", seen, trace)
	}
}
