package sysmem

import "fmt"

// goStartBytes is the address space a start of gpusim maps under a limit
// (ulimit -v) that leaves Go's runtime room for all it reserves as it
// starts: VmSize 1,289,340 to 1,297,548 KiB, once gpusim had restarted
// itself (RestartForLimit), in 16 starts under limits from 1350000 to
// 4000000 KiB (linux/amd64, Go 1.26, a 21.7 MB executable, 2 CPUs), so
// 1,300,000 KiB. Under lower limits the runtime's reservations fail and it
// makes do with less (765,056 to 767,108 KiB under 800000 to 1150000),
// and between them (1200000 to 1300000) it does not start at all: a
// limit named from what such a small start maps, raised by what a run
// lacks, fell there (ulimit -v 1000000 left 238 MB where OpenCL takes
// 487 MB; 1250000 died of Go's "fatal error: out of memory" before any of
// gpusim ran).
const goStartBytes = 1300000 << 10

// lowStartTop is the highest limit, in bytes, under which starts were
// measured to take the runtime's smaller reservations and run (1150000
// KiB; see goStartBytes).
const lowStartTop = 1150000 << 10

// startMapped is what this process had mapped (VmSize) as its start
// ended (RestartForLimit), 0 where no limit was set or it is not known.
var startMapped uint64

// limitMargin is what SuggestLimit adds to a shortfall: a heap arena of
// Go's (64 MiB), as VmSize moves by that much between starts.
const limitMargin = 64 << 20

// StartSpread is how much the memory available to one start of gpusim
// may fall short of another's, in bytes: VmSize moves by a heap arena of
// Go's (limitMargin, 64 MiB) between starts under one ulimit -v. A value
// named as one that fits (--workers N fits) fits the available memory less
// it: a refusal of 26 --daily workers under ulimit -v 2500000 named 23,
// which the next start, with 1.17 GB available where 1.2 GB was needed,
// refused in turn.
const StartSpread = limitMargin

// HeapSlack is the address space, in bytes, Go's heap maps beyond live
// bytes held in many objects: the heap arena it grows by (64 MiB) and a
// sixteenth of them for size classes and spans. Measured with --daily at
// 10,000 steps (each worker's statistics 2,000 objects or more), VmPeak
// grew by 1,068 and 1,077 MB from 1 to 24 workers where the statistics
// counted 1,026 MB, and 395 MB where they counted 312 MB at 8: a
// memory check without it let 38 workers through under ulimit -v 3000000,
// which died out of memory.
func HeapSlack(live uint64) uint64 { return limitMargin + live/16 }

// limitStep rounds a suggested limit up, in KiB: a round figure.
const limitStep = 10000

// SuggestLimit is the address-space limit (ulimit -v), in KiB, to name to
// a user whose process lacks short bytes of room under its limit of limit
// bytes: the limit, short, limitMargin and, where this process started
// with the Go runtime's smaller reservations (startMapped under
// lowStartTop) and the figure is above lowStartTop, what a start under
// the higher limit maps more (goStartBytes less startMapped), rounded up
// to limitStep.
func SuggestLimit(limit, short uint64) uint64 {
	want := limit + short + limitMargin
	if startMapped > 0 && startMapped < lowStartTop && want > lowStartTop {
		want += goStartBytes - startMapped
	}
	return (want>>10 + limitStep - 1) / limitStep * limitStep
}

// RaiseLimit names SuggestLimit(limit, short) for a hint: "ulimit -v N or
// more", with the hard limit where N is above it (a soft limit can be
// raised only up to it, and sh's and bash's ulimit -v set both).
func RaiseLimit(limit, short uint64) string {
	kib := SuggestLimit(limit, short)
	s := fmt.Sprintf("ulimit -v %d or more", kib)
	if hard, ok := hardAS(); ok && hard>>10 < kib {
		s += fmt.Sprintf(" (the hard limit too, ulimit -Hv %d, which only root can raise in place)", hard>>10)
	}
	return s
}
