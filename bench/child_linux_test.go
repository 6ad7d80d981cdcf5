package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gpusim/gpusim/internal/testenv"
	"github.com/gpusim/gpusim/sim"
)

// TestChildDiesWithBench: a benchmark killed where no handler runs
// (SIGKILL, the OOM killer) takes its child processes with it: each runs in
// a process group of its own, so a kill of bench's group missed them too,
// and a processes child (or the Python baseline) ran on to the end of its
// work, minutes at the standard workloads, its part files left in TMPDIR.
// The test kills a helper process running the processes engine, whose
// child sleeps.
func TestChildDiesWithBench(t *testing.T) {
	if dir := os.Getenv("GPUSIM_BENCH_DEATH_HELPER"); dir != "" {
		p := sim.Default()
		p.Lanes, p.Steps = 100, 2
		e := &Processes{Binary: filepath.Join(dir, "fake"), Workers: 1}
		e.Run(context.Background(), &sim.Job{Params: p})
		return
	}
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	script := fmt.Sprintf("#!/bin/sh\necho $$ > %q\nexec sleep 300\n", pidFile)
	if err := os.WriteFile(filepath.Join(dir, "fake"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(os.Args[0], "-test.run=^TestChildDiesWithBench$")
	// The processes engine's folder, which a bench killed by SIGKILL
	// leaves, in the test's folder: each run of the test left one in
	// /tmp.
	helper.Env = append(os.Environ(), "GPUSIM_BENCH_DEATH_HELPER="+dir, "TMPDIR="+dir)
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for deadline := time.Now().Add(20 * time.Second); pids == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			helper.Process.Kill()
			helper.Wait()
			t.Fatal("the helper's child did not start within 20 s")
		}
		pids = testenv.ReadPIDs(t, pidFile, 1)
	}
	t.Cleanup(func() { syscall.Kill(pids[0], syscall.SIGKILL) })
	helper.Process.Kill()
	helper.Wait()
	testenv.CheckGone(t, pids, "the processes engine killed by SIGKILL")
	if left, _ := filepath.Glob(filepath.Join(dir, "gpusim-processes-*")); len(left) != 1 {
		t.Errorf("the processes engine's folders in TMPDIR %q: %q; want the one the killed bench left", dir, left)
	}
	// The next bench's check of the temporary folder removes it: each
	// bench killed so stayed in /tmp for good.
	t.Setenv("TMPDIR", dir)
	if err := CheckTempDir(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "gpusim-processes-*")); len(left) != 0 {
		t.Errorf("after the next bench's check, the processes engine's folders in TMPDIR %q: %q; want none", dir, left)
	}
}

// TestFinishStarvedReader: a child's output still in its pipe when
// drainGrace runs out is read on: its reader, not a process holding the
// pipe, is late (1024 children of the processes engine on 2 CPUs starved
// bench's readers, and a child that exited 0 had its whole report dropped:
// "reading its report: unexpected end of JSON input"). Played here by
// holding the reader after its first read, with 60 KiB in the pipe.
func TestFinishStarvedReader(t *testing.T) {
	defer func(g time.Duration) { drainGrace = g }(drainGrace)
	drainGrace = 50 * time.Millisecond
	var out bytes.Buffer
	cmd := &exec.Cmd{Stdout: &out}
	outs, err := captureOutputs(cmd, childOutputCap)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("0123456789abcdef"), 60<<10/16)
	if _, err := cmd.Stdout.(*os.File).Write(want); err != nil {
		t.Fatal(err)
	}
	c := outs.pipes[0]
	c.mu.Lock() // the reader is held after its first read
	outs.started(func() {})
	go func() {
		time.Sleep(6 * drainGrace)
		c.mu.Unlock()
	}()
	outs.finish(false)
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("%d of the %d bytes in the pipe were handed on", out.Len(), len(want))
	}
}

// TestFinishFlood: bytes left in a pipe past its cap are a flood (from a
// process that left the child's group, which the kill at the cap does
// not reach), not a reader starved of CPU: finish ends drainGrace after
// the child's exit, where it waited on for as long as the bytes came.
// Played here by a cap of 16 bytes with 60 KiB in the pipe, the reader
// held in the kill after its first read.
func TestFinishFlood(t *testing.T) {
	defer func(g time.Duration) { drainGrace = g }(drainGrace)
	drainGrace = 50 * time.Millisecond
	var out bytes.Buffer
	cmd := &exec.Cmd{Stdout: &out}
	outs, err := captureOutputs(cmd, 16)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Stdout.(*os.File).Write(make([]byte, 60<<10)); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer time.AfterFunc(5*time.Second, func() { close(release) }).Stop()
	outs.started(func() { <-release })
	t0 := time.Now()
	outs.finish(false)
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("finish took %v with a flood in the pipe; want about 2 drainGrace", d)
	}
	if err := outs.flood(); err == nil || out.Len() != 16 {
		t.Errorf("flood %v, %d bytes kept; want the flood and 16 bytes", err, out.Len())
	}
}
