#!/usr/bin/env bash
# Cross-builds gpusim without cgo for every system CI promises (issue 11,
# item 11): each target compiles all packages and links bin/gpusim, amd64
# also under GOEXPERIMENT=simd (the SIMD engine's experiment only changes
# amd64 builds). OpenCL is built in where purego works (gpu/cl/dl_purego.go);
# elsewhere, linux/s390x and windows/amd64 here, gpusim builds without it.
# FreeBSD and NetBSD are built both plain (no OpenCL) and with the flags
# that give them OpenCL without cgo (gpu/cl/unavailable.go's hint). Off
# Linux, where CI runs no tests, go vet also type-checks every package's
# tests, in the plain build alone (about 20 s a system on 2 CPUs; the
# fakecgo tags change gpu/cl's files only, and GOEXPERIMENT=simd's files
# are amd64's alike on every system, which linux/amd64 tests):
# the BSDs' int64 Rlimit fields once kept internal/descriptors' tests from
# compiling there, and NetBSD, not built here then, did not build at all
# (no CLOCK_PROCESS_CPUTIME_ID in x/sys). linux/386 is vetted too, for
# a 32-bit int: the progress tests' 1<<32 steps kept them from compiling
# in every 32-bit build, which no test runs.
#
# Every linux binary that OpenCL makes dynamically linked gets the ELF
# interpreter its systems have (scripts/elf-interp.sh: Go 1.26 writes
# /lib/ld.so.1 on riscv64, which no distribution has, and the armel loader
# on arm); each one's interpreter must exist in Debian's cross C library
# for its architecture (libc6-*-cross, under /usr/TRIPLET), or on this
# machine for its own. linux/arm is built twice: GOARM=7, Go's default, for
# the hard-float (armhf) systems, and GOARM=5 for the soft-float (armel)
# ones.
#
# When qemu-s390x-static (Debian: qemu-user-static) is on PATH, the
# linux/s390x binary also runs: the default engine must give the digest of
# this machine's, and --device 0 (OpenCL) must say OpenCL is not supported.
#
# The Go compiler fuses x*y + z into one instruction on arm64, ppc64le,
# s390x, riscv64 and loong64 unless a conversion rounds the product
# (docs/reproducibility.md, introduction), which changes the bits of what
# gpusim reports. So every target's binary is disassembled, and a fused
# multiply-add in the packages whose values a report, part file or output
# file carries fails the build, but for the lines that call math.FMA. Then
# the linux/arm64, ppc64le, riscv64, arm (both) and s390x binaries run
# under qemu where it and (for all but s390x, which load libc for OpenCL)
# Debian's libc6-arm64-cross, libc6-ppc64el-cross, libc6-riscv64-cross,
# libc6-armhf-cross and libc6-armel-cross are installed: a few jobs' JSON
# reports, --out files, and shards saved there and here, merged on either,
# must be this machine's, and on arm64 the tests of the stream and the
# exact law (rng, sim) pass. linux/386 runs here natively where the kernel
# runs 32-bit programs (qemu-i386 cannot run Go's 386 programs).
#
# Usage: .ci/cross-build.sh [GOOS/GOARCH ...]   (default: the CI list)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
# Systems CI does not promise but whose packages and tests are kept
# compiling: go vet alone, with the default list (their tests did not
# compile, syscall having no Mkfifo there; x/sys/unix's has).
vetonly=()
if [ ${#targets[@]} -eq 0 ]; then
	targets=(linux/amd64 linux/arm64 linux/386 linux/arm linux/loong64 linux/s390x linux/ppc64le
		linux/riscv64 darwin/arm64 windows/amd64 freebsd/amd64 netbsd/amd64)
	vetonly=(aix/ppc64 solaris/amd64 illumos/amd64)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fakecgo=(-tags gpusim_fakecgo -gcflags=github.com/ebitengine/purego/internal/fakecgo=-std)

# build GOOS/GOARCH EXPERIMENT [go build flags...]: all packages (and off
# Linux, with neither EXPERIMENT nor flags, go vet of them and their
# tests), then $out/gpusim-GOOS-GOARCH plus EXPERIMENT, or plus GOARM where
# the caller sets it (then gpusim alone), with the interpreter of
# scripts/elf-interp.sh.
build() {
	local target=$1 exp=$2
	shift 2
	local goos=${target%/*} goarch=${target#*/} ld
	ld=$(GOOS=$goos GOARCH=$goarch sh scripts/elf-interp.sh)
	echo "+ $target GOEXPERIMENT=$exp${GOARM:+ GOARM=$GOARM} -ldflags=$ld $*"
	if [ -z "${GOARM:-}" ]; then
		CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOEXPERIMENT=$exp go build -ldflags="$ld" "$@" ./...
		if { [ "$goos" != linux ] || [ "$goarch" = 386 ]; } && [ -z "$exp" ] && [ $# -eq 0 ]; then
			CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOEXPERIMENT=$exp go vet "$@" ./...
		fi
	fi
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOEXPERIMENT=$exp \
		go build -ldflags="$ld" "$@" -o "$out/gpusim-$goos-$goarch$exp${GOARM:-}" ./cmd/gpusim
}

# interpcheck: the ELF interpreter of every dynamically linked linux binary
# in $out exists in Debian's C library for its architecture (the
# libc6-*-cross package's /usr/TRIPLET), or on this machine for its own
# architecture; a missing one means the binary does not start there.
interpcheck() {
	local f name arch interp root pkg bad=0
	for f in "$out"/gpusim-linux-*; do
		# No linux target asked for (.ci/cross-build.sh freebsd/amd64): the
		# pattern stays as it is, and readelf's error on it ended the script.
		[ -e "$f" ] || continue
		name=${f##*/gpusim-}
		interp=$(readelf -lW "$f" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
		[ -n "$interp" ] || continue # statically linked: no OpenCL there
		arch=${name#linux-}
		arch=${arch%simd}
		case $arch in
		amd64) root=/usr/x86_64-linux-gnu pkg=libc6-amd64-cross ;;
		arm64) root=/usr/aarch64-linux-gnu pkg=libc6-arm64-cross ;;
		386) root=/usr/i686-linux-gnu pkg=libc6-i386-cross ;;
		arm) root=/usr/arm-linux-gnueabihf pkg=libc6-armhf-cross ;;
		arm5) root=/usr/arm-linux-gnueabi pkg=libc6-armel-cross ;;
		loong64) root=/usr/loongarch64-linux-gnu pkg=libc6-loong64-cross ;;
		ppc64le) root=/usr/powerpc64le-linux-gnu pkg=libc6-ppc64el-cross ;;
		riscv64) root=/usr/riscv64-linux-gnu pkg=libc6-riscv64-cross ;;
		*) root="" pkg="" ;;
		esac
		if [ "$arch" = "$(go env GOHOSTARCH)" ] && [ "$(go env GOHOSTOS)" = linux ]; then
			root="" # this machine's own C library
		elif [ -z "$pkg" ] || [ ! -d "$root" ]; then
			echo "+ linux/$arch: interpreter $interp not checked: it needs ${pkg:-a C library for it}"
			continue
		fi
		if [ ! -e "$root$interp" ]; then
			echo "linux/$arch: interpreter $interp is not in ${root:-this machine}: the binary does not start there (scripts/elf-interp.sh)" >&2
			bad=1
			continue
		fi
		echo "+ linux/$arch: interpreter $interp is in ${root:-this machine}"
	done
	return $bad
}

