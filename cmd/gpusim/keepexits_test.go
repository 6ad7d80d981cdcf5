package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
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
// tests after it (TestMain's commands are processes of their own).
func TestRunKeepsExits(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("the test files: %v, %d found", err, len(files))
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || fn.Recv != nil || fn.Name.Name == "TestMain" {
				continue
			}
			calls := map[string]bool{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if id, ok := c.Fun.(*ast.Ident); ok {
						calls[id.Name] = true
					}
				}
				return true
			})
			if calls["Run"] && !calls["keepExits"] {
				t.Errorf("%s: %s calls Run in-process without keepExits(t): the forced exits it sets outlive it", fset.Position(fn.Pos()), fn.Name.Name)
			}
		}
	}
}
