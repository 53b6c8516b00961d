package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

func itoa(n int) string { return strconv.Itoa(n) }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return group(int64(n)) + " " + what + "s"
}

// group writes n with a space between groups of three digits (10 000).
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// sci writes x with three significant digits as m.mme±N (2.29e7).
func sci(x float64) string {
	if math.IsNaN(x) {
		return "?"
	}
	if x == 0 {
		return "0"
	}
	e := int(math.Floor(math.Log10(math.Abs(x))))
	m := x / math.Pow(10, float64(e))
	if math.Abs(m) >= 9.995 {
		m /= 10
		e++
	}
	return fmt.Sprintf("%.2fe%d", m, e)
}

// num writes x with about three significant digits, grouped when large.
func num(x float64) string {
	switch a := math.Abs(x); {
	case math.IsNaN(x):
		return "?"
	case a >= 1000:
		return group(int64(math.Round(x)))
	case a >= 100:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	case a >= 1 || a == 0:
		return fmt.Sprintf("%.2f", x)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", x)
	}
	return fmt.Sprintf("%.2g", x)
}

// bytesIEC writes a byte count in KiB, MiB or GiB.
func bytesIEC(b float64) string {
	switch a := math.Abs(b); {
	case math.IsNaN(b):
		return "?"
	case a >= 1<<30:
		return num(b/(1<<30)) + " GiB"
	case a >= 1<<20:
		return num(b/(1<<20)) + " MiB"
	case a >= 1<<10:
		return num(b/(1<<10)) + " KiB"
	}
	return num(b) + " B"
}

// cell writes a Stat with f: the median, and [min–max] when the runs
// differ.
func cell(s Stat, f func(float64) string) string {
	if len(s.Runs) <= 1 || s.Min == s.Max || math.IsNaN(s.Median) {
		return f(s.Median)
	}
	return f(s.Median) + " [" + f(s.Min) + "–" + f(s.Max) + "]"
}

func khz(rate int) string {
	if rate%1000 == 0 {
		return itoa(rate/1000) + " kHz"
	}
	return num(float64(rate)/1000) + " kHz"
}
