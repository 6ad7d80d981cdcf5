package testenv

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NeedChromium returns the path of a headless-capable Chromium, or skips t
// when there is none; under CI it fails (.ci/run installs chromium).
func NeedChromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if CI() {
		t.Fatal("CI=true but no chromium was found (.ci/run installs chromium)")
	}
	t.Skip("no chromium")
	return ""
}

// consoleLine matches Chromium's log lines for the page's console messages
// and for its failed loads: "[...:INFO:CONSOLE(12)] "msg", source: ..." and
// "... net::ERR_...".
var consoleLine = regexp.MustCompile(`:CONSOLE\(\d+\)\]|Uncaught|net::ERR_`)

// Browse loads the HTML file at path in headless Chromium with every host
// unresolvable, so a request that leaves the page fails and is logged, and
// returns the console and load-error lines it logged and a screenshot of a
// width x height window.
func Browse(t testing.TB, chromium, path string, width, height int) (console []string, shot image.Image) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	png1 := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--disable-gpu", "--no-sandbox",
		"--no-first-run", "--disable-extensions", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
		"--hide-scrollbars", "--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height),
		"--screenshot="+png1, "file://"+abs)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if consoleLine.MatchString(l) {
			console = append(console, l)
		}
	}
	b, err := os.ReadFile(png1)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v\n%s", err, stderr.String())
	}
	if shot, err = png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return console, shot
}

// Ink is the fraction of pixels in r that are not near white and the
// variance of their gray level: a blank region has both near 0.
func Ink(img image.Image, r image.Rectangle) (ink, variance float64) {
	r = r.Intersect(img.Bounds())
	var n, dark float64
	var sum, sum2 float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			g := (float64(cr) + float64(cg) + float64(cb)) / 3 / 65535
			n++
			sum += g
			sum2 += g * g
			if g < 0.9 {
				dark++
			}
		}
	}
	if n == 0 {
		return 0, 0
	}
	mean := sum / n
	return dark / n, sum2/n - mean*mean
}

// svgElement matches an inline SVG element and keeps its opening tag.
var svgElement = regexp.MustCompile(`(?s)(<svg[^>]*>).*?</svg>`)

// CheckPage loads the HTML file at path in Chromium (NeedChromium) and fails
// t on any console message or failed load, or when its charts are blank: a
// second screenshot, of the page with every inline SVG emptied but keeping
// its size, must differ from the first in at least minInk of the window's
// pixels, and in at least one chart's worth per chart (1% of the window).
func CheckPage(t testing.TB, path string, minInk float64) {
	t.Helper()
	chromium := NeedChromium(t)
	const w, h = 1280, 6000
	console, shot := Browse(t, chromium, path, w, h)
	if len(console) > 0 {
		t.Errorf("%s: console:\n%s", path, strings.Join(console, "\n"))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	charts := len(svgElement.FindAllIndex(b, -1))
	if charts == 0 {
		t.Fatalf("%s has no inline SVG chart", path)
	}
	blank := filepath.Join(t.TempDir(), "blank.html")
	if err := os.WriteFile(blank, svgElement.ReplaceAll(b, []byte("$1</svg>")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, empty := Browse(t, chromium, blank, w, h)
	diff := Diff(shot, empty)
	if want := max(minInk, 0.01*float64(charts)*float64(w*1000)/float64(w*h)); diff < want {
		t.Errorf("%s: its %d charts change %.4f of the screenshot's pixels, want at least %.4f: blank charts", path, charts, diff, want)
	}
}

// Diff is the fraction of pixels that differ between two images of the
// same size (1 when the sizes differ).
func Diff(a, b image.Image) float64 {
	if a.Bounds() != b.Bounds() {
		return 1
	}
	r := a.Bounds()
	var n, d float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			n++
			ar, ag, ab, _ := a.At(x, y).RGBA()
			br, bg, bb, _ := b.At(x, y).RGBA()
			if ar != br || ag != bg || ab != bb {
				d++
			}
		}
	}
	return d / n
}
