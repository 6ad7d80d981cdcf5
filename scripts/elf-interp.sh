#!/bin/sh
# Prints the Go linker flag -I=PATH that gives gpusim, built for the target
# `go env` names (GOOS, GOARCH and GOARM as a build reads them, from the
# environment or go env -w), the ELF interpreter (dynamic loader) that the
# systems of that target have, or nothing where Go's own choice is right.
# Every build of gpusim passes it in -ldflags: the Makefile (build, and the
# go test runs through GOFLAGS), .ci/cross-build.sh, scripts/gpu-check.sh
# prepare and .ci/slurm-e2e.sh. GO names the go command (default: go).
#
# Why: on Linux gpusim loads OpenCL with purego (gpu/cl/dl_purego.go), so
# its executable imports libc's dlopen and is dynamically linked even
# without cgo, and the kernel starts it only where the interpreter written
# in it exists ("no such file or directory" otherwise). Go 1.26's internal
# linker writes
#
#   linux/riscv64  /lib/ld.so.1, which no distribution has (golang/go#77209):
#                  glibc's loader for the lp64d ABI, the one Go's RV64G code
#                  uses, is /lib/ld-linux-riscv64-lp64d.so.1 (Debian, Ubuntu,
#                  Fedora, openSUSE, Arch);
#   linux/arm      /lib/ld-linux.so.3, the soft-float (Debian armel) loader;
#                  the hard-float systems (Debian and Ubuntu armhf, Raspberry
#                  Pi OS, Fedora, Arch Linux ARM) have /lib/ld-linux-armhf.so.3
#                  and, but for a link some Raspberry Pi OS images add, no
#                  ld-linux.so.3. purego passes float arguments in VFP
#                  registers unless GOARM asks for soft float, so a GOARM=6
#                  or 7 build (7 is Go's default when cross-compiling) is an
#                  armhf program and gets the armhf loader; GOARM=5 or
#                  GOARM=N,softfloat is an armel one and keeps Go's.
#
# Go's choices for 386, amd64, arm64, loong64 and ppc64le are glibc's.
# .ci/cross-build.sh checks every linux binary's interpreter against
# Debian's cross C libraries and runs the binaries under qemu.
set -eu
env=$("${GO:-go}" env GOOS GOARCH GOARM)
goos=$(echo "$env" | sed -n 1p)
goarch=$(echo "$env" | sed -n 2p)
goarm=$(echo "$env" | sed -n 3p)
case $goos/$goarch in
linux/riscv64)
	echo "-I=/lib/ld-linux-riscv64-lp64d.so.1"
	;;
linux/arm)
	case $goarm in
	5 | 5,* | *,softfloat) ;;
	*) echo "-I=/lib/ld-linux-armhf.so.3" ;;
	esac
	;;
esac
