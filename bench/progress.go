package bench

// Progress is told what the harness is doing, so that a command can draw a
// progress bar. Calls come from the goroutine that runs the harness.
type Progress interface {
	// Stage starts a stage called name of total units (the unit is the
	// stage's own: passes, milliseconds, ticks).
	Stage(name string, total int64) Stage
}

// Stage is one running stage of a Progress.
type Stage interface {
	Set(done int64) // units done so far
	Done()          // the stage ended (whatever Set said)
}

// NoProgress reports nothing.
type NoProgress struct{}

// Stage returns a stage that ignores everything.
func (NoProgress) Stage(string, int64) Stage { return noStage{} }

type noStage struct{}

func (noStage) Set(int64) {}
func (noStage) Done()     {}
