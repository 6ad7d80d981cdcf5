package archtest

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
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
	dir := root(t)
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && path != dir {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			lines := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			if lines > maxFuncLines {
				rel, _ := filepath.Rel(dir, path)
				t.Errorf("%s: %s is %d lines (at most %d)", rel, fn.Name.Name, lines, maxFuncLines)
			}
		}
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
