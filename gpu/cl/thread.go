package cl

import (
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
)

// Some OpenCL implementations keep per-thread state and crash when calls
// come from several OS threads, as Go's goroutines do: Oclgrind's runtime
// (liboclgrind-rt.so) segfaults in clWaitForEvents within a few runs. For
// them every call runs on one locked OS thread. Other drivers are called
// directly, so that devices driven from different goroutines (gpu.Multi)
// wait on their queues in parallel.

// needsOneThread reports whether the library at path must be called from
// one OS thread.
func needsOneThread(path string) bool {
	return strings.Contains(strings.ToLower(filepath.Base(path)), "oclgrind")
}

var (
	threadOnce sync.Once
	threadCall chan func()
	// oneThread is set once Load has bound a library that must be called
	// from one thread (onOneThread).
	oneThread bool
)

// OneThread reports whether every call to the loaded library runs on one
// locked OS thread (Oclgrind's runtime): work on several devices gains
// nothing from several goroutines there, their calls taking turns on
// that thread.
func OneThread() bool { return oneThread }

// callThread returns the channel that runs functions on the locked thread.
func callThread() chan func() {
	threadOnce.Do(func() {
		threadCall = make(chan func())
		go func() {
			runtime.LockOSThread() // never unlocked: the thread is OpenCL's
			for f := range threadCall {
				f()
			}
		}()
	})
	return threadCall
}

// onOneThread replaces every bound function with one that runs it on the
// locked thread and waits for it.
func onOneThread() {
	oneThread = true
	calls := callThread()
	for _, s := range symbols {
		v := reflect.ValueOf(s.fn).Elem()
		direct := reflect.ValueOf(v.Interface())
		v.Set(reflect.MakeFunc(v.Type(), func(args []reflect.Value) []reflect.Value {
			var out []reflect.Value
			done := make(chan struct{})
			calls <- func() {
				out = direct.Call(args)
				close(done)
			}
			<-done
			return out
		}))
	}
}
