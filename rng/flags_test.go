package rng

import "flag"

var exhaustive = flag.Bool("exhaustive", false, "measure the transform error over all 2^32 words (about two minutes)")
