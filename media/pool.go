package media

import "sync"

// Pool recycles sample buffers between users that are done with them, so
// that a server running thousands of operations does not allocate (and
// fault in) fresh buffers for each. The zero Pool is ready to use and safe
// for concurrent use. Like sync.Pool, it may drop what it holds at any
// garbage collection. A buffer given to Put belongs to the Pool: the caller
// must not touch it afterwards.
type Pool struct {
	p sync.Pool // *[]int16 of length 0
}

// Get returns an empty buffer of capacity at least n: a recycled one if
// the Pool has one at hand that is large enough (a smaller one is
// dropped), else a new one.
func (p *Pool) Get(n int) []int16 {
	if b, ok := p.p.Get().(*[]int16); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]int16, 0, n)
}

// Put makes b available to Get.
func (p *Pool) Put(b []int16) {
	if cap(b) == 0 {
		return
	}
	b = b[:0]
	p.p.Put(&b)
}
