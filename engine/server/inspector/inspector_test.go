package inspector_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/recsim/recsim/engine/server/inspector"
)

func serve(t *testing.T, method, target string, hdr http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	inspector.Handler().ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

func TestHandlerServesThePageAndItsAssets(t *testing.T) {
	cases := []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", "<svg id=\"timeline\" data-timeline"},
		{"/index.html", "text/html; charset=utf-8", "<title>recsim inspector</title>"},
		{"/assets/app.js", "text/javascript; charset=utf-8", "new EventSource("},
		{"/assets/style.css", "text/css; charset=utf-8", "prefers-color-scheme: dark"},
	}
	for _, c := range cases {
		t.Run("GET "+c.path+" answers 200 with its content type and no-cache", func(t *testing.T) {
			res := serve(t, http.MethodGet, c.path, nil)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, c.ctype, res.Header.Get("Content-Type"))
			assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
			assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
			assert.NotEmpty(t, res.Header.Get("ETag"))
			assert.Contains(t, body(t, res), c.contains)
		})
	}
}

func TestHandlerHEADSendsHeadersWithoutBody(t *testing.T) {
	get := serve(t, http.MethodGet, "/", nil)
	getBody := body(t, get)
	res := serve(t, http.MethodHead, "/", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
	assert.Equal(t, get.Header.Get("Content-Length"), res.Header.Get("Content-Length"))
	assert.NotEmpty(t, res.Header.Get("Content-Length"))
	assert.Empty(t, body(t, res))
	assert.NotEmpty(t, getBody)
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	first := serve(t, http.MethodGet, "/assets/app.js", nil)
	etag := first.Header.Get("ETag")
	require.NotEmpty(t, etag)
	again := serve(t, http.MethodGet, "/assets/app.js", http.Header{"If-None-Match": {etag}})
	assert.Equal(t, http.StatusNotModified, again.StatusCode)
	other := serve(t, http.MethodGet, "/assets/style.css", nil)
	assert.NotEqual(t, etag, other.Header.Get("ETag"), "each file has its own ETag")
}

func TestHandlerAnswers404ForAnythingElse(t *testing.T) {
	for _, p := range []string{"/nope", "/assets/", "/assets", "/assets/missing.js", "/index.htm",
		"/assets/../assets/app.js", "/recsim/v1/calls", "/assets/index.html", "/doc.go"} {
		t.Run(p+" is not found", func(t *testing.T) {
			res := serve(t, http.MethodGet, p, nil)
			assert.Equal(t, http.StatusNotFound, res.StatusCode)
		})
	}
}

func TestHandlerRefusesOtherMethods(t *testing.T) {
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		t.Run(m+" of the page is 405 with Allow", func(t *testing.T) {
			res := serve(t, m, "/", nil)
			assert.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
			assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"))
		})
	}
}

// The page must reference every file it ships (nothing dead is embedded)
// and only files it ships (no CDN, no missing asset).
func TestThePageReferencesExactlyTheEmbeddedAssets(t *testing.T) {
	shipped := map[string]bool{}
	require.NoError(t, fs.WalkDir(os.DirFS("assets"), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && p != "index.html" {
			shipped["assets/"+p] = true
		}
		return err
	}))
	require.NotEmpty(t, shipped)

	page := body(t, serve(t, http.MethodGet, "/", nil))
	refs := regexp.MustCompile(`(?:href|src)="([^"#]+)"`).FindAllStringSubmatch(page, -1)
	referenced := map[string]bool{}
	for _, m := range refs {
		ref := m[1]
		assert.False(t, strings.Contains(ref, "//"), "the page loads %s from elsewhere", ref)
		referenced[path.Clean(ref)] = true
		res := serve(t, http.MethodGet, "/"+path.Clean(ref), nil)
		assert.Equal(t, http.StatusOK, res.StatusCode, "the page refers to %s", ref)
	}
	// Scripts may import other modules of the page.
	for f := range shipped {
		if strings.HasSuffix(f, ".js") {
			src := body(t, serve(t, http.MethodGet, "/"+f, nil))
			for _, m := range regexp.MustCompile(`import[^'"]*['"]\./([^'"]+)['"]`).FindAllStringSubmatch(src, -1) {
				referenced["assets/"+m[1]] = true
			}
			// The SVG namespace is a name, not a place the page loads from.
			rest := strings.ReplaceAll(src, "http://www.w3.org/2000/svg", "")
			assert.False(t, regexp.MustCompile(`https?://`).MatchString(rest), "%s names no outside URL", f)
		}
	}
	for f := range shipped {
		assert.True(t, referenced[f], "%s is embedded but the page never loads it", f)
	}
}

func TestThePageCarriesTheStableHooks(t *testing.T) {
	page := body(t, serve(t, http.MethodGet, "/", nil))
	for _, id := range []string{"ring", "answer", "record", "upload", "hangup", "cancel", "media-file", "media-script", "record-body"} {
		assert.Contains(t, page, `id="`+id+`"`)
	}
	assert.Contains(t, page, `{"stopTones":["#"],"maxRecordDurationInSeconds":30}`)
	// Every input has a label.
	for _, m := range regexp.MustCompile(`<(?:input|textarea)[^>]*id="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		assert.Contains(t, page, `for="`+m[1]+`"`, "#%s has a label", m[1])
	}
}

func BenchmarkHandlerServesThePage(b *testing.B) {
	h := inspector.Handler()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
