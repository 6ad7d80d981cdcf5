package rng

// KAT is one known-answer vector of Philox4x32: Philox4x32(Ctr, Key) is Out.
type KAT struct {
	Ctr [4]uint32 // counter words, Ctr[0] least significant
	Key [2]uint32 // key words (k0, k1)
	Out [4]uint32 // the block's four output words, in order
}

// PhiloxKAT are Random123's known-answer vectors for Philox4x32-10
// (kat_vectors in Random123's tests, frozen in
// testdata/philox4x32-10-kat.txt, which TestPhiloxKAT checks this copy
// against), for implementations of the stream to test themselves with: the
// OpenCL engine's device self-test runs them.
var PhiloxKAT = [...]KAT{
	{Ctr: [4]uint32{0x00000000, 0x00000000, 0x00000000, 0x00000000}, Key: [2]uint32{0x00000000, 0x00000000},
		Out: [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
	{Ctr: [4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, Key: [2]uint32{0xffffffff, 0xffffffff},
		Out: [4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
	{Ctr: [4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, Key: [2]uint32{0xa4093822, 0x299f31d0},
		Out: [4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
}
