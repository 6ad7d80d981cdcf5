package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gpusim/gpusim/internal/interrupt"
)

// keepExits puts the process's forced exits (interrupt.ExitLater,
// interrupt.ExitNow) back as they were when t ends: Run sets them, as a
// program's main does, once a command line passes the limits' checks, and
// a later test's signal to itself (TestNotifyContext's SIGINT) then ended
// the test binary through them, exit status 130 with no test named
// (TestArgsBeforeCPULimit's runs, in the fifty-seventh session). Every
// test that calls Run in-process calls it (TestRunKeepsExits).
func keepExits(t *testing.T) {
	t.Helper()
	exitLater, exitNow := interrupt.ExitLater, interrupt.ExitNow
	t.Cleanup(func() { interrupt.ExitLater, interrupt.ExitNow = exitLater, exitNow })
}

// TestRunKeepsExits: every test of this package that calls Run in-process
// calls keepExits too, so that none leaves the forced exits set for the
// tests after it (TestMain's commands are processes of their own): itself
// or through the package's test helpers (unkeptRuns), where it read only
// the calls written in a function's own body, missing a helper that
// passed Run on as a value or a helper held in a package-level var.
func TestRunKeepsExits(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("the test files: %v, %d found", err, len(files))
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
	}
	for _, e := range unkeptRuns(fset, parsed) {
		t.Error(e)
	}
}

// TestUnkeptRunsFollowsHelpers: unkeptRuns names a test that reaches Run
// through helpers none of which calls keepExits, with the path: two deep,
// a helper that passes Run on as a value, a helper held in a package-level
// var; it names none where the test or a helper on the way calls
// keepExits (a helper with no *testing.T of its own among them), nor a
// recursive helper that never reaches Run, nor TestMain.
func TestUnkeptRunsFollowsHelpers(t *testing.T) {
	const src = `package main

func TestDeep(t *testing.T)    { outer(t) }
func outer(t *testing.T)       { inner(t) }
func inner(t *testing.T)       { Run(nil, nil, nil, nil) }
func TestValue(t *testing.T)   { twice(Run) }
func twice(f func([]string, io.Reader, io.Writer, io.Writer) int) { f(nil, nil, nil, nil) }
var quiet = func() int { return Run(nil, nil, nil, nil) }
func TestVar(t *testing.T)     { quiet() }
func TestKept(t *testing.T)    { keepExits(t); outer(t) }
func TestViaKept(t *testing.T) { kept(t) }
func kept(t *testing.T)        { keepExits(t); func() { Run(nil, nil, nil, nil) }() }
func TestLoop(t *testing.T)    { loop(t, 1); t.Run("x", nil) }
func loop(t *testing.T, n int) { if n > 0 { loop(t, n-1) } }
func TestMain(m *testing.M)    { Run(nil, nil, nil, nil) }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x_test.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := unkeptRuns(fset, []*ast.File{f})
	const tail = " without keepExits(t): the forced exits it sets outlive it"
	want := []string{
		"x_test.go:3:1: TestDeep calls Run in-process (TestDeep -> outer -> inner -> Run)" + tail,
		"x_test.go:6:1: TestValue calls Run in-process (TestValue -> Run)" + tail,
		"x_test.go:9:1: TestVar calls Run in-process (TestVar -> quiet -> Run)" + tail,
	}
	if !slices.Equal(got, want) {
		t.Errorf("unkeptRuns:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// unkeptRuns reads files, a package's test files, and returns an error
// for each test (Test, Benchmark, Fuzz and Example functions, TestMain
// aside) that reaches Run, itself or through the package's functions and
// package-level func vars it names, where neither it nor a function on
// the way to Run calls keepExits: its position, name and the path to Run,
// in the files' order. A name counts where it is called or passed as a
// value; what a function literal names counts as its enclosing
// function's; a method (x.Run, t.Run) is not followed.
func unkeptRuns(fset *token.FileSet, files []*ast.File) []string {
	names := map[string]map[string]bool{} // a function's name: the names it refers to
	var tests []*ast.FuncDecl
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Body == nil || d.Recv != nil {
					continue
				}
				names[d.Name.Name] = referred(d.Body)
				if isTest(d.Name.Name) {
					tests = append(tests, d)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					v, ok := spec.(*ast.ValueSpec)
					for i := 0; ok && i < len(v.Names) && i < len(v.Values); i++ {
						if lit, ok := v.Values[i].(*ast.FuncLit); ok {
							names[v.Names[i].Name] = referred(lit.Body)
						}
					}
				}
			}
		}
	}
	// path is the names from name to Run with no keepExits on the way,
	// nil where there is none; onWay guards against recursion.
	onWay := map[string]bool{}
	var path func(name string) []string
	path = func(name string) []string {
		refs := names[name]
		if refs["keepExits"] || onWay[name] {
			return nil
		}
		if refs["Run"] {
			return []string{name, "Run"}
		}
		onWay[name] = true
		defer delete(onWay, name)
		for _, callee := range slices.Sorted(maps.Keys(refs)) {
			if _, ours := names[callee]; ours {
				if rest := path(callee); rest != nil {
					return append([]string{name}, rest...)
				}
			}
		}
		return nil
	}
	var errs []string
	for _, fn := range tests {
		if p := path(fn.Name.Name); p != nil {
			errs = append(errs, fmt.Sprintf("%s: %s calls Run in-process (%s) without keepExits(t): the forced exits it sets outlive it", fset.Position(fn.Pos()), fn.Name.Name, strings.Join(p, " -> ")))
		}
	}
	return errs
}

// isTest says whether a top-level function named name is one that go test
// runs, TestMain aside.
func isTest(name string) bool {
	for _, prefix := range []string{"Test", "Benchmark", "Fuzz", "Example"} {
		if strings.HasPrefix(name, prefix) {
			return name != "TestMain"
		}
	}
	return false
}

// referred is the set of the identifiers body names, called or as
// values, a selector's field or method (t.Run) aside.
func referred(body *ast.BlockStmt) map[string]bool {
	refs := map[string]bool{}
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			ast.Inspect(n.X, visit)
			return false
		case *ast.Ident:
			refs[n.Name] = true
		}
		return true
	}
	ast.Inspect(body, visit)
	return refs
}
