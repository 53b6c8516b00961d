package keypad

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestEveryDigitHasItsRowAndColumnFrequencies(t *testing.T) {
	want := map[byte][2]float64{
		'1': {697, 1209}, '2': {697, 1336}, '3': {697, 1477}, 'A': {697, 1633},
		'4': {770, 1209}, '5': {770, 1336}, '6': {770, 1477}, 'B': {770, 1633},
		'7': {852, 1209}, '8': {852, 1336}, '9': {852, 1477}, 'C': {852, 1633},
		'*': {941, 1209}, '0': {941, 1336}, '#': {941, 1477}, 'D': {941, 1633},
	}
	for d, f := range want {
		lo, hi, ok := Freqs(d)
		assert.True(t, ok, "digit %c", d)
		assert.Equal(t, f, [2]float64{lo, hi}, "digit %c", d)
	}
	lo, hi, ok := Freqs('b')
	assert.True(t, ok)
	assert.Equal(t, [2]float64{770, 1633}, [2]float64{lo, hi}, "lower-case b is B")
	for _, d := range []byte{'E', 'e', ' ', 0, 'x', '+'} {
		_, _, ok := Freqs(d)
		assert.False(t, ok, "byte %q is not a digit", d)
	}
}
