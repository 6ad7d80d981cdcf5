//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/shard"
)

// docCommand is one gpusim command line a document gives a scheduler or a
// shell to run: the text a shell runs and the variables its launcher sets.
type docCommand struct {
	where string   // the document and block, for messages
	shell string   // "bash" for a script's line, "sh" for sbatch --wrap and a container's sh -c
	text  string   // the command as the shell reads it
	env   []string // the launcher's variables, NAME=VALUE
	shard string   // "i of N" the launcher gives a run's --shard, or ""
}

// docTask is the array task or completion index whose environment the
// commands run in: task 3 of the documents' 16.
const docTask = 3

// slurmTask is the environment Slurm gives the docTask-th task of the
// array in text (--array=LO-HI[:STEP]), and the shard --shard auto takes
// from it.
func slurmTask(t *testing.T, where, text string) ([]string, string) {
	t.Helper()
	m := regexp.MustCompile(`--array=(\d+)-(\d+)(?::(\d+))?`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("%s: no --array=LO-HI for the Slurm job array", where)
	}
	lo, _ := strconv.Atoi(m[1])
	hi, _ := strconv.Atoi(m[2])
	step := 1
	if m[3] != "" {
		step, _ = strconv.Atoi(m[3])
	}
	count := (hi-lo)/step + 1
	return []string{
		fmt.Sprintf("SLURM_ARRAY_TASK_ID=%d", lo+docTask*step),
		fmt.Sprintf("SLURM_ARRAY_TASK_MIN=%d", lo), fmt.Sprintf("SLURM_ARRAY_TASK_MAX=%d", hi),
		fmt.Sprintf("SLURM_ARRAY_TASK_STEP=%d", step), fmt.Sprintf("SLURM_ARRAY_TASK_COUNT=%d", count),
	}, fmt.Sprintf("%d of %d", docTask, count)
}

// unquoteDouble is the text of a double-quoted shell word's inside.
func unquoteDouble(s string) string {
	return regexp.MustCompile(`\\([\\"$`+"`"+`])`).ReplaceAllString(s, "$1")
}

// wrapped is the command of sbatch --wrap="..." or --wrap='...' in line,
// as sbatch hands it to sh, or false.
func wrapped(line string) (string, bool) {
	m := regexp.MustCompile(`--wrap=(?:"((?:[^"\\]|\\.)*)"|'([^']*)')`).FindStringSubmatch(line)
	switch {
	case m == nil:
		return "", false
	case strings.HasPrefix(m[0], `--wrap="`):
		return unquoteDouble(m[1]), true
	}
	return m[2], true
}

// bashCommands lists the gpusim commands of doc's ```bash blocks: a
// script's lines (continuations joined), and each sbatch --wrap's command.
// A block with a Slurm array runs its commands in the array's docTask-th
// task; the loop over devices runs its first iteration, i=0 of n=4.
func bashCommands(t *testing.T, name, doc string) []docCommand {
	var out []docCommand
	for b, block := range regexp.MustCompile("(?s)```bash\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		where := fmt.Sprintf("%s, bash block %d", name, b+1)
		text := strings.ReplaceAll(block[1], "\\\n", " ")
		for _, line := range strings.Split(text, "\n") {
			if !strings.Contains(line, "gpusim run") && !strings.Contains(line, "gpusim merge") {
				continue
			}
			// A loop's command sent to the background (&) runs here in the
			// foreground, for its status.
			line = strings.TrimSuffix(strings.TrimSpace(line), " &")
			c := docCommand{where: where, shell: "bash", text: line}
			if w, ok := wrapped(line); ok {
				c.shell, c.text = "sh", w
			}
			if strings.Contains(c.text, "SLURM_ARRAY_TASK_ID") || strings.Contains(c.text, "--shard auto") {
				c.env, c.shard = slurmTask(t, where, text)
			}
			if strings.Contains(c.text, `--shard "$i/$n"`) {
				c.env, c.shard = []string{"i=0", "n=4"}, "0 of 4"
			}
			out = append(out, c)
		}
	}
	return out
}

