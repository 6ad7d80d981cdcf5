package engines

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// libraryFile is the file the dynamic loader would open for name, the
// value of GPUSIM_OPENCL_LIBRARY, or "" where none is found: name itself
// where it holds a slash (a path, which dlopen(3) opens as given), else
// the first folder of the loader's search that holds it, in its order
// (ld.so(8)): LD_LIBRARY_PATH's folders, the folders /etc/ld.so.conf
// lists (the ld.so.cache is made from them), then /lib64, /usr/lib64,
// /lib and /usr/lib. A bare soname (libOpenCL.so.1, as gpusim's own hint
// says to set it) was looked up in the working folder: missing wherever
// it loaded, its library replaced or removed unseen by the calibration's
// key. The cache's own entries (ldconfig run on folders since removed
// from the configuration) and a library's RUNPATH are not read.
func libraryFile(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	var dirs []string
	for _, d := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	dirs = append(dirs, ldConfDirs("/etc/ld.so.conf", 0)...)
	dirs = append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// ldConfDirs lists the folders the loader's configuration file at path
// names, following its include lines (globs) to depth 4 at most.
func ldConfDirs(path string, depth int) []string {
	f, err := os.Open(path)
	if err != nil || depth > 4 {
		return nil
	}
	defer f.Close()
	var dirs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "include "):
			pattern := strings.TrimSpace(strings.TrimPrefix(line, "include "))
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(filepath.Dir(path), pattern)
			}
			files, _ := filepath.Glob(pattern)
			for _, inc := range files {
				dirs = append(dirs, ldConfDirs(inc, depth+1)...)
			}
		case filepath.IsAbs(line):
			dirs = append(dirs, line)
		}
	}
	return dirs
}
