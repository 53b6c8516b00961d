#!/bin/sh
# run.sh: recsim's DTMF detector side by side with spandsp's dtmf_rx (issue 19).
#
#   bench/spandsp/run.sh [FILE]
#
# Builds the C driver (c/dtmf_rx_bench.c, against the system's spandsp) and
# the Go driver (gorx), writes the input audio (gorx -write: the speech
# clips at 8 kHz with a key press after each) unless FILE is given, then
# runs the two drivers back to back on one pinned core, alternating, and
# prints the median and range of each one's samples/s, their ratio, and the
# digits each heard. README.md beside this script explains the figures.
#
# Environment: ROUNDS (5) runs of each driver, CORE (1) the CPU both are
# pinned to, MIN_CPU (1s) the CPU time each run measures at least, KEEP=1
# keeps the build and outputs directory.
#
# Not run by tests or CI: it needs spandsp (Debian/Ubuntu: libspandsp-dev),
# pkg-config, a C compiler, taskset and Go.
set -eu

ROUNDS=${ROUNDS:-5}
CORE=${CORE:-1}
MIN_CPU=${MIN_CPU:-1s}

die() { echo "run.sh: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

command -v pkg-config >/dev/null 2>&1 ||
	die "pkg-config not found: install it (Debian/Ubuntu: apt-get install pkg-config libspandsp-dev)"
pkg-config --exists spandsp ||
	die "spandsp not found by pkg-config: install the package libspandsp-dev (Debian/Ubuntu: apt-get install libspandsp-dev)"
command -v cc >/dev/null 2>&1 || die "no C compiler (cc): install gcc or clang"
command -v taskset >/dev/null 2>&1 || die "taskset not found: install util-linux"
command -v go >/dev/null 2>&1 || die "go not found"
taskset -c "$CORE" true 2>/dev/null || die "cannot pin to CPU $CORE (set CORE to one of: $(taskset -cp $$ | sed 's/.*: //'))"

work=$(mktemp -d "${TMPDIR:-/tmp}/recsim-spandsp.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	echo "keeping $work" >&2
else
	trap 'rm -rf "$work"' EXIT
fi

# shellcheck disable=SC2046 # pkg-config's flags are meant to split
cc -O2 -Wall -o "$work/dtmf_rx_bench" "$here/c/dtmf_rx_bench.c" $(pkg-config --cflags --libs spandsp) -lm ||
	die "building c/dtmf_rx_bench.c against spandsp failed (is libspandsp-dev complete? its spandsp.h needs libtiff's headers)"
(cd "$root" && go build -o "$work/gorx" ./bench/spandsp/gorx) || die "building bench/spandsp/gorx failed"

if [ $# -ge 1 ]; then
	input=$1
	[ -r "$input" ] || die "$input: cannot read"
else
	input=$work/mix.wav
	"$work/gorx" -write "$input" >"$work/mix.txt"
	sed 's/^/  /' "$work/mix.txt"
fi

field() { # field FILE KEY N: the Nth word after KEY on its line
	awk -v k="$2" -v n="$3" '$1 == k { print $(n + 1); exit }' "$1"
}

i=1
while [ "$i" -le "$ROUNDS" ]; do
	echo "round $i/$ROUNDS: spandsp, then recsim, on CPU $CORE" >&2
	taskset -c "$CORE" "$work/dtmf_rx_bench" -min-cpu "$MIN_CPU" "$input" >"$work/c.$i" ||
		die "dtmf_rx_bench failed"
	taskset -c "$CORE" "$work/gorx" -min-cpu "$MIN_CPU" "$input" >"$work/go.$i" ||
		die "gorx failed"
	i=$((i + 1))
done

# stats NAME COLUMN: "median min max" of the samples/s field (COLUMN 1: CPU, 3: wall)
stats() {
	for f in "$work/$1".*; do field "$f" samples/s "$2"; done | sort -g |
		awk '{ v[NR] = $1 } END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.4g %.4g %.4g\n", m, v[1], v[NR] }'
}

set -- $(stats c 1); c_med=$1 c_min=$2 c_max=$3
set -- $(stats go 1); g_med=$1 g_min=$2 g_max=$3
set -- $(stats c 3); cw_med=$1
set -- $(stats go 3); gw_med=$1

digits() { awk '$1 == "digits" { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$1"; }
count() { field "$1" digits 1; }
c_dig=$(digits "$work/c.1")
g_dig=$(digits "$work/go.1")

echo
echo "machine  $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "tools    $(go version | cut -d' ' -f3), $(cc --version | head -1), spandsp $(pkg-config --modversion spandsp)"
echo "input    $(sed -n 's/^file *//p' "$work/go.1")"
echo "runs     $ROUNDS of each, alternating, pinned to CPU $CORE, >= $MIN_CPU of CPU each, blocks of 160 samples"
sed -n 's/^settings */spandsp  /p' "$work/c.1"
echo
printf '| detector | samples/s (CPU), median | range | samples/s (wall), median | × real time (CPU) |\n'
printf '|---|---|---|---|---|\n'
printf '| spandsp dtmf_rx | %s | %s – %s | %s | %.0f |\n' "$c_med" "$c_min" "$c_max" "$cw_med" "$(awk -v x="$c_med" 'BEGIN { print x / 8000 }')"
printf '| recsim dtmf.Detector | %s | %s – %s | %s | %.0f |\n' "$g_med" "$g_min" "$g_max" "$gw_med" "$(awk -v x="$g_med" 'BEGIN { print x / 8000 }')"
echo
awk -v g="$g_med" -v c="$c_med" -v gw="$gw_med" -v cw="$cw_med" 'BEGIN {
	r = g / c
	printf "ratio    recsim / spandsp = %.2f× (CPU medians), %.2f× (wall medians); target >= 2×: %s\n",
		r, gw / cw, (r >= 2 ? "met" : "NOT met") }'
echo "heard    spandsp $(count "$work/c.1"): $c_dig"
echo "heard    recsim  $(count "$work/go.1"): $g_dig"
if [ -f "$work/mix.txt" ]; then
	echo "pressed  $(sed -n 's/^pressed *//p' "$work/mix.txt")"
fi
if [ "$c_dig" = "$g_dig" ]; then
	echo "digits   the same"
else
	echo "digits   DIFFER"
fi
