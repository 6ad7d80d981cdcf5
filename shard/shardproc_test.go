package shard_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gpusim/gpusim/cpu"
	"github.com/gpusim/gpusim/shard"
	"github.com/gpusim/gpusim/sim"
)

// envWorker switches the test binary into a shard worker: it then runs the
// shard that --shard auto finds in the environment and saves it as
// $envWorker/part-$SLURM_ARRAY_TASK_ID.json, as `gpusim run --shard auto
// --save` does in a Slurm array task.
const (
	envWorker = "GPUSIM_TEST_SHARD_DIR"
	envLanes  = "GPUSIM_TEST_SHARD_LANES"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(envWorker); dir != "" {
		if err := shardWorker(dir); err != nil {
			fmt.Fprintln(os.Stderr, "shard worker:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func shardWorker(dir string) error {
	lanes, err := strconv.ParseUint(os.Getenv(envLanes), 10, 64)
	if err != nil {
		return err
	}
	sh, err := shard.Parse("auto", os.Getenv)
	if err != nil {
		return err
	}
	p := smallJob(lanes)
	r, err := shard.Run(context.Background(), cpu.Parallel{Workers: 1}, &sim.Job{Params: p}, sh)
	if err != nil {
		return err
	}
	part := shard.NewPart(r)
	part.Shard = &sh
	return part.WriteFile(filepath.Join(dir, "part-"+os.Getenv("SLURM_ARRAY_TASK_ID")+".json"))
}

// TestShardProcesses runs a job as a 4-task array of separate processes, as
// Slurm would with --array=1-4 (so the task IDs do not start at 0), merges
// the part files they write and requires the single run's result.
func TestShardProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	const lanes, tasks, minID = 200003, 4, 1
	dir := t.TempDir()
	var cmds []*exec.Cmd
	for id := minID; id < minID+tasks; id++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(),
			envWorker+"="+dir, envLanes+"="+strconv.Itoa(lanes),
			"SLURM_ARRAY_TASK_ID="+strconv.Itoa(id), "SLURM_ARRAY_TASK_MIN="+strconv.Itoa(minID),
			"SLURM_ARRAY_TASK_MAX="+strconv.Itoa(minID+tasks-1), "SLURM_ARRAY_TASK_COUNT="+strconv.Itoa(tasks),
			"SLURM_ARRAY_TASK_STEP=1")
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("task %d: %v", i+minID, err)
		}
	}
	paths, err := filepath.Glob(filepath.Join(dir, "part-*.json"))
	if err != nil || len(paths) != tasks {
		t.Fatalf("the tasks wrote %v (%v), want %d parts", paths, err, tasks)
	}
	parts := readParts(t, paths...)
	for _, p := range parts {
		if p.Shard == nil || p.Shard.Count != tasks || filepath.Base(p.Path) != fmt.Sprintf("part-%d.json", p.Shard.Index+minID) {
			t.Errorf("%s holds shard %v", p.Path, p.Shard)
		}
	}
	got, err := shard.Merge(parts)
	if err != nil {
		t.Fatal(err)
	}
	want := run(t, cpu.Parallel{Workers: 2}, &sim.Job{Params: smallJob(lanes)})
	sameSummary(t, "4 processes", got.Summary, want.Summary)
	if got.Engine != "parallel" || got.Device != "1 goroutine" {
		t.Errorf("merged engine %q device %q", got.Engine, got.Device)
	}
}
