package main

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/sim"
)

// readmeText is README.md, read from the repository root.
func readmeText(t *testing.T) string {
	return docText(t, "README.md")
}

// docText is a document of the repository, named from its root.
func docText(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// consoleExample is one command of a ```console block and what the block
// shows it printing, up to the next command.
type consoleExample struct {
	command string // as typed, without the "$ "
	output  []string
}

// consoleExamples lists the commands of every ```console block in doc.
func consoleExamples(doc string) []consoleExample {
	var out []consoleExample
	for _, block := range regexp.MustCompile("(?s)```console\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		for _, line := range strings.Split(strings.TrimSuffix(block[1], "\n"), "\n") {
			if cmd, ok := strings.CutPrefix(line, "$ "); ok {
				out = append(out, consoleExample{command: cmd})
			} else if len(out) > 0 {
				out[len(out)-1].output = append(out[len(out)-1].output, line)
			}
		}
	}
	return out
}

// gpusimArgs is the arguments of an example run as the README types it
// (bin/gpusim ..., go run ./cmd/gpusim ..., GOEXPERIMENT=simd in front),
// or false for one that is not a plain gpusim command.
func gpusimArgs(command string) ([]string, bool) {
	command = strings.TrimPrefix(command, "GOEXPERIMENT=simd ")
	for _, prefix := range []string{"bin/gpusim ", "go run ./cmd/gpusim "} {
		if rest, ok := strings.CutPrefix(command, prefix); ok && !strings.ContainsAny(rest, "|#;&<>'\"$") {
			return strings.Fields(rest), true
		}
	}
	return nil, false
}

// jsonKeys lists the dotted paths of every object key in v, an array
// standing for its first element.
func jsonKeys(prefix string, v any) []string {
	var keys []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			keys = append(keys, prefix+k)
			keys = append(keys, jsonKeys(prefix+k+".", e)...)
		}
	case []any:
		if len(v) > 0 {
			keys = append(keys, jsonKeys(prefix+"0.", v[0])...)
		}
	}
	slices.Sort(keys)
	return keys
}

// compareKeys reports the keys one of the README's JSON examples and the
// program's JSON for the same command do not share.
func compareKeys(t *testing.T, what string, readme, got any) {
	t.Helper()
	want, have := jsonKeys("", readme), jsonKeys("", got)
	for _, k := range have {
		if !slices.Contains(want, k) {
			t.Errorf("%s: the program writes %q, README's example does not show it", what, k)
		}
	}
	for _, k := range want {
		if !slices.Contains(have, k) {
			t.Errorf("%s: README's example shows %q, the program does not write it", what, k)
		}
	}
}

