package store

// OpenConns is Open with a pool of conns connections, for the benchmark
// that compares pool sizes (BenchmarkPool).
func OpenConns(path string, conns int) (*SQLite, error) { return openConns(path, conns) }
