package cl

import (
	"path/filepath"
	"testing"
	"time"
)

// TestQuiesce: Quiesce waits for a probe file in the making to be removed
// and then holds off any other; a probe of a file system that hangs is
// waited for a second at most.
func TestQuiesce(t *testing.T) {
	dir := t.TempDir()
	if err := writableSize(dir, 0); err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{})
	go func() {
		probing.Lock() // a probe in the making
		close(held)
		time.Sleep(50 * time.Millisecond)
		probing.Unlock()
	}()
	<-held
	t0 := time.Now()
	Quiesce()
	if d := time.Since(t0); d < 40*time.Millisecond {
		t.Errorf("Quiesce returned after %v, while a probe was in the making", d)
	}
	if probing.TryLock() {
		t.Error("a probe may start after Quiesce")
	}
	probing.Unlock() // for the other tests
	if left, _ := filepath.Glob(filepath.Join(dir, ".gpusim-probe-*")); len(left) > 0 {
		t.Errorf("probe files left: %v", left)
	}

	probing.Lock() // a probe that hangs
	t0 = time.Now()
	Quiesce()
	if d := time.Since(t0); d < 900*time.Millisecond || d > 5*time.Second {
		t.Errorf("Quiesce beside a probe that hangs returned after %v, want about 1 s", d)
	}
	probing.Unlock()
}