// yamlCommands lists the gpusim commands of doc's ```yaml manifests: each
// item of a container's args (a folded >- scalar joined as YAML folds it),
// run as its sh -c runs it, with the manifest's env, the docTask-th
// completion index of an Indexed Job, and the volume's mountPath replaced
// by mount, as a mounted volume would be. It checks that an Indexed Job
// sets GPUSIM_SHARD_COUNT to its completions.
func yamlCommands(t *testing.T, name, doc, mount string) []docCommand {
	var out []docCommand
	for b, block := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		where := fmt.Sprintf("%s, yaml block %d", name, b+1)
		y := block[1]
		if strings.Contains(y, "\t") {
			t.Errorf("%s: a tab in YAML, which YAML refuses as indentation", where)
		}
		var env []string
		for _, m := range regexp.MustCompile(`(?m)^\s*- name: (\w+)\n\s*value: "([^"]*)"`).FindAllStringSubmatch(y, -1) {
			env = append(env, m[1]+"="+m[2])
		}
		shard := ""
		if strings.Contains(y, "completionMode: Indexed") {
			m := regexp.MustCompile(`(?m)^\s*completions: (\d+)$`).FindStringSubmatch(y)
			if m == nil {
				t.Fatalf("%s: an Indexed Job without completions", where)
			}
			if !strings.Contains(strings.Join(env, " "), "GPUSIM_SHARD_COUNT="+m[1]) {
				t.Errorf("%s: GPUSIM_SHARD_COUNT is not the Job's completions, %s (env %q)", where, m[1], env)
			}
			env = append(env, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", docTask))
			shard = fmt.Sprintf("%d of %s", docTask, m[1])
		}
		mp := regexp.MustCompile(`(?m)^\s*mountPath: (\S+)$`).FindStringSubmatch(y)
		lines := strings.Split(y, "\n")
		for i, line := range lines {
			item, ok := strings.CutPrefix(strings.TrimSpace(line), "- ")
			if !ok || i == 0 || strings.TrimSpace(lines[i-1]) != "args:" && !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "#") {
				continue
			}
			if item == ">-" {
				indent := len(line) - len(strings.TrimLeft(line, " "))
				var folded []string
				for _, l := range lines[i+1:] {
					if len(l)-len(strings.TrimLeft(l, " ")) <= indent {
						break
					}
					folded = append(folded, strings.TrimSpace(l))
				}
				item = strings.Join(folded, " ")
			}
			if !strings.Contains(item, "gpusim ") {
				continue
			}
			if mp != nil {
				item = strings.ReplaceAll(item, mp[1]+"/", mount+"/")
			}
			out = append(out, docCommand{where: where, shell: "sh", text: item, env: env, shard: shard})
		}
	}
	return out
}

// inlineMerges lists the merge commands doc gives inline for jobs of many
// parts (`printf ... | gpusim merge ... --files-from -`), as a shell or
// sbatch --wrap runs them, with mountPath (the manifest's /parts) replaced
// by mount.
func inlineMerges(doc, name, mount string) []docCommand {
	var out []docCommand
	span := regexp.MustCompile("`([^`]*\\|\\s*gpusim\\s+merge[^`]*)`")
	for _, m := range span.FindAllStringSubmatch(doc, -1) {
		text := strings.Join(strings.Fields(m[1]), " ")
		if !strings.Contains(text, "--files-from -") {
			continue // an illustration (ssh node cat ...), not a job's merge
		}
		if w, ok := wrapped(text); ok {
			text = w
		}
		text = strings.ReplaceAll(text, "/parts/", mount+"/")
		out = append(out, docCommand{where: name + ", inline", shell: "sh", text: text})
	}
	return out
}

