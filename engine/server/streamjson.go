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

func (v *opView) appendJSON(b []byte) []byte {
	b = appendPlain(field(b, true, "id"), v.ID)
	b = appendPlain(field(b, false, "kind"), v.Kind)
	b = appendPlain(field(b, false, "status"), v.Status)
	b = appendOptString(field(b, false, "completionReason"), v.CompletionReason)
	b = appendOptInt(field(b, false, "code"), v.Code)
	b = appendOptInt(field(b, false, "subcode"), v.Subcode)
	b = appendOptString(field(b, false, "message"), v.Message)
	b = appendOptString(field(b, false, "recordingLocation"), v.RecordingLocation)
	b = appendOptString(field(b, false, "recordingAccessToken"), v.RecordingAccessToken)
	b = appendOptString(field(b, false, "clientContext"), v.ClientContext)
	return append(b, '}')
}

// appendJSON encodes a call without its operations (the stream's call
// facts).
func (v *callView) appendJSON(b []byte) []byte {
	b = appendPlain(field(b, true, "id"), v.ID)
	b = appendPlain(field(b, false, "state"), v.State)
	b = appendPlain(field(b, false, "direction"), v.Direction)
	b = appendString(field(b, false, "callbackUri"), v.CallbackURI)
	b = appendPlain(field(b, false, "createdDateTime"), v.Created)
	b = appendOptString(field(b, false, "endedDateTime"), v.Ended)
	b = strconv.AppendInt(field(b, false, "rate"), int64(v.Rate), 10)
	return append(b, '}')
}

func (t *timelineView) appendJSON(b []byte) []byte {
	b = appendPlain(field(b, true, "type"), t.Type)
	b = strconv.AppendInt(field(b, false, "sample"), t.Sample, 10)
	b = strconv.AppendFloat(field(b, false, "ms"), t.Ms, 'f', -1, 64)
	if t.OperationID != "" {
		b = appendPlain(field(b, false, "operationId"), t.OperationID)
	}
	if t.Detail != "" {
		b = appendString(field(b, false, "detail"), t.Detail)
	}
	return append(b, '}')
}

func (n *notificationJSON) appendJSON(b []byte) []byte {
	b = strconv.AppendInt(field(b, true, "sequence"), n.Sequence, 10)
	b = appendPlain(field(b, false, "changeType"), n.ChangeType)
	b = appendString(field(b, false, "resourceUrl"), n.ResourceURL)
	b = strconv.AppendInt(field(b, false, "attempts"), int64(n.Attempts), 10)
	b = strconv.AppendBool(field(b, false, "delivered"), n.Delivered)
	if n.LastError != "" {
		b = appendString(field(b, false, "lastError"), n.LastError)
	}
	b = field(b, false, "payload")
	if n.Payload == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, n.Payload...) // already JSON (the POST body)
	}
	return append(b, '}')
}
