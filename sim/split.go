package sim

import "math/bits"

// Split returns part i of n near-equal parts of lanes [0, lanes):
//
//	[floor(i L / n), floor((i+1) L / n))
//
// so the n parts cover every lane exactly once, their sizes differ by at most
// one, and the split depends only on i, n and L. The products are taken in
// 128 bits, so every lane count up to 2^64-1 splits exactly. It panics unless
// i < n.
func Split(lanes, i, n uint64) (first, count uint64) {
	if i >= n {
		panic("sim: Split: part index not below the part count")
	}
	first = mulDiv(i, lanes, n)
	end := mulDiv(i+1, lanes, n)
	return first, end - first
}

// mulDiv is floor(a b / n) for a <= n, which always fits in 64 bits.
func mulDiv(a, b, n uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, n) // hi < n because a <= n and b < 2^64
	return q
}
