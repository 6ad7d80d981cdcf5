package bench

import (
	"runtime"

	xcpu "golang.org/x/sys/cpu"

	"github.com/gpusim/gpusim/internal/cpuinfo"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU        string   `json:"cpu"`        // the CPU's model name
	Cores      int      `json:"cores"`      // runtime.NumCPU
	GOMAXPROCS int      `json:"gomaxprocs"` // runtime.GOMAXPROCS(0)
	SIMD       []string `json:"simd"`       // the vector features gpusim names, e.g. avx512f
	Devices    []string `json:"devices"`    // one line each, as engines.DeviceLabelsFor gives them
	// DevicesNote says why the device engine lists no device, when it does not.
	DevicesNote string `json:"devices_note,omitempty"`
	Go          string `json:"go"`   // runtime.Version
	OS          string `json:"os"`   // runtime.GOOS
	Arch        string `json:"arch"` // runtime.GOARCH
}

// DescribeMachine reports the CPU model (from /proc/cpuinfo where there is
// one), core count, SIMD features, Go version and, when devices is not nil,
// the devices it lists (the engine registry supplies those the benchmark's
// device engines run on); nil says no device engine runs.
func DescribeMachine(devices func() ([]string, error)) Machine {
	m := Machine{
		CPU:        cpuModel("/proc/cpuinfo"),
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		SIMD:       simdFeatures(),
		Go:         runtime.Version(),
		OS:         runtime.GOOS,
		Arch:       runtime.GOARCH,
	}
	if m.CPU == "" {
		m.CPU = "unknown " + runtime.GOARCH
	}
	switch {
	case devices == nil:
		m.DevicesNote = "no device engine run"
	default:
		ds, err := devices()
		m.Devices = ds
		if err != nil {
			m.DevicesNote = err.Error()
		} else if len(ds) == 0 {
			m.DevicesNote = "no devices"
		}
	}
	return m
}

// cpuModel returns the CPU model a cpuinfo file names (cpuinfo.Model).
func cpuModel(path string) string { return cpuinfo.Model(path) }

func simdFeatures() []string {
	var fs []string
	add := func(ok bool, name string) {
		if ok {
			fs = append(fs, name)
		}
	}
	switch runtime.GOARCH {
	case "amd64", "386":
		x := xcpu.X86
		add(x.HasSSE2, "sse2")
		add(x.HasSSE3, "sse3")
		add(x.HasSSSE3, "ssse3")
		add(x.HasSSE41, "sse4.1")
		add(x.HasSSE42, "sse4.2")
		add(x.HasAVX, "avx")
		add(x.HasAVX2, "avx2")
		add(x.HasFMA, "fma")
		add(x.HasAVX512F, "avx512f")
		add(x.HasAVX512DQ, "avx512dq")
		add(x.HasAVX512BW, "avx512bw")
		add(x.HasAVX512VL, "avx512vl")
	case "arm64":
		a := xcpu.ARM64
		add(a.HasASIMD, "asimd")
		add(a.HasFPHP, "fphp")
		add(a.HasSVE, "sve")
		add(a.HasSVE2, "sve2")
	}
	return fs
}
