package sim

import (
	"runtime"
	"sync"
)

func parallelFor(n int, f func(i int)) {
	w := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		wg.Go(func() {
			for i := k; i < n; i += w {
				f(i)
			}
		})
	}
	wg.Wait()
}
