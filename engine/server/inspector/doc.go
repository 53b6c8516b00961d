// Package inspector serves recsim's inspector: a web page that watches the
// mock server's calls live (the calls list, each call's timeline drawn
// over its caller waveform, its operations, notifications and audio) and
// drives them (ring, answer, record, upload caller media, hang up,
// cancel). The page is plain HTML, CSS and JavaScript modules embedded in
// the binary with go:embed: no build step, nothing fetched from elsewhere.
//
// Handler serves only the page's own files: GET or HEAD of / and
// /index.html give the page, /assets/{name} its scripts and styles; every
// other path is 404 and every other method 405. The page refers to its
// assets by relative URLs, so the handler can be mounted under a prefix
// with http.StripPrefix; it talks to the API by absolute URLs on its own
// origin (/recsim/v1/... for the simulation surface, /v1.0/... for the
// Graph surface), described in docs/server.md, so it must be served from
// the same origin as the mock server.
//
// # Units
//
// The page shows times in seconds on each call's caller stream, as the
// server's timeline entries give them (ms from the start of the call's
// media; docs/timeline.md); it draws them at a fixed number of
// milliseconds per pixel that it publishes on the SVG (data-ms-per-px,
// data-origin-x) for tests.
//
// # Buffers
//
// The assets are read-only embedded bytes; Handler copies nothing per
// request and never retains a request.
//
// # Concurrency
//
// The handler Handler returns holds only immutable data (the embedded
// files, their content types and ETags computed once by Handler) and is
// safe for concurrent use.
package inspector
