package sim

// Mix64 is the SplitMix64 finalizer (Steele, Lea and Flood, "Fast Splittable
// Pseudorandom Number Generators", OOPSLA'14; constants from Vigna's
// splitmix64.c): a bijection on 64 bits with full avalanche.
func Mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// DigestTerm is one lane's contribution to a digest (docs/reproducibility.md,
// section 5):
//
//	Mix64(Mix64(lane + 0x9e3779b97f4a7c15) ^ bits(final))
//
// A digest is the sum of the terms mod 2^64, so it is exact and does not depend
// on the order in which lanes are added, and digests of disjoint lane ranges
// add up to the digest of their union.
func DigestTerm(lane uint64, bits uint32) uint64 {
	return Mix64(Mix64(lane+0x9e3779b97f4a7c15) ^ uint64(bits))
}
