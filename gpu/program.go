package gpu

import (
	"fmt"
	"sync"
	"time"

	"github.com/gpusim/gpusim/gpu/cl"
	"github.com/gpusim/gpusim/kernels"
)

// shared is the process-wide state of one device: its OpenCL context and the
// programs built in it, keyed by source and build options. Engines of the
// same device share it, so a program is built once however many engines use
// it, and a second engine opened while the first is alive pays no build; the
// last engine's Close releases the context and every program (reference
// counted under registry.mu), so closed engines leave nothing behind. Builds
// are serialized per device by mu.
type shared struct {
	index int
	dev   *cl.Device
	ctx   *cl.Context
	refs  int // guarded by registry.mu

	mu    sync.Mutex
	progs map[progKey]*cl.Program
}

type progKey struct{ source, options string }

var registry struct {
	mu sync.Mutex
	m  map[int]*shared
}

// acquire returns the shared state of d, creating its context on first use.
func acquire(d device) (*shared, error) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if s := registry.m[d.desc.Index]; s != nil {
		s.refs++
		return s, nil
	}
	ctx, err := cl.CreateContext(d.dev)
	if err != nil {
		return nil, fmt.Errorf("opencl: create context on %s: %w", d.desc, err)
	}
	s := &shared{index: d.desc.Index, dev: d.dev, ctx: ctx, refs: 1, progs: map[progKey]*cl.Program{}}
	if registry.m == nil {
		registry.m = map[int]*shared{}
	}
	registry.m[d.desc.Index] = s
	return s, nil
}

// release drops one reference; the last releases the programs and context.
func (s *shared) release() {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if s.refs--; s.refs > 0 {
		return
	}
	delete(registry.m, s.index)
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, p := range s.progs {
		p.Release()
		delete(s.progs, k)
	}
	s.ctx.Release()
}

// program returns the program of source (with kernels.SelfTest appended)
// built with options, building it on first use; took is the build's host time, zero on a cache hit. Failed
// builds are not cached.
func (s *shared) program(source, options string) (p *cl.Program, took time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := progKey{source, options}
	if p := s.progs[k]; p != nil {
		return p, 0, nil
	}
	t0 := time.Now()
	p, err = cl.BuildProgram(s.ctx, s.dev, source+"\n"+kernels.SelfTest, options)
	if err != nil {
		return nil, 0, err
	}
	took = time.Since(t0)
	s.progs[k] = p
	return p, took, nil
}

// cachedPrograms counts the programs alive in the process (for tests).
func cachedPrograms() int {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	n := 0
	for _, s := range registry.m {
		s.mu.Lock()
		n += len(s.progs)
		s.mu.Unlock()
	}
	return n
}

// source is the program source the engine's init builds (program appends
// kernels.SelfTest to every source, so that the self-test's probes compile
// under the same options and pragmas as the kernels they vouch for).
func (e *Engine) source() string {
	if e.opts.source != "" {
		return e.opts.source
	}
	return kernels.Weather
}
