package count

import "math/bits"

// SatAdd is the sum of n, saturating at 2^64-1: the one arithmetic of the
// byte and character counts gpusim weighs against a limit (a part file's
// largest size, a run's outputs against the free disk, device buffers
// against ulimit -v), where a sum past 2^64-1 must read as too large,
// never wrap to a small need. SatAdd() is 0.
func SatAdd(n ...uint64) uint64 {
	var s uint64
	for _, x := range n {
		var c uint64
		if s, c = bits.Add64(s, x, 0); c != 0 {
			return 1<<64 - 1
		}
	}
	return s
}

// SatMul is a times b, saturating at 2^64-1 as SatAdd does.
func SatMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return 1<<64 - 1
	}
	return lo
}
