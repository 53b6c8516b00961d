package inspector

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// files holds the page and its assets; it is read-only (embed).
//
//go:embed assets
var files embed.FS

// asset is one embedded file ready to serve.
type asset struct {
	body  []byte
	ctype string
	etag  string
}

type handler struct {
	assets map[string]asset // by URL path: "/" and "/assets/app.js"
}

// contentType returns the Content-Type the page's files are served with,
// by extension; "" for an extension the page does not use.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	}
	return ""
}

// Handler returns the http.Handler serving the embedded inspector page:
// GET and HEAD of "/" and "/index.html" give the page (text/html),
// "/assets/{name}" its files, each with its Content-Type,
// Cache-Control: no-cache and a strong ETag (If-None-Match gives 304).
// Any other path is 404; any other method 405. Each call builds a new
// value that owns its index of the files.
func Handler() http.Handler {
	h := handler{assets: make(map[string]asset)}
	err := fs.WalkDir(files, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct := contentType(name)
		if ct == "" {
			return nil
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		a := asset{body: body, ctype: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		if name == "assets/index.html" {
			h.assets["/"] = a
			h.assets["/index.html"] = a
			return nil
		}
		h.assets["/"+name] = a
		return nil
	})
	if err != nil {
		// The files are compiled in; reading them cannot fail.
		panic("inspector: embedded assets: " + err.Error())
	}
	return h
}

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a, ok := h.assets[r.URL.Path]
	if !ok || strings.Contains(r.URL.Path, "..") {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Cache-Control", "no-cache")
	hd.Set("ETag", a.etag)
	hd.Set("X-Content-Type-Options", "nosniff")
	// The page is self-contained: no script, style, media or connection
	// leaves its origin (blob: carries the audio fetched with a header).
	hd.Set("Content-Security-Policy", "default-src 'self'; media-src 'self' blob:; img-src 'self' data: blob:; frame-ancestors 'none'")
	hd.Set("Referrer-Policy", "no-referrer")
	// ServeContent handles HEAD, Range and If-None-Match; the zero time
	// sends no Last-Modified.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}
