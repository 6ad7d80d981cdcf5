package gpu

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
