// Package keypad is the DTMF keypad of ITU-T Q.23: the sixteen digits and
// the two frequencies that make each of them. It is the one table that
// tone synthesis (package media) and tone detection (package dtmf) share.
//
// Units: frequencies in Hz. Digits are the bytes '0'–'9', '*', '#' and
// 'A'–'D'.
//
// Buffers and concurrency: the package holds no state; every function
// returns a value (the arrays are copies) and is safe for concurrent use.
// It imports only the standard library.
package keypad
