//go:build !unix

package bench

import "time"

// processCPU is not measured on this platform: CPU figures show as
// unknown.
func processCPU() (time.Duration, bool) { return 0, false }
