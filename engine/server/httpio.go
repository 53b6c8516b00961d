package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/recsim/recsim/engine/server/identity"
)

// graphError is Graph's error body (docs/wire.md).
type graphError struct {
	Error graphErrorBody `json:"error"`
}

type graphErrorBody struct {
	Code       string     `json:"code"`
	Message    string     `json:"message"`
	InnerError innerError `json:"innerError"`
}

type innerError struct {
	Subcode         int    `json:"subcode,omitempty"`
	RequestID       string `json:"request-id"`
	ClientRequestID string `json:"client-request-id"`
	Date            string `json:"date"`
}

// subcodeCallNotFound is the innerError subcode of 404s for unknown or
// ended calls (docs/wire.md).
const subcodeCallNotFound = 8522

// fail answers with Graph's error JSON. subcode 0 is left out.
func (q *request) fail(status int, code, message string, subcode int) {
	body := graphError{Error: graphErrorBody{Code: code, Message: message, InnerError: innerError{
		Subcode: subcode, RequestID: q.id, ClientRequestID: q.clientID,
		Date: q.s.now().UTC().Format("2006-01-02T15:04:05"),
	}}}
	q.json(status, body)
}

func (q *request) badRequest(format string, args ...any) {
	q.fail(http.StatusBadRequest, "BadRequest", fmt.Sprintf(format, args...), 0)
}

func (q *request) callNotFound(id string) {
	q.fail(http.StatusNotFound, "NotFound", "Call not found.", subcodeCallNotFound)
}

func (q *request) unavailable() {
	q.w.Header().Set("Retry-After", "5")
	q.fail(http.StatusServiceUnavailable, "ServiceUnavailable", "The server is shutting down; it accepts no new calls or operations.", 0)
}

// mediaBusy answers 503 to media that would take the server's media
// memory over its budget (Config.MediaMemory).
func (q *request) mediaBusy(n int64) {
	q.w.Header().Set("Retry-After", "1")
	q.fail(http.StatusServiceUnavailable, "ServiceUnavailable", fmt.Sprintf(
		"The server holds as much caller audio as its media memory budget allows (%d MiB); these %d MiB do not fit now. Retry when calls have ended, or start the server with a larger --media-memory.",
		q.s.cfg.MediaMemory>>20, (n+(1<<20)-1)>>20), 0)
}

// json answers with v as JSON.
func (q *request) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // our own types always marshal
		http.Error(q.w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/json")
	// A known length: the flush below sends the whole answer in one
	// write, where a flushed answer of unknown length goes out chunked
	// and needs a second write for its last chunk.
	h.Set("Content-Length", strconv.Itoa(len(b)))
	q.w.WriteHeader(status)
	_, _ = q.w.Write(b)
	q.flush()
}

// flush sends what has been written: the answer goes on the wire before
// the notifications it caused are released.
func (q *request) flush() {
	if f, ok := q.w.(http.Flusher); ok {
		f.Flush()
	}
}

// authorized checks the bearer token of a Graph request; on failure it
// answers 401.
func (q *request) authorized(act identity.Action) bool {
	tok, ok := bearer(q.r)
	switch {
	case !ok:
		q.w.Header().Set("WWW-Authenticate", `Bearer realm="recsim"`)
		q.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty: send Authorization: Bearer {token}.", 0)
		return false
	case q.s.cfg.Auth == AuthStrict:
		return q.strict(tok, act)
	case q.s.cfg.Token != "" && !constantEqual(tok, q.s.cfg.Token):
		q.w.Header().Set("WWW-Authenticate", `Bearer realm="recsim", error="invalid_token"`)
		q.fail(http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure: the bearer token is not the one this server was started with.", 0)
		return false
	}
	return true
}

// bearer returns the request's bearer token, if it has a non-empty one.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// bodyError is a request body that cannot be read as sent: its status,
// Graph code and message.
type bodyError struct {
	status  int
	code    string
	message string
}

func (e *bodyError) Error() string { return e.message }

// readBody reads the request body, gunzipping it if Content-Encoding says
// gzip, up to limit bytes after decompression.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body, done, err := openBody(r, limit)
	if err != nil {
		return nil, err
	}
	defer done()
	b, err := io.ReadAll(body)
	if err != nil {
		var be *bodyError
		if errors.As(err, &be) {
			return nil, be
		}
		return nil, &bodyError{http.StatusBadRequest, "BadRequest", fmt.Sprintf("reading the request body: %v", err)}
	}
	return b, nil
}

