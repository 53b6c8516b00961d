package bench

import (
	"bufio"
	"math"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine is what every figure is measured on.
type Machine struct {
	CPU        string `json:"cpu"`        // model name from /proc/cpuinfo ("unknown" elsewhere)
	Cores      int    `json:"cores"`      // logical CPUs (runtime.NumCPU)
	GOMAXPROCS int    `json:"gomaxprocs"` // threads running Go code at once
	Go         string `json:"go"`         // runtime.Version
	OS         string `json:"os"`
	Arch       string `json:"arch"`
}

// DetectMachine describes the machine the process runs on.
func DetectMachine() Machine {
	return Machine{CPU: cpuModel(), Cores: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}

// String is the machine on one line.
func (m Machine) String() string {
	return strings.Join([]string{m.CPU, plural(m.Cores, "core") + " (GOMAXPROCS " + itoa(m.GOMAXPROCS) + ")", m.Go + " " + m.OS + "/" + m.Arch}, " · ")
}

// cpuModel reads the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// cpuClock measures the process's CPU time (user + system, all threads)
// between two readings; ok is false where the platform cannot tell.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { t, _ := ProcessCPU(); return cpuClock{t} }

func (c cpuClock) elapsed() (time.Duration, bool) {
	t, ok := ProcessCPU()
	return t - c.start, ok
}

// loadMeter measures how much CPU the rest of the machine used while the
// harness measured: all CPUs' busy time (/proc/stat) minus the process's
// own. Figures taken while other processes ran are disturbed; the report
// says so.
type loadMeter struct {
	busy time.Duration
	own  cpuClock
	ok   bool
}

func startLoad() loadMeter {
	b, ok := machineBusy()
	return loadMeter{busy: b, own: startCPU(), ok: ok}
}

// others returns the CPU time other processes used since startLoad, in
// cores (CPU seconds per wall second over wall), or NaN where unknown.
func (l loadMeter) others(wall time.Duration) float64 {
	b, ok := machineBusy()
	own, ownOK := l.own.elapsed()
	if !l.ok || !ok || !ownOK || wall <= 0 {
		return math.NaN()
	}
	return max((b-l.busy-own).Seconds()/wall.Seconds(), 0)
}

// machineBusy returns the non-idle time of all CPUs since boot from the
// first line of /proc/stat (user nice system idle iowait irq softirq
// steal ..., in USER_HZ = 100 ticks per second on Linux).
func machineBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for i, s := range f[1:8] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return time.Duration(busy) * 10 * time.Millisecond, true
}
