package rng

// Counter is the Philox counter of lane's step block b (steps 4b..4b+3):
// (b, low32(lane), high32(lane), 0).
func Counter(lane uint64, block uint32) [4]uint32 {
	return [4]uint32{block, uint32(lane), uint32(lane >> 32), 0}
}