// openBody returns a reader of the request body, gunzipped if
// Content-Encoding says gzip, that fails with a 413 *bodyError once more
// than limit bytes (after decompression) come out of it; done releases
// the decompressor.
func openBody(r *http.Request, limit int64) (body io.Reader, done func(), err error) {
	tooLarge := &bodyError{http.StatusRequestEntityTooLarge, "RequestEntityTooLarge",
		fmt.Sprintf("The request body is larger than %d bytes (the limit applies after gunzip).", limit)}
	if r.ContentLength > limit && !isGzip(r) {
		return nil, nil, tooLarge
	}
	body, done = r.Body, func() {}
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		// A gzip stream is at most a little larger than its content
		// (stored blocks: +5 bytes per 64 KiB, plus the header): 1/1024
		// and 1 MiB of slack bound the compressed input too.
		zr, err := gzip.NewReader(io.LimitReader(r.Body, limit+limit/1024+(1<<20)))
		if err != nil {
			return nil, nil, &bodyError{http.StatusBadRequest, "BadRequest", fmt.Sprintf("Content-Encoding = gzip: the body is not gzip data: %v", err)}
		}
		body, done = zr, func() { _ = zr.Close() }
	default:
		return nil, nil, &bodyError{http.StatusUnsupportedMediaType, "UnsupportedMediaType",
			fmt.Sprintf("Content-Encoding = %q: only gzip (or none) is supported.", enc)}
	}
	return &capped{r: body, left: limit, err: tooLarge}, done, nil
}

// capped reads r and fails with err once more than left bytes come.
type capped struct {
	r    io.Reader
	left int64
	err  error
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return 0, c.err
	}
	return n, err
}

func isGzip(r *http.Request) bool {
	e := strings.ToLower(r.Header.Get("Content-Encoding"))
	return strings.Contains(e, "gzip")
}

// mediaType returns the request's Content-Type without parameters, lower
// case ("" when absent).
func mediaType(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(ct))
	}
	return mt
}

// jsonBody reads a Graph POST body (docs/server.md): it must be application/json
// (parameters such as charset allowed), at most 1 MiB after gunzip. An
// empty body without Content-Type is accepted when emptyOK (the action
// takes no required parameter) and returned as nil. On failure it answers
// and returns false.
func (q *request) jsonBody(emptyOK bool) ([]byte, bool) {
	mt := mediaType(q.r)
	b, err := readBody(q.r, maxJSONBody)
	if err != nil {
		q.bodyFail(err)
		return nil, false
	}
	if mt == "" && len(bytes.TrimSpace(b)) == 0 {
		if emptyOK {
			return nil, true
		}
		q.fail(http.StatusUnsupportedMediaType, "UnsupportedMediaType", "Content-Type is missing: this action needs a JSON body (Content-Type: application/json).", 0)
		return nil, false
	}
	if mt != "application/json" {
		q.fail(http.StatusUnsupportedMediaType, "UnsupportedMediaType", fmt.Sprintf("Content-Type = %q: the body must be application/json.", q.r.Header.Get("Content-Type")), 0)
		return nil, false
	}
	return b, true
}

func (q *request) bodyFail(err error) {
	var be *bodyError
	if errors.As(err, &be) {
		q.fail(be.status, be.code, be.message, 0)
		return
	}
	q.badRequest("reading the request body: %v", err)
}

// decodeObject decodes a JSON object body into dst (fields by name,
// unknown ones ignored, as Graph's open types). An empty body leaves dst
// as it is. Errors name the field.
// decodeBody reads the request's JSON body (see jsonBody) into dst. It
// answers the error itself and returns false when the body is unusable.
func (q *request) decodeBody(emptyOK bool, dst any) bool {
	b, ok := q.jsonBody(emptyOK)
	if !ok {
		return false
	}
	if err := decodeObject(b, dst); err != nil {
		q.badRequest("%v", err)
		return false
	}
	return true
}

func decodeObject(b []byte, dst any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%s = %s: must be a JSON %s", te.Field, te.Value, jsonKind(te.Type.Kind().String()))
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("body: not valid JSON (syntax error at byte %d)", se.Offset)
		}
		return fmt.Errorf("body: must be a JSON object: %v", err)
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int32", "int64", "float64":
		return "number"
	case "ptr":
		return "value of the documented type"
	}
	return k
}
