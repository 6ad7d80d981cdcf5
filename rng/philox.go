package rng

// Philox4x32-10 constants from Salmon et al., "Parallel Random Numbers: As Easy
// as 1, 2, 3", SC'11, and Random123's philox.h.
const (
	PhiloxM0 = 0xD2511F53 // multiplier applied to ctr[0]
	PhiloxM1 = 0xCD9E8D57 // multiplier applied to ctr[2]
	PhiloxW0 = 0x9E3779B9 // Weyl bump of key[0]
	PhiloxW1 = 0xBB67AE85 // Weyl bump of key[1]
)

// Philox4x32 is the Philox4x32-10 block function: ten rounds over the counter,
// with the key bumped before rounds 2..10 (docs/reproducibility.md, section
// 2). ctr[0] is the least significant word; key is (k0, k1).
func Philox4x32(ctr [4]uint32, key [2]uint32) [4]uint32 {
	a, b, c, d := Philox(ctr[0], ctr[1], ctr[2], ctr[3], key[0], key[1])
	return [4]uint32{a, b, c, d}
}

// Philox is Philox4x32 on words in registers: counter (c0, c1, c2, c3), c0
// least significant, and key (k0, k1) in; the block's four words out in
// order. Its ten rounds are unrolled: a
// round loop with arrays runs at half the speed in Go, and a loop over
// these scalars (even two rounds a turn) made the serial reference 6% to
// 15% slower, measured side by side. The repeated rounds are deliberate.
func Philox(c0, c1, c2, c3, k0, k1 uint32) (uint32, uint32, uint32, uint32) {
	var p0, p1 uint64
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	k0 += PhiloxW0
	k1 += PhiloxW1
	p0, p1 = uint64(c0)*PhiloxM0, uint64(c2)*PhiloxM1
	c0, c1, c2, c3 = uint32(p1>>32)^c1^k0, uint32(p1), uint32(p0>>32)^c3^k1, uint32(p0)
	return c0, c1, c2, c3
}

// Key is the Philox key for a 64-bit seed: (low word, high word), as
// docs/reproducibility.md, section 1, specifies.
func Key(seed uint64) [2]uint32 { return [2]uint32{uint32(seed), uint32(seed >> 32)} }
