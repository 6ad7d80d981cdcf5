# gpusim's everyday commands. `make test` is the README's test command and
# what .ci/run runs.

GO ?= go

# The SIMD engine uses simd/archsimd, which Go 1.26 compiles only under
# GOEXPERIMENT=simd. Everything else builds either way: `make SIMD= build`
# (or a plain go build) leaves the SIMD engine out.
SIMD ?= simd
GOENV := GOEXPERIMENT=$(SIMD)

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

# The ELF interpreter the target's systems have where Go's linker writes
# another (linux/riscv64, hard-float linux/arm; scripts/elf-interp.sh says
# why): without it gpusim, dynamically linked for OpenCL, does not start
# there. The go test runs get it through GOFLAGS, which reaches the gpusim
# binaries the tests build too.
LDINTERP := $(shell GO='$(GO)' sh scripts/elf-interp.sh)
LDFLAGS := $(strip -X main.version=$(VERSION) $(LDINTERP))
INTERPENV := $(if $(LDINTERP),GOFLAGS='$(strip $(GOFLAGS) -ldflags=$(LDINTERP))')

# urfave_cli_no_docs leaves out urfave/cli's man page and Markdown writers
# (ToMan, ToMarkdown), which gpusim does not use: their go-md2man and
# blackfriday initialize tables and regexps at every start, 1.4 ms of the
# 25 ms `gpusim version` took on this project's 2-core machine (perf, 40
# starts). A plain go build keeps them and works the same.
TAGS ?= urfave_cli_no_docs

# Flags for `make run`, e.g. make run ARGS='--lanes 2^28 --format json'.
ARGS ?=

# Flags added to `make bench`'s quick suite, e.g. BENCH_ARGS='--engines serial,parallel'.
BENCH_ARGS ?=

.PHONY: build run test race cross bench gobench lint fuzz clean gpu-check

# gnuhash gives the executable a GNU symbol hash table, which Go's linker
# does not write: it spares the dynamic loader 2 to 4 ms of CPU when gpusim
# loads an OpenCL driver (internal/tools/gnuhash says why).
# gnuhash runs on this machine whatever GOOS and GOARCH the build is for.
build:
	CGO_ENABLED=0 $(GOENV) $(GO) build -tags '$(TAGS)' -ldflags '$(LDFLAGS)' -o bin/gpusim ./cmd/gpusim
	GOOS=$$($(GO) env GOHOSTOS) GOARCH=$$($(GO) env GOHOSTARCH) $(GO) run ./internal/tools/gnuhash bin/gpusim

run: build
	bin/gpusim run $(ARGS)

test:
	$(INTERPENV) $(GOENV) $(GO) test -timeout 25m ./...

# The CLI's tests with the race detector (some 12 minutes on two cores; CI
# runs it over the packages that wait from goroutines, .ci/run). The test binary is every gpusim the scripts start, so their
# child processes run under it too; GORACE's log_path gathers the reports
# of all of them, and any report fails the target, whatever the exit status
# a script expected. -race needs cgo (a C compiler); RACE_PKGS=./... for
# every package (the gpu package's tests take long).
RACE_PKGS ?= ./cmd/gpusim
race:
	@logs=$$(mktemp -d) && \
	CGO_ENABLED=1 GORACE="log_path=$$logs/race atexit_sleep_ms=10" $(INTERPENV) $(GOENV) $(GO) test -race -timeout 40m $(RACE_PKGS); st=$$?; \
	if ls $$logs/race.* >/dev/null 2>&1; then cat $$logs/race.*; echo "make race: data races reported (above)"; st=1; fi; \
	rm -rf $$logs; exit $$st

# Cross builds without cgo for every system CI covers (OpenCL only where
# purego can load it), and the linux/s390x binary run under qemu when
# qemu-s390x-static is installed.
cross:
	bash .ci/cross-build.sh

# The quick benchmark suite (under a minute on two cores). It rewrites the
# marked section of docs/benchmarks.md and the charts in docs/img/bench, PNG
# only to keep the repository small. Once bench has written its charts, those
# it did not write this time (workloads no longer in the suite) are removed, so
# none is stale; a bench refused, stopped or failed leaves every chart as it
# was (they went first: a refused bench left the docs' images missing).
bench: build
	@stamp=$$(mktemp) && \
	bin/gpusim bench --quick --update-doc docs/benchmarks.md --plot docs/img/bench --plot-format png $(BENCH_ARGS); st=$$?; \
	if [ $$st -eq 0 ]; then find docs/img/bench -maxdepth 1 -name '*.png' ! -newer "$$stamp" -print -delete | sed 's/^/make bench: removed the stale chart /'; fi; \
	rm -f "$$stamp"; exit $$st

# The Go benchmarks of every package.
gobench:
	$(INTERPENV) $(GOENV) $(GO) test -run '^$$' -bench . ./...

# gofmt, go vet with and without the SIMD experiment, and a go.mod that
# go mod tidy would leave alone.
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l lists files to format:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GOENV) $(GO) vet ./...
	$(GO) mod tidy -diff

# Go native fuzzing of the parsers, FUZZTIME each (their seed corpora run in
# make test): counts, device lists, shard specs, part files and merge.
# FUZZMINIMIZETIME caps how long Go shrinks each new input: its default, 60s
# per input, spends a 30s run shrinking FuzzParsePart's 17-19 KB seed parts
# (1 new input and 0.23M execs in 30s against 199 and 0.42M at 1000x).
FUZZTIME ?= 30s
FUZZMINIMIZETIME ?= 1000x
fuzz:
	$(INTERPENV) $(GOENV) $(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./internal/count
	$(INTERPENV) $(GOENV) $(GO) test -run '^$$' -fuzz '^FuzzParseDevices$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./engines
	$(INTERPENV) $(GOENV) $(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./shard
	$(INTERPENV) $(GOENV) $(GO) test -run '^$$' -fuzz '^FuzzParsePart$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./shard
	$(INTERPENV) $(GOENV) $(GO) test -run '^$$' -fuzz '^FuzzMerge$$' -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./shard

# The one-shot device check (scripts/gpu-check.sh) with bin/gpusim (built
# without cgo, dynamically linked to glibc's libc, libdl and libpthread only),
# against this machine's OpenCL devices, writing gpu-check-out/ (the summary
# gpu-check.json, a log, machine.txt and each command's .json and .err);
# GPU_CHECK_SMALL=1 for small jobs (CI). For a machine lent with a GPU:
# scripts/gpu-check.sh prepare, carry gpu-check/, run gpu-check/gpu-check.sh.
gpu-check: build
	GPUSIM=bin/gpusim scripts/gpu-check.sh run

clean:
	rm -rf bin
