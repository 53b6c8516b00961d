//go:build unix

package bench

import (
	"syscall"
	"time"
)

// ProcessCPU returns the user and system time of every thread of the
// process so far (getrusage RUSAGE_SELF).
func ProcessCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
