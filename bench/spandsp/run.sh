#!/bin/sh
# run.sh: recsim's DTMF detector side by side with spandsp's dtmf_rx (issue 19).
#
#   bench/spandsp/run.sh [FILE]
#
# Builds the C driver (c/dtmf_rx_bench.c, against the system's spandsp) and
# the Go driver (gorx), writes the two inputs unless FILE is given (gorx
# -write: "mix", the speech clips at 8 kHz with a key press after each, and
# "tones", key presses back to back), then for each input runs the two
# drivers back to back on one pinned core, alternating, and prints the
# median and range of each one's samples/s, their ratio, and the digits each
# heard. README.md beside this script explains the figures.
#
# Environment: ROUNDS (5) runs of each driver per input, CORE (1) the CPU
# both are pinned to, MIN_CPU (1s) the CPU time each run measures at least,
# KEEP=1 keeps the directory of builds, inputs and outputs.
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
	die "pkg-config not found: install it and spandsp (Debian/Ubuntu: apt-get install pkg-config libspandsp-dev)"
pkg-config --exists spandsp ||
	die "spandsp not found by pkg-config: install the package libspandsp-dev (Debian/Ubuntu: apt-get install libspandsp-dev)"
command -v cc >/dev/null 2>&1 || die "no C compiler (cc): install gcc or clang"
command -v taskset >/dev/null 2>&1 || die "taskset not found: install util-linux"
command -v go >/dev/null 2>&1 || die "go not found"
taskset -c "$CORE" true 2>/dev/null ||
	die "cannot pin to CPU $CORE (set CORE to one of: $(taskset -cp $$ | sed 's/.*: //'))"

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
	[ -r "$1" ] || die "$1: cannot read"
	cp "$1" "$work/file.in"
	inputs=file
else
	for what in mix tones; do
		"$work/gorx" -write "$work/$what.in" -input "$what" >"$work/$what.txt"
	done
	inputs="mix tones"
fi

field() { # field FILE KEY N: the Nth word after KEY on its line
	awk -v k="$2" -v n="$3" '$1 == k { print $(n + 1); exit }' "$1"
}
digits() { # the digits a driver's output lists
	awk '$1 == "digits" { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$1"
}
stats() { # stats PREFIX COLUMN: "median min max" of samples/s (COLUMN 1: CPU, 3: wall)
	for f in "$work/$1".*; do field "$f" samples/s "$2"; done | sort -g |
		awk '{ v[NR] = $1 } END {
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3g %.3g %.3g\n", m, v[1], v[NR] }'
}

for inp in $inputs; do
	i=1
	while [ "$i" -le "$ROUNDS" ]; do
		echo "$inp, round $i/$ROUNDS: spandsp, then recsim, on CPU $CORE" >&2
		taskset -c "$CORE" "$work/dtmf_rx_bench" -min-cpu "$MIN_CPU" "$work/$inp.in" >"$work/$inp-c.$i" ||
			die "dtmf_rx_bench failed on $inp"
		taskset -c "$CORE" "$work/gorx" -min-cpu "$MIN_CPU" "$work/$inp.in" >"$work/$inp-go.$i" ||
			die "gorx failed on $inp"
		i=$((i + 1))
	done
done

echo "machine  $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
echo "tools    $(go version | cut -d' ' -f3), $(cc --version | head -1), spandsp $(pkg-config --modversion spandsp)"
echo "runs     $ROUNDS of each driver per input, alternating, pinned to CPU $CORE, >= $MIN_CPU of CPU each, blocks of 160 samples"
sed -n 's/^settings */spandsp  /p' "$work/$(echo "$inputs" | cut -d' ' -f1)-c.1"
for inp in $inputs; do
	echo "input    $inp: $(sed -n 's/^file *[^:]*: //p' "$work/$inp-go.1")"
done
echo
echo '| input | detector | samples/s (CPU), median | range | samples/s (wall), median | × real time (CPU) |'
echo '|---|---|---|---|---|---|'
for inp in $inputs; do
	for d in c go; do
		set -- $(stats "$inp-$d" 1)
		med=$1 lo=$2 hi=$3
		set -- $(stats "$inp-$d" 3)
		name="spandsp dtmf_rx"
		[ "$d" = go ] && name="recsim dtmf.Detector"
		printf '| %s | %s | %s | %s – %s | %s | %.0f |\n' "$inp" "$name" "$med" "$lo" "$hi" "$1" \
			"$(awk -v x="$med" 'BEGIN { print x / 8000 }')"
	done
done
echo
for inp in $inputs; do
	set -- $(stats "$inp-go" 1) $(stats "$inp-c" 1)
	awk -v name="$inp" -v g="$1" -v c="$4" 'BEGIN {
		printf "ratio    %s: recsim / spandsp = %.2f× (CPU medians); target >= 2×: %s\n",
			name, g / c, (g / c >= 2 ? "met" : "NOT met") }'
done
for inp in $inputs; do
	c_dig=$(digits "$work/$inp-c.1")
	g_dig=$(digits "$work/$inp-go.1")
	same="DIFFER"
	[ "$c_dig" = "$g_dig" ] && same="the same"
	pressed=""
	[ -f "$work/$inp.txt" ] && pressed=", $(field "$work/$inp.txt" pressed 1) pressed"
	echo "digits   $inp: spandsp heard $(field "$work/$inp-c.1" digits 1), recsim $(field "$work/$inp-go.1" digits 1)$pressed: $same"
	if [ "$same" = "the same" ]; then
		echo "         $c_dig" | cut -c1-100
	else
		echo "         spandsp: $c_dig"
		echo "         recsim:  $g_dig"
	fi
done
