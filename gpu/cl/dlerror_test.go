//go:build (darwin && !ios) || (linux && !android && (386 || amd64 || arm || arm64 || loong64 || ppc64le || riscv64 || (s390x && go1.27))) || ((darwin || freebsd || linux || netbsd) && cgo) || ((freebsd || netbsd) && (amd64 || arm64) && gpusim_fakecgo)

package cl

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestDlerrorSameThread: a failed dlopen or dlsym says why. dlerror is per
// thread, and purego calls it after dlopen in a second call: a goroutine
// moved to another thread in between read no reason, and the error said
// "the dynamic loader gave no reason" (1 in 16 runs of gpusim with an
// empty OCL_ICD_VENDORS).
func TestDlerrorSameThread(t *testing.T) {
	const goroutines, tries = 8, 400
	var empty, total atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < tries; i++ {
				_, err := dlopen("/nonexistent/gpusim-dlerror-test.so")
				total.Add(1)
				if err == nil || err.Error() == "" {
					empty.Add(1)
				}
				runtime.Gosched()
			}
		}()
	}
	// Keep the scheduler moving goroutines between threads.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	wg.Wait()
	close(stop)
	if n := empty.Load(); n > 0 {
		t.Errorf("%d of %d failed dlopens gave no reason", n, total.Load())
	}
}
