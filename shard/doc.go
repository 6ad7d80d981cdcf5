// Package shard cuts a gpusim job into shards that run anywhere, saves each
// shard's result as a part file, and merges the parts into the job's result.
//
// # Shards
//
// Shard i of N of a job of L lanes runs lanes
//
//	[floor(i L / N), floor((i+1) L / N))
//
// (sim.Split), so the N shards cover every lane exactly once. Parse reads the
// --shard forms i/N, auto and auto/N; auto takes the index from a Slurm job
// array, a Kubernetes Indexed Job or GPUSIM_SHARD_INDEX (see Parse). Run runs
// one shard on an engine.
//
// # Part files
//
// A part file is a JSON envelope
//
//	{"format": "gpusim-part", "version": 6, "payload": {...}, "checksum": "sha256:<hex>"}
//
// (version 5 where it has no finals, and 4 where no summary has a
// float_depth either, below).
//
// The payload is
//
//	params        the job: lanes, steps, start, anchor, persistence, sigma, seed
//	math          the stream's math mode: "exact" or "fast" (sim.Result.Math)
//	lanes         {first, count}: the part holds lanes [first, first+count)
//	shard         {index, count}: the --shard that made it, if any (for people)
//	engine        the engine that ran (one that runs: serial, parallel,
//	              simd, opencl); device, the device or CPU configuration
//	requested_engine  the engine the run was asked for (gpusim run --engine:
//	              auto, or an engine's name; Part.Requested)
//	wall_seconds  the run's wall time
//	summary       the part's sim.Summary: count, mean, m2, shift and dev
//	              (below), min, max (null without lanes), digest (16 hex
//	              digits), hist {lo, scale, bins}: the underflow count,
//	              sim.HistBins bins, the overflow, and float_depth
//	              (version 5, a decimal string up to sim.MaxFloatDepth):
//	              absent where the moments were summed in float64, else
//	              sim.Summary.FloatDepth, the depth of the float32 sums of
//	              an OpenCL device without fp64
//	daily         the per-step summaries (sim.DailyBins bins), when the run
//	              kept them (--daily); [] for a --daily run of no steps,
//	              absent without --daily
//	finals        (version 6) the part's lanes' final temperatures in lane
//	              order, where the job has at most sim.ExactQuantileLanes
//	              lanes: each float32's bits, 4 bytes little-endian, in
//	              standard base64; their digest terms sum to the summary's
//	              digest. A merge of such parts reports the lanes' exact
//	              quantiles, as the single run does. A version 6 part of
//	              lanes of such a job without them is refused.
//
// A summary has shift and dev when it keeps its mean as shift + dev
// (sim.Summary.Shift: the engines sum each lane's deviation from the exact
// mean), and mean is then exactly shift + dev; ParsePart refuses a part
// where it is not, or that has one of the two without the other. Merge
// combines summaries on their deviations while they have the same shift,
// as a single run does, which keeps the std to rounding when the spread is
// far below the mean's ulp (a 1e-6 sd around 73.5); it uses the means for
// a summary without them.
//
// Every value survives a tool that reads JSON numbers as float64 (jq 1.6,
// JavaScript, Python's json with floats): the uint64s (lanes, seed, first,
// count, shard index and count, summary counts) are decimal strings, a
// histogram bin is a number up to 2^53 and a string above; float64s are the
// shortest decimal that reads back as the same float64; float32s (min, max,
// lo, scale) are the shortest decimal of their float64 value, which reads
// back exactly through float64 as well as float32. A negative zero is
// written -0.0 (jsonnum.NegZero), which Python's json reads as a float -0,
// where -0 read as the int 0.
//
// The checksum is the SHA-256 of the payload's values encoded as Marshal
// encodes them (Go's encoding/json of the payload, compact, -0 as -0: a
// gpusim that wrote -0 reads the -0.0 of a later one), so a changed
// value, a truncated file or a damaged byte fails it, while whitespace, key
// order and the spelling of a float (7.2e1 for 72) do not. Integer fields
// must be written as integers (a count of 1e2 is refused).
//
// Marshal writes version 6 only where the part has finals, which ParsePart
// refuses in a part of versions 1 to 5; else version 5 only where a
// summary has a float_depth, and version 4, which is version 5 without
// float_depth, otherwise: a part
// summed in float64 reads in a gpusim of version 4 parts as before, and
// one summed in float32 is refused there as of a newer version rather than
// read for float64's accuracy. ParsePart refuses a float_depth in a part
// of versions 1 to 4, and reads versions 1 to 3 as before. Version 3 is version 4
// without requested_engine, which ParsePart refuses in versions 1 to 3 and
// requires in version 4; their Part.Requested is empty, they merge with
// version 4 parts as with each other, and Requested of a set of parts in
// which one has none is "" (unknown), not a name taken from the others.
// Version 2 is version 3 without shift and dev, which it refuses in them,
// and left out an empty daily list: its summaries merge by their means
// (with each other and with later parts of the job, whose merge then uses the means too: to about
// 1e-10 of a narrow spread's std rather than 1e-12), and a --daily part of
// no steps reads as one without --daily. Version 1 wrote the uint64s as
// numbers, the float32s as their shortest float32 decimal and no math mode,
// and summed the payload's compact text; its Math is empty, and Merge
// refuses to mix it with parts that record a mode. A newer version is
// refused as such.
//
// A part's engine and requested_engine are each one name: only a merge's
// report joins several with + (auto+serial), so ParsePart refuses a part
// whose engine is empty or either field holds a +. Which names are
// engines the registry (package engines) knows: ReadParts, given them as
// Names, refuses a part with any other ("banana", "unknown", which is only
// a merge's word for parts of versions 1 to 3), naming the file and the
// field, and a part whose engine is not the engine it was asked for (only
// auto chooses).
//
// ReadPart refuses anything but an intact part of a valid job; Merge refuses
// parts of different jobs or math modes and parts that do not cover the
// job's lanes exactly once, naming the files. Parts run on different
// engines, or asked for different ones, merge: the exact stream does not
// depend on the engine (Merge's Engine and Requested name each of them).
package shard
