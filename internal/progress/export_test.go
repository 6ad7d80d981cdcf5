package progress

// Done is the number of lanes counted so far.
func (b *Bar) Done() uint64 { return b.done.Load() }
