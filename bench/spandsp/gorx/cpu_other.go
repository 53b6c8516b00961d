//go:build !linux

package main

import "time"

// threadCPU is not implemented off Linux (the comparison needs taskset and
// spandsp, so it runs on Linux anyway).
func threadCPU() (time.Duration, bool) { return 0, false }
