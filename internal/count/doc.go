// Package count is the one grammar of every whole-number flag of gpusim
// (--lanes, --steps, --seed, --workers, bench's lists, --shard, the device
// indexes of --device and bench's --engines opencl:N, ...): decimal, never
// octal, with underscores, e-notation, exact powers plus or minus a term
// (2^64-1) and k/M/G/T/P/E suffixes; and the power form (Power) that the float
// flags read too; the saturating arithmetic (SatAdd, SatMul) of the byte
// counts weighed against a limit; and a count written with its noun (Noun)
// or with an SI prefix (SI; past the prefixes and below 10^-9 as a power
// of ten, Pow10), and a span of seconds in seconds, days or years (Time),
// with the microsecond written µs (Micro).
package count
