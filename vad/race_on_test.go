//go:build race

package vad_test

// raceEnabled: the race detector slows the detector ~10×; the statistical
// sweeps then run on a sample of their scenes (see scenesFor).
const raceEnabled = true
