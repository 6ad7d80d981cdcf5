#!/usr/bin/env bash
# Cross-builds gpusim without cgo for every system CI promises (issue 11,
# item 11): each target compiles all packages and links bin/gpusim, amd64
# also under GOEXPERIMENT=simd (the SIMD engine's experiment only changes
# amd64 builds). OpenCL is built in where purego works (gpu/cl/dl_purego.go);
# elsewhere, linux/s390x and windows/amd64 here, gpusim builds without it.
# FreeBSD is built both plain (no OpenCL) and with the flags that give it
# OpenCL without cgo.
#
# When qemu-s390x-static (Debian: qemu-user-static) is on PATH, the
# linux/s390x binary also runs: the default engine must give the digest of
# this machine's, and --device 0 (OpenCL) must say OpenCL is not supported.
#
# Usage: .ci/cross-build.sh [GOOS/GOARCH ...]   (default: the CI list)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	targets=(linux/amd64 linux/arm64 linux/386 linux/s390x linux/ppc64le linux/riscv64
		darwin/arm64 windows/amd64 freebsd/amd64)
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fakecgo=(-tags gpusim_fakecgo -gcflags=github.com/ebitengine/purego/internal/fakecgo=-std)

build() { # build GOOS/GOARCH EXPERIMENT [go build flags...]
	local target=$1 exp=$2
	shift 2
	local goos=${target%/*} goarch=${target#*/}
	echo "+ $target GOEXPERIMENT=$exp $*"
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOEXPERIMENT=$exp go build "$@" ./...
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch GOEXPERIMENT=$exp \
		go build "$@" -o "$out/gpusim-$goos-$goarch$exp" ./cmd/gpusim
}

for t in "${targets[@]}"; do
	build "$t" ""
	if [ "${t#*/}" = amd64 ]; then
		build "$t" simd
	fi
	if [ "${t%/*}" = freebsd ]; then
		build "$t" "" "${fakecgo[@]}"
	fi
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
echo "+ cross builds pass: ${targets[*]}"
