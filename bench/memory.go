package bench

import (
	"runtime"

	"github.com/recsim/recsim/media"
)

// perCallGuess is an estimate of one concurrency call's heap: what its
// running operation has recorded (chunks follow the audio; its turns last
// 2–8 s, 4 s at the median) plus detectors, queue and runner state
// (measured: 106 KiB a call at 8 kHz with 20 000 calls).
func perCallGuess(rate int) int64 {
	return 2*media.SampleRate(rate).Seconds(4) + 48<<10
}

// prefault grows the Go heap by n bytes of memory the OS has backed, then
// frees it for the calls to reuse. On a VM that backs guest memory lazily
// (this project's Firecracker machines take about 2 s per GiB touched
// for the first time) the first touch of every page would otherwise stall
// the runner in the middle of the measurement; a long-running server has
// paid that cost long before. Twice the calls' heap covers the live heap
// and the garbage of ended operations until the next collection.
func prefault(n int64) {
	const chunk = 64 << 20
	var keep [][]byte
	for left := n; left > 0; left -= chunk {
		b := make([]byte, min(left, chunk))
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		keep = append(keep, b)
	}
	runtime.KeepAlive(keep)
	keep = nil
	runtime.GC()
}
