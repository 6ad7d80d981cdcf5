package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/gpusim/gpusim/internal/testenv"
)

// TestMain makes the test binary double as gpusim, so scripts exec the CLI
// without a go build.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"gpusim": func() { os.Exit(Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs testdata/script/*.txtar, one behaviour each. Besides
// testscript's commands they have:
//
//	exit N cmd args...          run cmd, which must exit with status N
//	json FILE PATH[=V|~RE]...   FILE (or stdout) is JSON whose value at the
//	                            dotted PATH exists, equals V (strings unquoted,
//	                            other values as compact JSON) or matches RE
//	jsonenv FILE PATH VAR       set $VAR to the value at PATH
//	lines FILE N                FILE has N lines
//	replace FILE OLD NEW        replace the first OLD in FILE with NEW
//	trunc FILE N                cut FILE to its first N bytes
//	size FILE N                 FILE has N bytes
//
// and the condition [numpy]: a python3 with numpy is $PYTHON. Under CI=true
// its absence fails the script instead of skipping that part.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("PYTHON", testenv.Python())
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond != "numpy" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			if testenv.Python() == "" && testenv.CI() {
				return false, errors.New("CI=true but no python3 with numpy was found (.ci/run installs python3-numpy)")
			}
			return testenv.Python() != "", nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exit":    cmdExit,
			"json":    cmdJSON,
			"jsonenv": cmdJSONEnv,
			"lines":   cmdLines,
			"replace": cmdReplace,
			"trunc":   cmdTrunc,
			"size":    cmdSize,
		},
	})
}

func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit N cmd args...")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// jsonAt returns the value at a dotted path in the JSON document.
func jsonAt(doc any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := doc.(map[string]any)
		if !ok {
			return nil, false
		}
		if doc, ok = m[k]; !ok {
			return nil, false
		}
	}
	return doc, true
}

func readJSON(ts *testscript.TestScript, file string) any {
	var doc any
	if err := json.Unmarshal([]byte(ts.ReadFile(file)), &doc); err != nil {
		ts.Fatalf("%s is not JSON: %v", file, err)
	}
	return doc
}

// jsonText is v as the json and jsonenv commands compare it.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func cmdJSON(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: json FILE PATH[=V|~RE]...")
	}
	doc := readJSON(ts, args[0])
	var failed error
	for _, a := range args[1:] {
		path, want, op := a, "", byte(0)
		if i := strings.IndexAny(a, "=~"); i >= 0 {
			path, want, op = a[:i], a[i+1:], a[i]
		}
		v, ok := jsonAt(doc, path)
		got := jsonText(v)
		switch {
		case !ok:
			failed = fmt.Errorf("%s: no %s", args[0], path)
		case op == '=' && got != want:
			failed = fmt.Errorf("%s: %s is %s, want %s", args[0], path, got, want)
		case op == '~':
			re, err := regexp.Compile(want)
			ts.Check(err)
			if !re.MatchString(got) {
				failed = fmt.Errorf("%s: %s is %s, which does not match %s", args[0], path, got, want)
			}
		}
		if failed != nil {
			break
		}
	}
	if neg && failed == nil {
		ts.Fatalf("%s: unexpected match of %q", args[0], args[1:])
	}
	if !neg && failed != nil {
		ts.Fatalf("%v", failed)
	}
}

func cmdJSONEnv(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: jsonenv FILE PATH VAR")
	}
	v, ok := jsonAt(readJSON(ts, args[0]), args[1])
	if !ok {
		ts.Fatalf("%s: no %s", args[0], args[1])
	}
	ts.Setenv(args[2], jsonText(v))
}

func cmdLines(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: lines FILE N")
	}
	got := strings.Count(ts.ReadFile(args[0]), "\n")
	if strconv.Itoa(got) != args[1] {
		ts.Fatalf("%s has %d lines, want %s", args[0], got, args[1])
	}
}

func cmdSize(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: size FILE N")
	}
	st, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if strconv.FormatInt(st.Size(), 10) != args[1] {
		ts.Fatalf("%s has %d bytes, want %s", args[0], st.Size(), args[1])
	}
}
