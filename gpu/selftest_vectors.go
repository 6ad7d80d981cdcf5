package gpu

// katVectors are Random123's known-answer vectors for Philox4x32-10
// (kat_vectors in Random123's tests; rng/testdata/philox4x32-10-kat.txt,
// which TestKATVectorsMatchFile checks this copy against). Frozen.
var katVectors = []struct {
	ctr, out [4]uint32
	key      [2]uint32
}{
	{ctr: [4]uint32{0x00000000, 0x00000000, 0x00000000, 0x00000000}, key: [2]uint32{0x00000000, 0x00000000},
		out: [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
	{ctr: [4]uint32{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, key: [2]uint32{0xffffffff, 0xffffffff},
		out: [4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
	{ctr: [4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, key: [2]uint32{0xa4093822, 0x299f31d0},
		out: [4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
}