// TestClusterDocCommands: every gpusim command line docs/cluster.md and
// README's Slurm example give a scheduler is one gpusim accepts, run as
// the scheduler runs it. The Slurm script, each sbatch --wrap and each
// Kubernetes manifest's command run in a shell with their launcher's
// variables (task 3 of 16): a run, of billions of lanes, is cut by
// --timeout 1ns added to it, and must get as far as that (exit 124) and
// say which shard to run again, the shard the launcher's variables give;
// a merge runs on the parts of a small job of the same shard count and
// must merge all of them. No test ran them: a doc's flag could be renamed
// or its job refused with nothing failing.
func TestClusterDocCommands(t *testing.T) {
	gpusim, err := exec.LookPath("gpusim")
	if err != nil {
		t.Skip("no gpusim on PATH:", err)
	}
	for _, sh := range []string{"sh", "bash"} {
		if _, err := exec.LookPath(sh); err != nil {
			t.Skipf("no %s: %v", sh, err)
		}
	}
	cluster, err := os.ReadFile("../../docs/cluster.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := readmeText(t)
	t.Setenv("GPUSIM_CACHE_DIR", "off")
	dir := t.TempDir()
	parts := filepath.Join(dir, "parts")
	bin := filepath.Join(dir, "bin")
	for _, d := range []string{parts, bin} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// gpusim as the documents call it, but a run cut at once.
	quoted := "'" + strings.ReplaceAll(gpusim, "'", `'\''`) + "'"
	wrapper := fmt.Sprintf("#!/bin/sh\nif [ \"$1\" = run ]; then exec %s \"$@\" --timeout 1ns; fi\nexec %s \"$@\"\n", quoted, quoted)
	if err := os.WriteFile(filepath.Join(bin, "gpusim"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}

	var cmds []docCommand
	cmds = append(cmds, bashCommands(t, "docs/cluster.md", string(cluster))...)
	cmds = append(cmds, yamlCommands(t, "docs/cluster.md", string(cluster), parts)...)
	cmds = append(cmds, inlineMerges(string(cluster), "docs/cluster.md", parts)...)
	if i := strings.Index(readme, "As a Slurm job array"); i >= 0 {
		slurm := bashCommands(t, "README.md", readme[i:])
		cmds = append(cmds, slurm[:min(2, len(slurm))]...)
	} else {
		t.Error("README.md has no Slurm job array example")
	}

	// The parts of a small job of 16 shards, for the merges.
	const shards = 16
	for i := range shards {
		code, _, stderr := run(context.Background(), "run", "--lanes", "1000", "--steps", "2", "--shard", fmt.Sprintf("%d/%d", i, shards), "--save", filepath.Join(parts, fmt.Sprintf("part-%d.json", i)), "-q")
		if code != 0 {
			t.Fatalf("part %d: exit %d: %s", i, code, stderr)
		}
	}

	runs, merges := 0, 0
	for _, c := range cmds {
		cmd := exec.Command(c.shell, "-c", c.text)
		cmd.Dir = parts
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "DIR="+parts)
		cmd.Env = append(cmd.Env, c.env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		os.Remove(filepath.Join(parts, "result.json"))
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		switch {
		case strings.Contains(c.text, "gpusim run"):
			runs++
			if code != 124 || !strings.Contains(stderr.String(), "--timeout: run exceeded 1ns") {
				t.Errorf("%s: %s\nexit %d (%v), want a run cut by --timeout (124):\n%s", c.where, c.text, code, err, stderr.String())
			} else if c.shard != "" && !strings.Contains(stderr.String(), "run shard "+c.shard+" again") {
				t.Errorf("%s: %s\nran another shard than %s, the launcher's:\n%s", c.where, c.text, c.shard, stderr.String())
			}
		default:
			merges++
			report := stdout.Bytes()
			if b, err := os.ReadFile(filepath.Join(parts, "result.json")); err == nil {
				report = b
			}
			ok := regexp.MustCompile(fmt.Sprintf(`"parts": %d,|merged +%d parts`, shards, shards)).Match(report)
			if code != 0 || !ok {
				t.Errorf("%s: %s\nexit %d (%v), want the merge of %d parts:\n%s%s", c.where, c.text, code, err, shards, report, stderr.String())
			}
		}
	}
	if runs < 4 || merges < 5 {
		t.Errorf("found %d runs and %d merges in the documents' job files, want at least 4 and 5:\n%+v", runs, merges, cmds)
	}
}

// TestClusterDocPartVersion: the refusal of a newer part that
// docs/cluster.md quotes is the one this gpusim gives, for the version after
// the one it writes: the doc quoted "version 5; ... versions 1 to 4" while
// gpusim wrote version 5. The refusal names the way on since the
// forty-sixth session (merge with the newer gpusim).
func TestClusterDocPartVersion(t *testing.T) {
	b, err := os.ReadFile("../../docs/cluster.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(b)), " ")
	want := fmt.Sprintf("`part format version %d; this gpusim reads versions 1 to %d, written by a newer gpusim: merge with that gpusim (or a newer one)`", shard.PartVersion+1, shard.PartVersion)
	if !strings.Contains(doc, want) {
		t.Errorf("docs/cluster.md does not quote the refusal of a newer part as %s", want)
	}
	if m := regexp.MustCompile("part format version [0-9]+; this gpusim reads versions 1 to [0-9]+").FindAllString(doc, -1); len(m) != 1 {
		t.Errorf("docs/cluster.md quotes %q; want the one refusal above", m)
	}
}
