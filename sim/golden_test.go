package sim

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/gpusim/gpusim/rng"
)

var update = flag.Bool("update", false, "rewrite testdata/golden-stream.txt from the current code")

// goldenLanes straddle the 32-bit halves of the lane counter.
var goldenLanes = []uint64{0, 1, 2, 3, 15, 16, 17, 1000003, 1<<32 - 1, 1 << 32, 1<<32 + 1, 1<<63 + 5, math.MaxUint64}

const goldenSeed = 0x0123456789abcdef

// goldenStream renders the normals of the first three step blocks and the
// final temperature after 37 steps of each golden lane, as float32 bits.
func goldenStream() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# gpusim golden stream: seed %#x, default model, 37 steps. Columns: lane, normals of blocks 0..2 (float32 bits), final.\n", uint64(goldenSeed))
	p := Default()
	p.Seed, p.Steps = goldenSeed, 37
	m := p.Model()
	for _, lane := range goldenLanes {
		fmt.Fprintf(&b, "%d", lane)
		for blk := uint32(0); blk < 3; blk++ {
			z0, z1, z2, z3 := rng.LaneBlock(lane, blk, m.Key)
			for _, z := range []float32{z0, z1, z2, z3} {
				fmt.Fprintf(&b, " %08x", math.Float32bits(z))
			}
		}
		fmt.Fprintf(&b, " %08x\n", math.Float32bits(m.Final(lane)))
	}
	return b.Bytes()
}

func TestGoldenStream(t *testing.T) {
	const path = "testdata/golden-stream.txt"
	got := goldenStream()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
		for i := range min(len(gl), len(wl)) {
			if !bytes.Equal(gl[i], wl[i]) {
				t.Fatalf("#%d: got %s, want %s", i, gl[i], wl[i])
			}
		}
		t.Fatalf("golden stream length differs: %d lines, want %d", len(gl), len(wl))
	}
}
