package server

import (
	"strconv"
	"unicode/utf8"
)

// The stream's facts are encoded by appending, not with encoding/json's
// reflection: a round trip puts some 25 on the stream, and at a thousand
// completions a second reflection alone took 4 % of a core. The output is
// the JSON encoding/json gives for the same structs
// (TestStreamJSONIsEncodingJSONs checks it field for field).

const hexDigits = "0123456789abcdef"

// SWAR constants: a 1 and a 0x80 in every byte of a word.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plainWord reports whether the eight bytes of w are ASCII that a JSON
// string holds as they are: no control character, no '"', '\\', '<', '>'
// or '&'. (A byte is zero in v exactly where (v-ones) & ^v & highs has its
// high bit: the classic has-zero-byte test.)
func plainWord(w uint64) bool {
	if w&highs != 0 {
		return false
	}
	if (w-ones*0x20)&^w&highs != 0 { // a byte below 0x20
		return false
	}
	q, bs, lt, gt, amp := w^(ones*'"'), w^(ones*'\\'), w^(ones*'<'), w^(ones*'>'), w^(ones*'&')
	z := (q-ones)&^q | (bs-ones)&^bs | (lt-ones)&^lt | (gt-ones)&^gt | (amp-ones)&^amp
	return z&highs == 0
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD (as encoding/json).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	// Most strings (IDs, URLs, names) need no escaping: check them eight
	// bytes at a time, and append them whole.
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if !plainWord(w) {
			break
		}
	}
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default: // other control characters, and <, >, & as encoding/json
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendPlain appends s quoted as it is: for strings this server makes
// that need no escaping (its GUIDs, enum names, RFC 3339 times).
func appendPlain(b []byte, s string) []byte {
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendOptString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

func appendOptInt(b []byte, n *int) []byte {
	if n == nil {
		return append(b, "null"...)
	}
	return strconv.AppendInt(b, int64(*n), 10)
}

// field appends `,"name":` (or `{"name":` for the first).
func field(b []byte, first bool, name string) []byte {
	if first {
		b = append(b, '{')
	} else {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// The encoders below append each key with the punctuation around it as
// one literal (`,"kind":"`): a fact is some twenty short appends, and each
// append is a call; halving their number is a third of a fact's cost.

func (v *opView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, v.ID...)
	b = append(b, `","kind":"`...)
	b = append(b, v.Kind...)
	b = append(b, `","status":"`...)
	b = append(b, v.Status...)
	b = appendOptString(append(b, `","completionReason":`...), v.CompletionReason)
	b = appendOptInt(append(b, `,"code":`...), v.Code)
	b = appendOptInt(append(b, `,"subcode":`...), v.Subcode)
	b = appendOptString(append(b, `,"message":`...), v.Message)
	b = appendOptString(append(b, `,"recordingLocation":`...), v.RecordingLocation)
	b = appendOptString(append(b, `,"recordingAccessToken":`...), v.RecordingAccessToken)
	b = appendOptString(append(b, `,"clientContext":`...), v.ClientContext)
	return append(b, '}')
}

// appendJSON encodes a call without its operations (the stream's call
// facts).
func (v *callView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, v.ID...)
	b = append(b, `","state":"`...)
	b = append(b, v.State...)
	b = append(b, `","direction":"`...)
	b = append(b, v.Direction...)
	b = appendString(append(b, `","callbackUri":`...), v.CallbackURI)
	b = append(b, `,"createdDateTime":"`...)
	b = append(b, v.Created...)
	b = appendOptString(append(b, `","endedDateTime":`...), v.Ended)
	b = strconv.AppendInt(append(b, `,"rate":`...), int64(v.Rate), 10)
	return append(b, '}')
}

func (t *timelineView) appendJSON(b []byte) []byte {
	b = append(b, `{"type":"`...)
	b = append(b, t.Type...)
	b = strconv.AppendInt(append(b, `","sample":`...), t.Sample, 10)
	b = appendMs(append(b, `,"ms":`...), t.Ms)
	if t.OperationID != "" {
		b = append(b, `,"operationId":"`...)
		b = append(b, t.OperationID...)
		b = append(b, '"')
	}
	if t.Detail != "" {
		b = appendString(append(b, `,"detail":`...), t.Detail)
	}
	return append(b, '}')
}

// appendMs appends a millisecond figure as encoding/json does (the
// shortest decimal that reads back as ms). Most are a whole number of
// thousandths (sample × 1000 / rate at 8 and 16 kHz: …, .125, .0625 is
// not), and those are written without the general float formatter.
func appendMs(b []byte, ms float64) []byte {
	if ms >= 0 && ms < 1e9 {
		if m := int64(ms * 1000); float64(m) == ms*1000 && float64(m)/1000 == ms {
			b = strconv.AppendInt(b, m/1000, 10)
			if f := m % 1000; f != 0 {
				d := [4]byte{'.', byte('0' + f/100), byte('0' + f/10%10), byte('0' + f%10)}
				n := 4
				for d[n-1] == '0' {
					n--
				}
				b = append(b, d[:n]...)
			}
			return b
		}
	}
	return strconv.AppendFloat(b, ms, 'f', -1, 64)
}

func (n *notificationJSON) appendJSON(b []byte) []byte {
	b = strconv.AppendInt(append(b, `{"sequence":`...), n.Sequence, 10)
	b = append(b, `,"changeType":"`...)
	b = append(b, n.ChangeType...)
	b = appendString(append(b, `","resourceUrl":`...), n.ResourceURL)
	b = strconv.AppendInt(append(b, `,"attempts":`...), int64(n.Attempts), 10)
	b = strconv.AppendBool(append(b, `,"delivered":`...), n.Delivered)
	if n.LastError != "" {
		b = appendString(append(b, `,"lastError":`...), n.LastError)
	}
	b = append(b, `,"payload":`...)
	if n.Payload == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, n.Payload...) // already JSON (the POST body)
	}
	return append(b, '}')
}
