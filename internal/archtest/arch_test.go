package archtest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/gpusim/gpusim/"

// engines are the packages that implement sim.Engine.
var engines = []string{"cpu", "gpu"}

// pkg is what `go list -json` says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list runs go list over the module's non-test packages.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = root(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	return pkgs
}

// root is the module's root folder.
func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func local(imports []string) []string {
	var out []string
	for _, i := range imports {
		if strings.HasPrefix(i, module) {
			out = append(out, strings.TrimPrefix(i, module))
		}
	}
	return out
}

// TestImportRules checks the layering of docs/architecture.md: engines never
// import each other, the CLI or the registry; sim and rng import no engine;
// rng imports only the standard library; sim imports no file formats or
// operating system (os, encoding/json, crypto, regexp); no library package
// imports the CLI.
func TestImportRules(t *testing.T) {
	pkgs := list(t)
	for name, p := range pkgs {
		deps := local(p.Deps)
		for _, d := range deps {
			if d == "cmd/gpusim" {
				t.Errorf("%s imports the CLI", name)
			}
		}
		for _, e := range engines {
			if !strings.HasPrefix(name, e) {
				continue
			}
			for _, d := range deps {
				for _, other := range engines {
					if other != e && (d == other || strings.HasPrefix(d, other+"/")) {
						t.Errorf("engine %s imports engine %s", name, d)
					}
				}
				if d == "engines" || d == "bench" || d == "shard" {
					t.Errorf("engine %s imports %s", name, d)
				}
			}
		}
	}
	for _, base := range []string{"sim", "rng"} {
		for _, d := range local(pkgs[base].Deps) {
			if slices.Contains(engines, strings.Split(d, "/")[0]) || d == "engines" {
				t.Errorf("%s imports %s", base, d)
			}
		}
	}
	if d := local(pkgs["rng"].Deps); len(d) > 0 {
		t.Errorf("rng imports %v; it must import only the standard library", d)
	}
	for _, imp := range pkgs["sim"].Imports {
		if imp == "os" || imp == "encoding/json" || imp == "regexp" || strings.HasPrefix(imp, "crypto") || strings.HasPrefix(imp, "os/") {
			t.Errorf("sim imports %s: file formats and the OS belong elsewhere", imp)
		}
	}
}

// maxFuncLines is the longest a non-test function may be.
const maxFuncLines = 100

// TestFunctionLength checks that no function outside tests and generated
// files is longer than maxFuncLines lines.
func TestFunctionLength(t *testing.T) {
	walkGo(t, false, func(rel string, fset *token.FileSet, f *ast.File) {
		if ast.IsGenerated(f) {
			return
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > maxFuncLines {
				t.Errorf("%s: %s is %d lines (at most %d)", rel, fn.Name.Name, lines, maxFuncLines)
			}
		}
	})
}

