package keypad

// Digits lists the sixteen digits row by row: the digit of row r (low
// group) and column c (high group) is Digits[4*r+c].
const Digits = "123A456B789C*0#D"

// Rows returns the low-group frequencies (ITU-T Q.23), row 0 first.
func Rows() [4]float64 { return [4]float64{697, 770, 852, 941} }

// Cols returns the high-group frequencies (ITU-T Q.23), column 0 first.
func Cols() [4]float64 { return [4]float64{1209, 1336, 1477, 1633} }

// Position returns the row and column of digit d. Lower-case 'a'–'d' are
// accepted for 'A'–'D'. ok is false for any other byte.
func Position(d byte) (row, col int, ok bool) {
	if d >= 'a' && d <= 'd' {
		d -= 'a' - 'A'
	}
	for i := range len(Digits) {
		if Digits[i] == d {
			return i / 4, i % 4, true
		}
	}
	return 0, 0, false
}

// Freqs returns the low-group and high-group frequencies of digit d (see
// Position for the digits accepted).
func Freqs(d byte) (low, high float64, ok bool) {
	r, c, ok := Position(d)
	if !ok {
		return 0, 0, false
	}
	return Rows()[r], Cols()[c], true
}
