package media_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/recsim/recsim/media"
)

func TestPoolGivesEmptyBuffersOfAtLeastTheCapacityAsked(t *testing.T) {
	var p media.Pool
	for _, n := range []int{0, 1, 4000, 100, 80000, 10} {
		b := p.Get(n)
		assert.Empty(t, b)
		assert.GreaterOrEqual(t, cap(b), n, "Get(%d)", n)
		p.Put(append(b, 1, 2, 3)) // handed back with samples in it
	}
	p.Put(nil) // nothing to keep
	b := p.Get(5)
	assert.Empty(t, b, "a recycled buffer comes back empty")
}