// walkGo parses every Go file of the module outside testdata and hidden
// folders (tests too where tests is true, with comments) and calls fn with
// its path from the module's root.
func walkGo(t *testing.T, tests bool, fn func(rel string, fset *token.FileSet, f *ast.File)) {
	t.Helper()
	dir := root(t)
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != dir {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || !tests && strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fn(rel, fset, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPackageMap checks the package map of docs/architecture.md against go
// list: every package of the module but the build tools and scripts has a
// row, and a row's imports column names exactly the module's packages its
// packages import (outside tests). The map had drifted: internal/diskfree had
// no row, and four rows named imports that were gone or missed new ones.
func TestPackageMap(t *testing.T) {
	pkgs := list(t)
	doc, err := os.ReadFile(filepath.Join(root(t), "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) != 3 {
			continue
		}
		names := ticked(strings.TrimPrefix(cells[0], "| "))
		if len(names) == 0 {
			continue
		}
		want := map[string]bool{}
		for _, n := range names {
			p, ok := pkgs[n]
			if !ok {
				t.Errorf("docs/architecture.md lists %s, which is not a package", n)
			}
			listed[n] = true
			for _, imp := range local(p.Imports) {
				want[imp] = true
			}
		}
		cell := strings.TrimSuffix(cells[2], " |")
		if cell == "everything above" {
			continue
		}
		got := map[string]bool{}
		for _, imp := range ticked(cell) {
			got[imp] = true
			if !want[imp] {
				t.Errorf("docs/architecture.md: %v import %s, which they do not", names, imp)
			}
		}
		for imp := range want {
			if !got[imp] {
				t.Errorf("docs/architecture.md: %v import %s, which their row does not name", names, imp)
			}
		}
	}
	for name := range pkgs {
		if !listed[name] && !strings.HasPrefix(name, "internal/tools/") && !strings.HasPrefix(name, "scripts/") {
			t.Errorf("docs/architecture.md's package map has no row for %s", name)
		}
	}
}

// ticked returns the `quoted` words of a Markdown table cell.
func ticked(cell string) []string {
	var out []string
	parts := strings.Split(cell, "`")
	for i := 1; i < len(parts); i += 2 {
		out = append(out, parts[i])
	}
	return out
}

// TestPackageSizes: a size the package map gives a package ("about 2,300
// lines") is within a tenth of its lines of Go outside tests, every system's
// files counted. The CLI's row said about 2,300 lines where it had grown to
// 3,200.
func TestPackageSizes(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(root(t), "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	about := regexp.MustCompile(`about ([0-9,]+) lines`)
	checked := 0
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(line, " | ")
		m := about.FindStringSubmatch(line)
		if !strings.HasPrefix(line, "| `") || len(cells) != 3 || m == nil {
			continue
		}
		stated, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
		if err != nil {
			t.Fatal(err)
		}
		lines, names := 0, ticked(strings.TrimPrefix(cells[0], "| "))
		for _, name := range names {
			files, err := filepath.Glob(filepath.Join(root(t), name, "*.go"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if strings.HasSuffix(f, "_test.go") {
					continue
				}
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				lines += strings.Count(string(b), "\n")
			}
		}
		if math.Abs(float64(lines-stated)) > 0.1*float64(stated) {
			t.Errorf("docs/architecture.md: %s, where %s has %d lines of Go outside tests", m[0], strings.Join(names, ", "), lines)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("docs/architecture.md's package map gives no package's size")
	}
}

// TestClosuresCopyShared checks that no function literal appends to a slice
// it shares with the code around it (a variable declared outside it, the
// package's included) unless it stores the result back in that variable:
// append(shared, x) writes x into shared's spare capacity, where every other
// such append writes too, so closures run at once (parallel subtests,
// goroutines) took each other's values. TestStopFaultingDriver's subtests
// did exactly that with a shared environment and ran each case under
// another's fault and cache (CI, stop 67). slices.Concat(shared, more)
// copies.
func TestClosuresCopyShared(t *testing.T) {
	walkGo(t, true, func(rel string, fset *token.FileSet, f *ast.File) {
		for _, at := range sharedAppends(f) {
			t.Errorf("%s:%d: a closure appends to %s, which it shares: copy with slices.Concat(%s, ...) or store the result back in %s", rel, fset.Position(at.Pos()).Line, at.Name, at.Name, at.Name)
		}
	})
}

// sharedAppends returns the first argument of every append call in a
// function literal of f whose first argument is a variable declared outside
// that literal (the parser's object resolution: nil for the package's and
// other files' variables) and whose result is not assigned back to it.
// Found is in source order.
func sharedAppends(f *ast.File) []*ast.Ident {
	var found []*ast.Ident
	seen := map[*ast.Ident]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.FuncLit)
		if !ok {
			return true
		}
		back := map[*ast.CallExpr]bool{}
		ast.Inspect(lit.Body, func(m ast.Node) bool {
			if as, ok := m.(*ast.AssignStmt); ok && len(as.Lhs) == len(as.Rhs) {
				for i, r := range as.Rhs {
					if c, ok := r.(*ast.CallExpr); ok && len(c.Args) > 0 && types.ExprString(as.Lhs[i]) == types.ExprString(c.Args[0]) {
						back[c] = true
					}
				}
			}
			c, ok := m.(*ast.CallExpr)
			if !ok || back[c] || len(c.Args) < 2 {
				return true
			}
			if fn, ok := c.Fun.(*ast.Ident); !ok || fn.Name != "append" {
				return true
			}
			id, ok := c.Args[0].(*ast.Ident)
			if !ok || seen[id] || id.Obj != nil && id.Obj.Pos() >= lit.Pos() && id.Obj.Pos() < lit.End() {
				return true
			}
			seen[id] = true
			found = append(found, id)
			return true
		})
		return true // a literal inside lit shares lit's variables too
	})
	return found
}

// TestSharedAppends checks sharedAppends on the forms it must find and
// those it must leave.
func TestSharedAppends(t *testing.T) {
	const src = `package p

var pkgArgs = []string{"a"}

func f(env []string, run func(func())) {
	base := append(env, "x")
	run(func() { use(append(base, "found1")) })
	run(func() { use(append(pkgArgs, "found2")) })
	run(func() {
		mine := []string{}
		mine = append(mine, "left: its own")
		run(func() { use(append(mine, "found3")) })
		use(append(mine, "left: declared in this literal"))
	})
	run(func() { base = append(base, "left: stored back") })
	run(func() { use(slices.Concat(base, []string{"left: a copy"})) })
	use(append(base, "left: no closure"))
}
`
	f, err := parser.ParseFile(token.NewFileSet(), "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, id := range sharedAppends(f) {
		got = append(got, id.Name)
	}
	if want := []string{"base", "pkgArgs", "mine"}; !slices.Equal(got, want) {
		t.Errorf("sharedAppends found %q, want %q", got, want)
	}
}
