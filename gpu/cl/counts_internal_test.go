package cl

import (
	"os"
	"strings"
	"testing"
)

// TestDriverCounts: a driver whose second clGetPlatformIDs or clGetDeviceIDs
// reports more ids than the first (the count may exceed the room given)
// panicked on a slice out of range, and one that reports 0x7fffffff
// allocated 16 GB; only the ids written count, and a count past maxIDs is a
// broken driver's error.
func TestDriverCounts(t *testing.T) {
	if err := Load(); err != nil {
		// cltest.Unavailable's policy; cltest imports this package.
		if os.Getenv("CI") == "true" {
			t.Fatalf("OpenCL is required when CI=true: %v", err)
		}
		t.Skipf("no OpenCL here: %v", err)
	}
	realP, realD := clGetPlatformIDs, clGetDeviceIDs
	defer func() { clGetPlatformIDs, clGetDeviceIDs = realP, realD }()

	grow := func(first, second uint32) func(n uint32, ids *uintptr, nRet *uint32) int32 {
		return func(n uint32, ids *uintptr, nRet *uint32) int32 {
			if ids == nil {
				*nRet = first
				return 0
			}
			*ids = 0x1234 // the one id the room holds
			*nRet = second
			return 0
		}
	}
	clGetPlatformIDs = grow(1, 4)
	ps, err := Platforms()
	if err != nil || len(ps) != 1 || ps[0].id != 0x1234 {
		t.Errorf("platforms 1 then 4: %v, %v", ps, err)
	}
	clGetPlatformIDs = grow(0x7fffffff, 0x7fffffff)
	if _, err := Platforms(); err == nil || !strings.Contains(err.Error(), "reports 2147483647 platforms, more than 4096: a broken driver") {
		t.Errorf("platforms 0x7fffffff: %v", err)
	}
	clGetPlatformIDs = realP

	p := &Platform{id: 1}
	dev := func(first, second uint32) func(p uintptr, typ uint64, n uint32, ids *uintptr, nRet *uint32) int32 {
		g := grow(first, second)
		return func(_ uintptr, _ uint64, n uint32, ids *uintptr, nRet *uint32) int32 { return g(n, ids, nRet) }
	}
	clGetDeviceIDs = dev(1, 4)
	ds, err := p.Devices()
	if err != nil || len(ds) != 1 || ds[0].id != 0x1234 {
		t.Errorf("devices 1 then 4: %v, %v", ds, err)
	}
	clGetDeviceIDs = dev(0x7fffffff, 0x7fffffff)
	if _, err := p.Devices(); err == nil || !strings.Contains(err.Error(), "reports 2147483647 devices on a platform, more than 4096") {
		t.Errorf("devices 0x7fffffff: %v", err)
	}
}
