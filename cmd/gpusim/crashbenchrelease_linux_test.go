//go:build amd64

package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// benchRows is what a bench report on stdout in format holds, for
// TestCrashBenchReleaseReport: its interruption's line, its Engines
// table's rows ("1k x 10 opencl:0") and, from JSON, the interruption's
// releasing and the sweep's sizes.
type benchRows struct {
	head, releasing string
	rows            []string
	sweep           []uint64
	// notRun is the JSON's interrupted not_run, joined by ", ".
	notRun string
}

// readBenchRows reads out, a bench report in format; ok false where it
// is not one.
func readBenchRows(t *testing.T, format, out string) (r benchRows, ok bool) {
	t.Helper()
	switch format {
	case "text", "markdown":
		first, _, _ := strings.Cut(out, "\n")
		r.head = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(first, "note: "), "**Note: "), "**")
		for line := range strings.Lines(out) {
			f := strings.Fields(strings.ReplaceAll(line, "|", " "))
			if len(f) > 3 && f[1] == "x" && strings.HasSuffix(f[0], "k") {
				r.rows = append(r.rows, strings.Join(f[:4], " "))
			}
		}
	case "csv":
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) < 2 || rows[1][0] != "interrupted" {
			t.Errorf("stdout %q: %v, want the CSV with its interrupted row", out, err)
			return r, false
		}
		r.head = rows[1][21]
		for _, row := range rows {
			if row[0] == "engine" {
				r.rows = append(r.rows, shortLanes[row[1]]+" x "+row[2]+" "+row[3])
			}
		}
	case "json":
		var doc struct {
			Interrupted struct {
				Signal, Crash, Releasing string
				NotRun                   []string `json:"not_run"`
			}
			Workloads []struct {
				Workload struct{ Lanes, Steps uint64 }
				Engines  []struct{ Engine string }
			}
			Sweep struct{ Lanes []uint64 }
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Errorf("stdout %q is not one JSON document: %v", out, err)
			return r, false
		}
		if in := doc.Interrupted; in.Signal != "crashed" || in.Crash != "the OpenCL driver" {
			t.Errorf("interruption %+v: want the OpenCL driver's crash", in)
		}
		r.releasing, r.sweep = doc.Interrupted.Releasing, doc.Sweep.Lanes
		r.notRun = strings.Join(doc.Interrupted.NotRun, ", ")
		for _, wr := range doc.Workloads {
			for _, e := range wr.Engines {
				r.rows = append(r.rows, fmt.Sprintf("%s x %d %s", shortLanes[fmt.Sprint(wr.Workload.Lanes)], wr.Workload.Steps, e.Engine))
			}
		}
	}
	return r, true
}

// shortLanes are the lanes of TestCrashBenchReleaseReport's workloads as
// the text report writes them.
var shortLanes = map[string]string{"1000": "1k", "2000": "2k"}

