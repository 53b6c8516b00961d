//go:build !amd64

package vad

// useAVX2 is false where there are no assembly kernels.
var useAVX2 = false

func lagsOneAVX2(*[dim]float64, *float64, int)       { panic("vad: no assembly kernels") }
func lagsPairAVX2(*[2 * dim]float64, *float64, int)  { panic("vad: no assembly kernels") }
func widenAVX2(*float64, *int16, int)                { panic("vad: no assembly kernels") }
func pairSumsAVX2(*float64, *int16, int)             { panic("vad: no assembly kernels") }
func widenPairAVX2(*float64, *int16, *int16, int)    { panic("vad: no assembly kernels") }
func pairSumsPairAVX2(*float64, *int16, *int16, int) { panic("vad: no assembly kernels") }
