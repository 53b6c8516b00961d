package engine

import (
	"sync"

	"github.com/recsim/recsim/dtmf"
	"github.com/recsim/recsim/media"
	"github.com/recsim/recsim/vad"
)

// defaultCacheEntries is NewCache's capacity when it is given none: a
// server meets a few media rates (8 and 16 kHz in practice) and a few
// beep shapes, so 16 of each keeps every one in use while bounding the
// cache (reasoning; see NewCache for the memory it bounds).
const defaultCacheEntries = 16

// Cache holds what operations can share instead of rebuilding it each
// time: the DTMF detector's read-only tables per configuration (a
// dtmf.Bank: resonators and unmixing matrices, about 30 µs to build; a
// vad.Model: the VAD's per-configuration constants, 12–15 µs), the
// beep's samples per rate and shape, and the recording buffers of
// operations that have ended (Operation.Release). A server that runs
// thousands of operations keeps one Cache and puts it in every
// operation's Options; an operation without one builds everything
// itself. The caller owns the Cache; it is bounded (at most its capacity
// of beep shapes, least recently used dropped first; recycled buffers go
// the way of a sync.Pool at garbage collection) and safe for concurrent
// use.
type Cache struct {
	mu     sync.Mutex
	banks  lru[dtmf.Config, *dtmf.Bank] // read-only, shared by their detectors
	models lru[vad.Config, *vad.Model]  // read-only, shared by their detectors
	beeps  lru[beepKey, []int16]        // read-only samples
	// Detectors of released operations, reset, by configuration (a
	// sync.Pool each: the garbage collector empties them when idle).
	freeDTMF lru[dtmf.Config, *sync.Pool]
	freeVAD  lru[vad.Config, *sync.Pool]
	chunks   media.Pool // recording chunks of chunkSamples
}

// chunkSamples is the size of a recording chunk: 16 384 samples, 32 KiB,
// about 2 s at 8 kHz. An operation holds the chunks of what it has
// recorded, so its memory grows with the audio, not with its
// maxRecordDuration (120 s at 8 kHz preallocated was 1.9 MB an operation).
const chunkSamples = 16384

// chunk returns an empty recording chunk of chunkSamples capacity (a
// recycled one when c has one).
func (c *Cache) chunk() []int16 {
	if c == nil {
		return make([]int16, 0, chunkSamples)
	}
	return c.chunks.Get(chunkSamples)
}

// releaseChunks hands recording chunks back for reuse.
func (c *Cache) releaseChunks(chunks [][]int16) {
	if c == nil {
		return
	}
	for _, ch := range chunks {
		c.chunks.Put(ch)
	}
}

// NewCache returns a cache that keeps at most entries DTMF banks, VAD
// models and beep shapes of each kind (entries ≤ 0: 16). A bank is about
// 17 KiB, a model 320 bytes; a
// beep is 2 bytes a sample, so the longest a server's per-call options
// allow today (10 s at 48 kHz: 938 KiB) bounds the default cache to
// about 15 MiB whatever its callers ask for.
func NewCache(entries int) *Cache {
	if entries <= 0 {
		entries = defaultCacheEntries
	}
	return &Cache{banks: lru[dtmf.Config, *dtmf.Bank]{max: entries}, models: lru[vad.Config, *vad.Model]{max: entries},
		beeps: lru[beepKey, []int16]{max: entries}, freeDTMF: lru[dtmf.Config, *sync.Pool]{max: entries},
		freeVAD: lru[vad.Config, *sync.Pool]{max: entries}}
}

// shared returns l's value for k, building it with build (outside the
// lock: two operations may both build it, one of them is kept) when l has
// none. A build error is returned and nothing is kept.
func shared[K comparable, V any](mu *sync.Mutex, l *lru[K, V], k K, build func() (V, error)) (V, error) {
	mu.Lock()
	v, ok := l.get(k)
	mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	mu.Lock()
	l.put(k, v)
	mu.Unlock()
	return v, nil
}

// detector returns a DTMF detector for cfg, sharing the cache's bank for
// cfg when c has one (c may be nil).
//
// A released one is returned when the cache has one at hand (reset: as
// from the bank), with the pool to give it back to (nil without a cache).
func (c *Cache) detector(cfg dtmf.Config) (*dtmf.Detector, *sync.Pool, error) {
	if c == nil {
		d, err := dtmf.New(cfg)
		return d, nil, err
	}
	free, _ := shared(&c.mu, &c.freeDTMF, cfg, newPool)
	if d, ok := free.Get().(*dtmf.Detector); ok {
		return d, free, nil
	}
	b, err := shared(&c.mu, &c.banks, cfg, func() (*dtmf.Bank, error) { return dtmf.NewBank(cfg) })
	if err != nil {
		return nil, nil, err
	}
	return b.New(), free, nil
}

func newPool() (*sync.Pool, error) { return &sync.Pool{}, nil }

// voiceDetector returns a VAD for cfg, sharing the cache's model for cfg
// when c has one (c may be nil).
// (and, as detector, a released one when it has one).
func (c *Cache) voiceDetector(cfg vad.Config) (*vad.Detector, *sync.Pool, error) {
	if c == nil {
		d, err := vad.New(cfg)
		return d, nil, err
	}
	free, _ := shared(&c.mu, &c.freeVAD, cfg, newPool)
	if d, ok := free.Get().(*vad.Detector); ok {
		return d, free, nil
	}
	m, err := shared(&c.mu, &c.models, cfg, func() (*vad.Model, error) { return vad.NewModel(cfg) })
	if err != nil {
		return nil, nil, err
	}
	return m.New(), free, nil
}

// beepKey is what a beep's samples depend on.
type beepKey struct {
	rate             media.SampleRate
	hz, level        float64
	samples, rampLen int
}

// beep returns the beep b at rate, from c when it has it (c may be nil).
// The slice may be shared by every operation with the same beep: it must
// not be modified.
func (c *Cache) beep(rate media.SampleRate, b BeepConfig) []int16 {
	k := beepKey{rate: rate, hz: b.Hz, level: b.Level, samples: int(rate.N(b.Duration)), rampLen: int(rate.N(b.Ramp))}
	synth := func() ([]int16, error) {
		return media.Tone(rate, k.samples, media.ToneSpec{Hz: b.Hz, Level: b.Level, Ramp: k.rampLen}), nil
	}
	if c == nil {
		pcm, _ := synth()
		return pcm
	}
	pcm, _ := shared(&c.mu, &c.beeps, k, synth) // synth never fails
	return pcm
}

// lru is a small least-recently-used map of at most max entries. Lookups
// scan the entries (max is a few dozen). Not safe for concurrent use.
type lru[K comparable, V any] struct {
	max     int
	entries []lruEntry[K, V] // most recently used last
}

type lruEntry[K comparable, V any] struct {
	key K
	val V
}

func (l *lru[K, V]) get(k K) (V, bool) {
	for i := len(l.entries) - 1; i >= 0; i-- {
		if l.entries[i].key == k {
			e := l.entries[i]
			copy(l.entries[i:], l.entries[i+1:])
			l.entries[len(l.entries)-1] = e
			return e.val, true
		}
	}
	var zero V
	return zero, false
}

func (l *lru[K, V]) put(k K, v V) {
	if _, ok := l.get(k); ok {
		l.entries[len(l.entries)-1].val = v
		return
	}
	if len(l.entries) >= l.max {
		copy(l.entries, l.entries[1:])
		l.entries = l.entries[:len(l.entries)-1]
	}
	l.entries = append(l.entries, lruEntry[K, V]{k, v})
}

func (l *lru[K, V]) len() int { return len(l.entries) }
