//go:build !amd64

package vad

// detectAVX2 is false where there are no assembly kernels.
func detectAVX2() bool { return false }

func lagsOneAVX2(*[dim]float64, *float64, int)       { panic("vad: no assembly kernels") }
func lagsPairAVX2(*[2 * dim]float64, *float64, int)  { panic("vad: no assembly kernels") }
func widenAVX2(*float64, *int16, int)                { panic("vad: no assembly kernels") }
func pairSumsAVX2(*float64, *int16, int)             { panic("vad: no assembly kernels") }
func widenPairAVX2(*float64, *int16, *int16, int)    { panic("vad: no assembly kernels") }
func pairSumsPairAVX2(*float64, *int16, *int16, int) { panic("vad: no assembly kernels") }
