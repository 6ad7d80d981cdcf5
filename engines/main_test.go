package engines_test

import (
	"testing"

	"github.com/gpusim/gpusim/engines"
	"github.com/gpusim/gpusim/gpu/cl/cltest"
)

// TestMain gives the tests caches of their own (cltest.Main), not the
// user's ~/.cache/gpusim and pocl's shared kernel cache, and the long
// waits on the driver (cltest.DriverWait).
func TestMain(m *testing.M) { cltest.Main(m, engines.SetDriverWait) }

// TestOwnCaches: the tests' runs use caches of their own, not the user's.
func TestOwnCaches(t *testing.T) { cltest.CheckOwnCaches(t) }
