package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// envReaders are the calls that read an environment variable by name: the
// os package's, and the env lookups passed into a package (shard.Parse's
// env, its num) or kept in a variable.
var envReaders = []string{"os.Getenv", "os.LookupEnv", "env", "num", "getenv", "lookupEnv"}

// envTestHelpers are the folders of packages that only tests use, whose
// variables pass between a test and the child process it starts.
var envTestHelpers = []string{"internal/testenv", "gpu/cl/cltest", "internal/archtest"}

// goSource is one parsed Go file of the repository, outside tests.
type goSource struct {
	pkg  string // its folder, relative to the root
	file *ast.File
}

// parseSources parses every Go file of the repository under root but the
// tests, testdata and envTestHelpers.
func parseSources(t *testing.T, root string) []goSource {
	t.Helper()
	var out []goSource
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." || slices.Contains(envTestHelpers, filepath.ToSlash(rel)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		out = append(out, goSource{pkg: filepath.ToSlash(filepath.Dir(rel)), file: f})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// stringDecls are a package's constants and package-level variables that
// hold strings: a constant's value, or every string a variable's value
// names (a list, an append to another list).
type stringDecls struct {
	consts map[string]string   // "pkg.Name" (the folder's base) and "folder:Name"
	lists  map[string][]string // "folder:Name"
}

func collectDecls(srcs []goSource) stringDecls {
	d := stringDecls{consts: map[string]string{}, lists: map[string][]string{}}
	refs := map[string][]string{} // a list's references to other lists
	for _, s := range srcs {
		for _, decl := range s.file.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST && g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				v := spec.(*ast.ValueSpec)
				for i, name := range v.Names {
					if i >= len(v.Values) {
						continue
					}
					key := s.pkg + ":" + name.Name
					if lit, ok := v.Values[i].(*ast.BasicLit); ok && g.Tok == token.CONST && lit.Kind == token.STRING {
						str, _ := strconv.Unquote(lit.Value)
						d.consts[key] = str
						d.consts[filepath.Base(s.pkg)+"."+name.Name] = str
						continue
					}
					if g.Tok != token.VAR {
						continue
					}
					ast.Inspect(v.Values[i], func(n ast.Node) bool {
						switch n := n.(type) {
						case *ast.BasicLit:
							if str, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING {
								d.lists[key] = append(d.lists[key], str)
							}
						case *ast.Ident:
							refs[key] = append(refs[key], s.pkg+":"+n.Name)
						}
						return true
					})
				}
			}
		}
	}
	for key, rs := range refs {
		for _, r := range rs {
			d.lists[key] = append(d.lists[key], d.lists[r]...)
		}
	}
	return d
}

// envReads returns the names of the environment variables the sources
// read, each with the file that reads it first: the argument of an
// envReaders call, as a string, a constant, a concatenation of those, or
// the variable of a range over a list of them.
func envReads(srcs []goSource) map[string]string {
	d := collectDecls(srcs)
	out := map[string]string{}
	for _, s := range srcs {
		var stack []ast.Node
		ast.Inspect(s.file, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 || !slices.Contains(envReaders, callee(call.Fun)) {
				return true
			}
			for _, name := range envNames(call.Args[0], s.pkg, d, stack) {
				if _, seen := out[name]; !seen {
					out[name] = s.pkg
				}
			}
			return true
		})
	}
	return out
}

// callee is a call's function as written: "os.Getenv", "env".
func callee(fun ast.Expr) string {
	switch f := fun.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		if x, ok := f.X.(*ast.Ident); ok {
			return x.Name + "." + f.Sel.Name
		}
	}
	return ""
}

// envNames resolves an envReaders argument to the names it may be, or nil.
func envNames(e ast.Expr, pkg string, d stringDecls, stack []ast.Node) []string {
	switch e := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(e.Value); err == nil {
			return []string{s}
		}
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok {
			if s, ok := d.consts[x.Name+"."+e.Sel.Name]; ok {
				return []string{s}
			}
		}
	case *ast.BinaryExpr:
		l, r := envNames(e.X, pkg, d, stack), envNames(e.Y, pkg, d, stack)
		if e.Op == token.ADD && len(l) == 1 && len(r) == 1 {
			return []string{l[0] + r[0]}
		}
	case *ast.Ident:
		if s, ok := d.consts[pkg+":"+e.Name]; ok {
			return []string{s}
		}
		// The value of an enclosing range over a list.
		for i := len(stack) - 1; i >= 0; i-- {
			r, ok := stack[i].(*ast.RangeStmt)
			if !ok {
				continue
			}
			if v, ok := r.Value.(*ast.Ident); !ok || v.Name != e.Name {
				continue
			}
			var names []string
			ast.Inspect(r.X, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.BasicLit:
					if s, err := strconv.Unquote(n.Value); err == nil {
						names = append(names, s)
					}
				case *ast.Ident:
					names = append(names, d.lists[pkg+":"+n.Name]...)
					if s, ok := d.consts[pkg+":"+n.Name]; ok {
						names = append(names, s)
					}
				}
				return true
			})
			return names
		}
	}
	return nil
}

// envName is how an environment variable's name is written.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// TestEnvDocumented: every environment variable gpusim's code reads is
// named in README.md or docs/*.md, so that a user who sets one, or finds
// one in a process's environment, can read what it does: GLIBC_TUNABLES
// (whose glibc.malloc.arena_max counts as MALLOC_ARENA_MAX),
// POCL_KERNEL_CACHE, CUDA_DEVICE_ORDER, SLURM_ARRAY_TASK_MAX and the
// GPUSIM_RESTART_* variables of gpusim's restart under ulimit -v were read
// and named nowhere. Variables gpusim sets for a process of its own are
// named too, as GPUSIM_OPENCL_PROBE is, with what sets them.
func TestEnvDocumented(t *testing.T) {
	srcs := parseSources(t, "../..")
	reads := envReads(srcs)
	for _, must := range []string{"GPUSIM_CACHE_DIR", "GPUSIM_OPENCL_LIBRARY", "SLURM_ARRAY_TASK_ID", "OCL_ICD_VENDORS", "POCL_DEVICES"} {
		if _, ok := reads[must]; !ok {
			t.Errorf("the code's reads of the environment miss %s: envReads no longer finds them all", must)
		}
	}
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, doc := range append(docs, "../../README.md") {
		text.WriteString(docText(t, strings.TrimPrefix(doc, "../../")))
	}
	word := regexp.MustCompile(`[A-Z][A-Z0-9_]*`)
	documented := map[string]bool{}
	for _, w := range word.FindAllString(text.String(), -1) {
		documented[w] = true
	}
	names := make([]string, 0, len(reads))
	for name := range reads {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if envName.MatchString(name) && !documented[name] {
			t.Errorf("%s reads the environment variable %s, which README.md and docs/*.md do not name", reads[name], name)
		}
	}
}