// TestREADMEJSONExamples: the JSON reports the documents show (README's
// examples moved to docs/report.md, which the README links) have the keys
// the program writes for the same command, no more and no fewer: run
// --format json's example lacked z's mean_allowance and std_allowance, and
// --daily's step lacked mean_error and std_error, which the text beside
// each names. The runs take the CPU path auto takes without a cache (no
// OpenCL loaded), whose report has the keys of every engine's.
func TestREADMEJSONExamples(t *testing.T) {
	readme := readmeText(t) + "\n" + docText(t, "docs/report.md")
	t.Setenv("GPUSIM_CACHE_DIR", "off")
	t.Chdir(t.TempDir())
	ran := 0
	for _, ex := range consoleExamples(readme) {
		args, ok := gpusimArgs(ex.command)
		if !ok || !slices.Contains(args, "json") || len(ex.output) == 0 || ex.output[0] != "{" {
			continue
		}
		var want any
		if err := json.Unmarshal([]byte(strings.Join(ex.output, "\n")), &want); err != nil {
			t.Fatalf("the documents' output of %s is not JSON: %v", ex.command, err)
		}
		code, stdout, stderr := run(context.Background(), append(args, "-q")...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", ex.command, code, stderr)
		}
		var got any
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("%s: %v", ex.command, err)
		}
		compareKeys(t, ex.command, want, got)
		ran++
	}
	if ran == 0 {
		t.Fatal("README and docs/report.md show no run --format json example")
	}

	// The --daily step README shows as a fragment of a report.
	m := regexp.MustCompile("(?s)```json\n\\s*\"daily\": \\[\n(.*?)\\},?\n```").FindStringSubmatch(readme)
	if m == nil {
		t.Fatal("README and docs/report.md show no step of --daily's JSON")
	}
	var want any
	if err := json.Unmarshal([]byte(m[1]+"}"), &want); err != nil {
		t.Fatalf("README's --daily step is not JSON: %v", err)
	}
	code, stdout, stderr := run(context.Background(), "run", "--lanes", "1000", "--steps", "2", "--daily", "--format", "json", "-q")
	if code != 0 {
		t.Fatalf("run --daily: exit %d: %s", code, stderr)
	}
	var got struct{ Daily []any }
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got.Daily) == 0 {
		t.Fatalf("run --daily --format json: no daily steps (%v)", err)
	}
	compareKeys(t, "run --daily --format json, a step", want, got.Daily[0])

	// Its values, and the CSV row beside it, are the README's job's
	// (run --lanes 1e6 --daily), whose step 1 the CPU engines compute bit
	// for bit alike: the README's mean had a last digit no engine gives.
	csvRow := regexp.MustCompile(`(?m)^1,1000000,.*$`).FindString(readme)
	code, stdout, stderr = run(context.Background(), "run", "--lanes", "1e6", "--daily", "--daily-out", "daily.csv", "--engine", "simd", "--format", "json", "-q")
	if code != 0 {
		t.Fatalf("run --lanes 1e6 --daily: exit %d: %s", code, stderr)
	}
	got.Daily = nil
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || len(got.Daily) == 0 {
		t.Fatalf("run --lanes 1e6 --daily --format json: no daily steps (%v)", err)
	}
	if !reflect.DeepEqual(want, got.Daily[0]) {
		t.Errorf("run --lanes 1e6 --daily --format json: step 1 is\n%v\nREADME shows\n%v", got.Daily[0], want)
	}
	csv, err := os.ReadFile("daily.csv")
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(string(csv), "\n"); len(lines) < 2 || lines[1] != csvRow {
		t.Errorf("run --lanes 1e6 --daily-out: step 1's row is\n%q\nREADME shows\n%q", lines[min(1, len(lines)-1)], csvRow)
	}
}

// TestREADMEErrorExamples: each error README shows a run printing is what
// the run prints, for the examples whose message is the same on every
// machine (not a device list, a timeout or a signal).
func TestREADMEErrorExamples(t *testing.T) {
	readme := readmeText(t)
	t.Setenv("GPUSIM_CACHE_DIR", "off")
	t.Chdir(t.TempDir())
	checked := 0
	for _, ex := range consoleExamples(readme) {
		args, ok := gpusimArgs(ex.command)
		if !ok || len(ex.output) == 0 || !strings.HasPrefix(ex.output[0], "gpusim: error: ") ||
			args[0] != "run" || slices.ContainsFunc(args, func(a string) bool { return a == "--device" || a == "--timeout" }) {
			continue
		}
		code, _, stderr := run(context.Background(), args...)
		if first, _, _ := strings.Cut(stderr, "\n"); code != exitUsage || first != ex.output[0] {
			t.Errorf("%s: exit %d, %q; README shows exit 2, %q", ex.command, code, first, ex.output[0])
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("README shows no error of run's")
	}
}

// TestDailyStepsCapDocumented: --daily's bound on --steps is written where a
// user looks before running (run --help's --steps and --daily lines and
// README's flag table), not only in the error that refuses a longer job.
func TestDailyStepsCapDocumented(t *testing.T) {
	want := strconv.Itoa(sim.MaxDailySteps)
	_, help, _ := run(context.Background(), "run", "--help")
	readme := readmeText(t)
	for _, flag := range []string{"steps", "daily"} {
		line := regexp.MustCompile(`(?m)^\s+--` + flag + `\b.*$`).FindString(help)
		if !strings.Contains(line, "at most "+want) {
			t.Errorf("run --help's --%s line does not give --daily's %s steps: %q", flag, want, line)
		}
		row := regexp.MustCompile("(?m)^\\| `--" + flag + "( N)?` \\|.*$").FindString(readme)
		if !strings.Contains(row, "at most "+want) {
			t.Errorf("README's --%s row does not give --daily's %s steps: %q", flag, want, row)
		}
	}
}
