package engine

import "sync"

// recBufs recycles recording buffers handed back by Operation.Release.
// Buffers are all the same size in practice (maxRecordDuration × rate
// plus a block, with the server's defaults), so a buffer too small for
// the operation asking is simply dropped.
var recBufs sync.Pool // *[]int16, length 0

// getRecBuf returns an empty buffer of capacity at least n.
func getRecBuf(n int) []int16 {
	if p, ok := recBufs.Get().(*[]int16); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	return make([]int16, 0, n)
}

// putRecBuf makes b available to getRecBuf.
func putRecBuf(b []int16) {
	if cap(b) == 0 {
		return
	}
	b = b[:0]
	recBufs.Put(&b)
}
