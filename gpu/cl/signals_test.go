package cl_test

import (
	"os"
	"testing"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestSignalsKept: loading OpenCL, listing the devices, creating a context
// and building a program leave the handlers of the stop signals as they
// were. pocl's LLVM replaced those of SIGINT, SIGTERM, SIGHUP and SIGQUIT
// as pocl listed its devices, with a handler installed with SA_RESETHAND,
// so that a second SIGINT right after the first killed gpusim by the
// default action (TestDoubleSignal/opencl: status -1 in 2 of 30 runs), and
// a first SIGQUIT was dropped. It runs in a child, whose start is before
// any load.
func TestSignalsKept(t *testing.T) {
	if os.Getenv(envChild) != "signals" {
		runChild(t, "TestSignalsKept", "signals")
		return
	}
	before := cl.SignalHandlers()
	if before == nil {
		t.Skip("the drivers' signal handlers are not kept on this system")
	}
	dev, ctx, _ := cltest.Setup(t)
	if _, err := cl.BuildProgram(ctx, dev, "kernel void k(global int *p) { p[0] = 1; }", ""); err != nil {
		t.Fatal(err)
	}
	after := cl.SignalHandlers()
	for s, h := range before {
		if after[s] != h {
			t.Errorf("%v: handler %#x after OpenCL loaded, %#x before", s, after[s], h)
		}
	}
}