// TestCrashBenchReleaseReport: an OpenCL driver that crashes in bench's
// release of an engine after its last timed run (its queue and kernels,
// its context) leaves that measurement in the partial report, which it
// left out though it had finished (its median on the progress line), in
// each --format: the Engines table's row and a sweep's point alike, the
// report's first line saying the crash came after that measurement
// finished, in or after its engine's release, and the JSON's interrupted
// naming it (releasing). A crash between measurements, in the next
// engine's open (clCreateContext), keeps those that finished.
func TestCrashBenchReleaseReport(t *testing.T) {
	lib, warm, env := forwardingDriver(t)
	const line = "gpusim bench --engines opencl:0,simd --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none --no-scaling --no-sweep --format "
	const released = "partial report: the OpenCL driver crashed after the measurement of opencl:0 on 1k x 10 had finished (it is shown), in or after its engine's release, "
	// The last measurement's release: every planned one finished.
	const last = "report: the OpenCL driver crashed after the last measurement, of opencl:0 on 1k x 10, had finished, in or after its engine's release, "
	const all = "every planned measurement finished and is shown"
	const began = "partial report: the OpenCL driver crashed in the measurement that began after "
	const queue, context = "for the release of the queue and kernels on device 0 (", "for the release of the context for device 0 ("
	both := []string{"1k x 10 simd", "1k x 10 opencl:0"}
	cases := []struct {
		fault, line, asked, head, notRun string
		rows                             []string
		sweep                            []uint64
	}{
		{"crash:clReleaseKernel", line + "text", queue, last, all, both, nil},
		{"crash:clReleaseKernel", line + "json", queue, last, "", both, nil},
		{"crash:clReleaseKernel", line + "csv", queue, last, all, both, nil},
		{"crash:clReleaseKernel", line + "markdown", queue, last, all, both, nil},
		{"crash:clReleaseCommandQueue", line + "text", queue, last, all, both, nil},
		{"crash:clReleaseContext", line + "json", context, last, "", both, nil},
		// The sweep's first size, opencl:0's point kept before its
		// engine's release (the second context released).
		{"crash:clReleaseContext@2", "gpusim bench --engines opencl:0 --lanes 1000 --steps 10 --reps 1 --warmup 0 --baseline none --no-scaling --sweep 1000,2000 --sweep-reps 1 --format json", context, released, "", []string{"1k x 10 opencl:0"}, []uint64{1000}},
		// Between measurements: the second workload's open.
		{"crash:clCreateContext@2", "gpusim bench --engines opencl:0 --lanes 1000,2000 --steps 10 --reps 1 --warmup 0 --baseline none --no-scaling --no-sweep --format text", "for a context for device 0 (", began, "not run: engines table: 1 of 2 planned measurements", []string{"1k x 10 opencl:0"}, nil},
	}
	rs := make([]crashOut, len(cases))
	var wg sync.WaitGroup
	for i, c := range cases {
		wg.Go(func() { rs[i] = runCrashOut(t, env, warm, c.fault, c.line) })
	}
	wg.Wait()
	const note = "\ngpusim: note: the OpenCL driver crashed: the report on stdout is partial, the measurements that finished (its first line says what did not run)\n"
	const allNote = "\ngpusim: note: the OpenCL driver crashed in or after the release of the last measurement's engine: the report on stdout holds every planned measurement (its first line says so)\n"
	for i, c := range cases {
		r := rs[i]
		format := c.line[strings.LastIndex(c.line, " ")+1:]
		t.Run(c.fault+" "+c.line, func(t *testing.T) {
			said := "gpusim: error: the OpenCL driver " + lib + " crashed (SIGSEGV) when asked " + c.asked
			want := note
			if c.head == last {
				want = allNote
			}
			if r.code != 1 || !strings.Contains(r.stderr, said) || !strings.HasSuffix(r.stderr, "(--engines simd)"+want) {
				t.Fatalf("exit status %d, stderr %q: want 1, %q, the hint, then the note", r.code, r.stderr, said)
			}
			got, ok := readBenchRows(t, format, r.stdout)
			if !ok {
				return
			}
			if format != "json" && (!strings.HasPrefix(got.head, c.head) || !strings.HasSuffix(got.head, c.notRun)) {
				t.Errorf("first line %q: want %q...%q", got.head, c.head, c.notRun)
			}
			if format == "json" && c.head != began && got.releasing != "opencl:0 on 1k x 10" {
				t.Errorf("interrupted's releasing %q: want opencl:0 on 1k x 10", got.releasing)
			}
			if format == "json" && (got.notRun == "") != (c.head == last) {
				t.Errorf("interrupted's not_run %q: want it empty where every measurement ran alone", got.notRun)
			}
			if !slices.Equal(got.rows, c.rows) || !slices.Equal(got.sweep, c.sweep) {
				t.Errorf("Engines rows %q, sweep %v: want %q, %v (stdout %q)", got.rows, got.sweep, c.rows, c.sweep, r.stdout)
			}
		})
	}
}

// TestCrashReportFullStdout: a crashed bench whose stdout takes no more
// (a pipe of one page, full, that no one reads, as "| sleep 1000" with a
// report larger than the pipe) writes of its report what the pipe takes
// and gives up 5 s on, exit 1, with a note on stderr that the report is
// cut short: the handler's write held the process until the pipe's
// reader went, while gpusim's other threads went on (the crashed call's
// wait for an answer gave up on it after 10 s, and the benchmark went on
// without the device).
func TestCrashReportFullStdout(t *testing.T) {
	_, warm, env := forwardingDriver(t)
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.CopyFS(cache, os.DirFS(warm)); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const page = 4096
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, w.Fd(), syscall.F_SETPIPE_SZ, page); errno != 0 {
		t.Fatalf("F_SETPIPE_SZ: %v", errno)
	}
	// opencl:0's fourth start crashes: the report of its 3 workloads and
	// simd's is some 6 kB in JSON, over the pipe's page.
	cmd := exec.Command("gpusim", strings.Fields("bench --engines opencl:0,simd --lanes 1000,2000,3000 --steps 10,20 --reps 1 --warmup 0 --no-scaling --no-sweep --baseline none --format json")...)
	cmd.Env = slices.Concat(env, []string{"GPUSIM_CACHE_DIR=" + cache, "FAKECL_FAULT=crash:clCreateContext@4"})
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = w, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t0 := time.Now()
	if !waitBounded(cmd, 60*time.Second) {
		t.Fatalf("still running 60 s on, its stdout full: killed; stderr %q", stderr.String())
	}
	t.Logf("bench ran %v", time.Since(t0).Round(time.Millisecond))
	const cut = "gpusim: note: the report on stdout is cut short: stdout did not take it whole within 5 s (a full pipe that no one reads), and a crashed gpusim waits no longer\n"
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.HasSuffix(stderr.String(), "(its first line says what did not run)\n"+cut) {
		t.Errorf("exit status %d, stderr %q: want 1, the report's note, then %q", code, stderr.String(), cut)
	}
	out := make([]byte, 2*page)
	n, _ := io.ReadFull(r, out)
	if n != page || !strings.HasPrefix(string(out), "{\n  \"interrupted\": {\n    \"signal\": \"crashed\"") {
		t.Errorf("stdout %d bytes, %q: want the report's first %d", n, out[:min(n, 200)], page)
	}
}
