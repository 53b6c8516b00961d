// Package media holds recsim's audio plumbing: the sample clock
// ([SampleRate], [Frame]), streaming WAV input and output, and the signal
// synthesis used by tests, fixtures and scenarios (tones, DTMF, noise,
// mixing). Audio formats and units are described in docs/audio.md; the
// figures measured on this package are in its README.md.
//
// # Units
//
// Time is a sample index (int64) on the stream's own clock; [SampleRate]
// (samples per second, [MinRate]–[MaxRate]) converts to and from
// time.Duration only at the edges. Audio is mono signed 16-bit PCM
// ([]int16). Levels are dBFS with a full-scale sine at 0 dBFS (see
// [FullScale]); arithmetic on samples saturates, it never wraps.
// Frequencies are in Hz; the DTMF digits and their frequencies are those of
// package dtmf/keypad.
//
// # Buffers
//
// The caller owns every slice it passes in: [Reader.Read] fills the
// caller's slice (16-bit mono data is read straight into it, so all of it
// may serve as scratch, as io.Reader allows), [Writer.Write] copies out of
// it before it returns, and no function here keeps a reference to a
// caller's slice. Slices returned by the synthesis functions are new and
// belong to the caller. [MemFile.Bytes] aliases the MemFile. A buffer given
// to [Pool.Put] belongs to the Pool.
//
// # Concurrency
//
// A [Reader], [Writer] or [MemFile] is not safe for concurrent use; use one
// per goroutine. A [Pool] is safe for concurrent use. The functions without
// a receiver are safe to call concurrently. The package has no mutable
// package-level state (its only package-level variables are the sentinel
// errors [ErrFormat] and [ErrTooLong]).
//
// media imports go-audio only in its tests, as an independent decoder to
// check the writer against; the adapter between go-audio's types and
// recsim's is the sub-package media/goaudio.
package media