# The packages whose values reach a report, part file or output file, and
# the file:line of each math.FMA call among them (the one fusion allowed).
numpkgs='^github.com/gpusim/gpusim/(rng|sim|cpu|shard|internal/(report|daily|outfile|paths|count))\.'
fmaok=$(grep -n 'math\.FMA(' rng/*.go sim/*.go cpu/*.go shard/*.go internal/{report,daily,outfile,paths,count}/*.go |
	grep -v '_test\.go:' | sed -E 's|^([^:]*/)?([^/:]+):([0-9]+):.*|\2:\3|' | tr '\n' ' ')

fusecheck() { # fusecheck BINARY: fail on a fused multiply-add in numpkgs
	local fused
	fused=$(go tool objdump -s "$numpkgs" "$1" | awk -F'\t' -v ok="$fmaok" '
		BEGIN { n = split(ok, a, " "); for (i = 1; i <= n; i++) allow[a[i]] = 1 }
		/^TEXT/ { split($0, t, " "); fn = t[2]; next }
		/\t(FMADD|FMSUB|FNMADD|FNMSUB|WFMADB|WFMSDB|FMULAD|FMULSD|FNMULAD|FNMULSD)/ { gsub(/ /, "", $1); if (!($1 in allow)) print fn, $1 }' | sort -u)
	if [ -n "$fused" ]; then
		echo "$1: fused multiply-adds (round the product with float64(...) or float32(...)):" >&2
		echo "$fused" >&2
		return 1
	fi
}

for t in "${targets[@]}"; do
	build "$t" ""
	fusecheck "$out/gpusim-${t%/*}-${t#*/}"
	# GOEXPERIMENT=simd's files are amd64's alike on every system: built
	# on Linux, Windows and FreeBSD, they are not built again for NetBSD.
	if [ "${t#*/}" = amd64 ] && [ "${t%/*}" != netbsd ]; then
		build "$t" simd
	fi
	if [ "${t%/*}" = freebsd ] || [ "${t%/*}" = netbsd ]; then
		build "$t" "" "${fakecgo[@]}"
	fi
	if [ "$t" = linux/arm ]; then
		GOARM=5 build "$t" ""
		fusecheck "$out/gpusim-linux-arm5"
	fi
done
interpcheck
for t in "${vetonly[@]}"; do
	echo "+ $t go vet (no binary)"
	CGO_ENABLED=0 GOOS=${t%/*} GOARCH=${t#*/} go vet ./...
done

if command -v qemu-s390x-static >/dev/null && [ -x "$out/gpusim-linux-s390x" ]; then
	echo "+ linux/s390x under qemu-s390x-static"
	args=(run --lanes 1000 --steps 20 --format json)
	want=$(go run ./cmd/gpusim "${args[@]}" | grep '"digest"')
	got=$(qemu-s390x-static "$out/gpusim-linux-s390x" "${args[@]}" | grep '"digest"')
	if [ "$got" != "$want" ]; then
		echo "linux/s390x: digest $got, want $want" >&2
		exit 1
	fi
	if msg=$(qemu-s390x-static "$out/gpusim-linux-s390x" run --lanes 1000 --device 0 2>&1); then
		echo "linux/s390x: --device 0 succeeded" >&2
		exit 1
	fi
	echo "$msg"
	grep -q 'OpenCL is not supported on linux/s390x' <<<"$msg"
fi
# emucheck NAME COMMAND...: the jobs below on COMMAND (a binary, under
# qemu) against this machine's gpusim: JSON reports without what depends on
# the machine (timing, device, auto's choice) or on Go's math library (the
# exact law's quantiles, docs/reproducibility.md), --out files byte for
# byte, and a job's two shards, one saved there and one here, merged on
# either, against one run here.
emucheck() {
	local name=$1 dir="$out/emu-$1" j w g
	shift
	mkdir -p "$dir"
	local drop='del(.timing, .device, .auto, .engine, .requested_engine, .out, .save, .merged.wall_s_total, .merged.files, .analytic.quantiles)'
	# Every CPU engine, per-step histograms, the edges of --persistence
	# and --sigma, the job whose histogram edge an arm64 build fused one
	# float32 ulp off (the exact law near |p| = 1), and the subnormal one
	# of docs/reproducibility.md, section 4.1.
	local jobs=(
		"--engine serial --lanes 1000 --steps 20 --daily"
		"--engine parallel --lanes 1000 --steps 9 --persistence -1 --sigma 0"
		"--engine simd --lanes 500 --steps 20 --persistence 2 --daily"
		"--engine simd --lanes 100 --steps 2352 --persistence 0.99999994"
		"--engine serial --lanes 20000 --steps 3 --seed 7 --anchor 0 --start 1e-30 --persistence 1e-9 --sigma 1e-32"
	)
	echo "+ $name: ${#jobs[@]} jobs, --out, shards merged across"
	for j in "${jobs[@]}"; do
		# shellcheck disable=SC2086 # j is a list of flags
		w=$("$here" run --format json $j 2>/dev/null | jq -S "$drop")
		# shellcheck disable=SC2086
		# A binary that does not start (qemu: "Could not open '/lib/ld.so.1'")
		# fails here with what it said, not with set -e's silent exit.
		g=$("$@" run --format json $j 2>"$dir/stderr" | jq -S "$drop") || true
		if [ -z "$w" ] || [ "$g" != "$w" ]; then
			echo "$name: run $j: the report differs from this machine's:" >&2
			head -5 "$dir/stderr" >&2
			diff <(echo "$w") <(echo "$g") | head -20 >&2 || true
			return 1
		fi
	done
	for f in npy f32; do
		"$here" run --engine simd --lanes 1000 --steps 20 --out "$dir/want.$f" >/dev/null 2>&1
		"$@" run --engine simd --lanes 1000 --steps 20 --out "$dir/got.$f" >/dev/null 2>&1
		if ! cmp "$dir/want.$f" "$dir/got.$f"; then
			echo "$name: --out .$f differs from this machine's" >&2
			return 1
		fi
	done
	j=(run --lanes 100 --steps 2352 --persistence 0.99999994)
	"$@" "${j[@]}" --shard 0/2 --save "$dir/part0.json" >/dev/null 2>&1
	"$here" "${j[@]}" --shard 1/2 --save "$dir/part1.json" >/dev/null 2>&1
	w=$("$here" "${j[@]}" --format json 2>/dev/null | jq -r .digest)
	for m in "$here" "$*"; do
		# shellcheck disable=SC2086 # m is a command with its arguments
		g=$($m merge --format json "$dir/part0.json" "$dir/part1.json" 2>/dev/null | jq -r .digest 2>/dev/null || true)
		if [ "$g" != "$w" ]; then
			echo "$name: shards merged by ${m##*/}: digest '$g', want $w" >&2
			$m merge "$dir/part0.json" "$dir/part1.json" >&2 || true
			return 1
		fi
	done
}
here="$out/gpusim-linux-amd64simd" # this machine's, AVX-512 where it has it
if [ "$(go env GOOS)/$(go env GOARCH)" = linux/amd64 ] && [ -x "$here" ] && command -v jq >/dev/null; then
	if [ -x "$out/gpusim-linux-s390x" ] && command -v qemu-s390x-static >/dev/null; then
		emucheck linux/s390x qemu-s390x-static "$out/gpusim-linux-s390x"
	fi
	# GOARCH (arm5: GOARM=5), qemu's name, the Debian triplet and package.
	for a in arm64:aarch64:aarch64-linux-gnu:arm64 ppc64le:ppc64le:powerpc64le-linux-gnu:ppc64el \
		riscv64:riscv64:riscv64-linux-gnu:riscv64 arm:arm:arm-linux-gnueabihf:armhf arm5:arm:arm-linux-gnueabi:armel \
		loong64:loongarch64:loongarch64-linux-gnu:loong64; do
		IFS=: read -r goarch qarch root pkg <<<"$a"
		if [ -x "$out/gpusim-linux-$goarch" ] && command -v "qemu-$qarch-static" >/dev/null && [ -d "/usr/$root/lib" ]; then
			emucheck "linux/$goarch" "qemu-$qarch-static" -L "/usr/$root" "$out/gpusim-linux-$goarch"
		elif [ -x "$out/gpusim-linux-$goarch" ]; then
			echo "+ linux/$goarch not run: it needs qemu-$qarch-static and /usr/$root (Debian: qemu-user-static, libc6-$pkg-cross)"
		fi
	done
	if [ -x "$out/gpusim-linux-386" ] && "$out/gpusim-linux-386" version >/dev/null 2>&1; then
		emucheck linux/386 "$out/gpusim-linux-386"
	fi
	if [ -x "$out/gpusim-linux-arm64" ] && command -v qemu-aarch64-static >/dev/null && [ -d /usr/aarch64-linux-gnu/lib ]; then
		echo "+ linux/arm64: the stream's and the exact law's tests under qemu"
		for p in rng sim; do
			CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go test -c -o "$out/$p.test" "./$p"
		done
		(cd rng && qemu-aarch64-static "$out/rng.test" -test.short \
			-test.run '^(TestConstantBits|TestBranchlessMatchesReference|TestPhiloxKAT|TestCounterAndKey)$')
		(cd sim && qemu-aarch64-static "$out/sim.test" -test.short \
			-test.run '^(TestGoldenStream|TestExactAgainstBig|TestExactQuantilesMatchSort)$')
	fi
fi
echo "+ cross builds pass: ${targets[*]}"
