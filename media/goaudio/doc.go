// Package goaudio converts between go-audio's types (github.com/go-audio/audio
// and github.com/go-audio/wav) and recsim's audio: mono signed 16-bit PCM
// ([]int16) at a [media.SampleRate]. It is for callers whose code already
// holds go-audio buffers or decoders; recsim itself reads and writes WAV
// with package media. It is the only package of recsim outside tests that
// imports go-audio.
//
// Every conversion gives, sample for sample, what media's own WAV reader
// gives for the same PCM: channels are down-mixed by averaging, every bit
// depth is rounded to 16 bits (halves away from zero) and saturated, as
// [media.Reader] documents and the tests check against sox-written files.
//
// # Units
//
// Samples are int16 (full scale ±32767, see [media.FullScale]); a go-audio
// [audio.IntBuffer] holds them as int at its SourceBitDepth, 8-bit samples
// unsigned (0–255, 128 for silence) as go-audio's decoder and encoder store
// them, the others signed. Rates are samples per second, 8000–48000 Hz
// ([media.MinRate]–[media.MaxRate]); lengths are frames (one sample per
// channel).
//
// # Buffers
//
// [FromIntBuffer] and [ToIntBuffer] return new slices and buffers that
// belong to the caller and keep no reference to their input. Each buffer
// ToIntBuffer returns has its own [audio.Format]: go-audio's predefined
// formats (audio.FormatMono44100…) are shared mutable values and are never
// used. A [Source] fills the caller's slice in [Source.Read] and keeps no
// reference to it; it reads the decoder's stream through a fixed buffer of
// its own (constant memory whatever the file length, no allocation per
// Read).
//
// # Concurrency
//
// The package has no state: FromIntBuffer and ToIntBuffer are safe to call
// concurrently (on buffers no one is writing). A Source is not safe for
// concurrent use, and while it is in use it owns the decoder it was made
// from and the decoder's reader: nothing else may read from them.
//
// # go-audio pitfalls handled
//
// [NewSource] reads the header itself (wav.Decoder.ReadInfo) and checks the
// error that Decoder.FwdToPCM does not return. It decodes the data chunk's
// bytes itself rather than through Decoder.PCMBuffer, which allocates on
// every call and drops the bytes of a sample split by a short read; and it
// stops at the data chunk's declared end, where go-audio's decoder reads
// the pad byte of an odd-sized chunk (8-bit mono, 24-bit mono or 3-channel
// 8-bit with an odd frame count) as a sample or part of one. An IntBuffer
// from Decoder.FullPCMBuffer of such a file therefore ends with a spurious
// sample, which [FromIntBuffer] cannot recognise. IEEE float files, which
// go-audio decodes as integer bit patterns, are converted as floats. A
// WAVE_FORMAT_EXTENSIBLE file of 32 or 64 bits is refused: go-audio does
// not keep its sub-format, so integer and float samples cannot be told
// apart (read such files with [media.NewReader]). Do not call
// Decoder.Duration before NewSource: before ReadInfo it consumes the stream.
// go-audio's header parser allocates as many bytes as a fmt chunk claims
// (up to 4 GiB) before NewSource sees the header: give it trusted files
// only, and untrusted ones to media's reader, which bounds the fmt chunk.
package goaudio
