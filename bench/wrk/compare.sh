#!/usr/bin/env bash
# Cache-miss throughput of two versions of figcheck against the bare gin
# ceiling, alternating in one run:
#
#   ceiling, A, B, ceiling, B, A, ... (ROUNDS rounds)
#
# Usage: bench/wrk/compare.sh REV_A [REV_B]   (REV_B defaults to the work tree)
#        env: DURATION=8s CONNS=32 THREADS=1 ROUNDS=3
# Needs wrk. Builds each revision from `git archive` in a temporary
# directory; touches nothing else. Prints one line per wrk run and the
# ratios miss / ceiling (ceiling = mean of the ceiling runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: bench/wrk/compare.sh REV_A [REV_B]" >&2; exit 2; }
DURATION=${DURATION:-8s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "compare.sh: wrk is not installed" >&2; exit 1; }

. bench/wrk/lib.sh # work, pids, cleanup, wait_addr

build() { # build NAME REV
  mkdir -p "$work/src-$1"
  if [ "$2" = "worktree" ]; then
    cp -r . "$work/src-$1/" 2>/dev/null || true
  else
    git archive "$2" | tar -x -C "$work/src-$1"
  fi
  (cd "$work/src-$1" && go build -o "$work/$1" ./cmd/figcheck)
}
echo "building ..." >&2
build a "$1"
build b "${2:-worktree}"
go build -o "$work/ceiling" ./bench/wrk/ceiling

unset FIGCHECK_ADDR FIGCHECK_RULES FIGCHECK_REDIS_URL FIGCHECK_TOKENS || true
"$work/ceiling" --addr 127.0.0.1:0 2>"$work/ceiling.log" &
pids+=($!)
for v in a b; do
  # Each version with its own forms: a form file of one revision may not
  # load in another (and a server without a ruleset answers 503, fast).
  XDG_STATE_HOME="$work/state-$v" "$work/$v" serve --addr 127.0.0.1:0 --rules "$work/src-$v/configs/forms" 2>"$work/$v.log" &
  pids+=($!)
done
ceiling=$(wait_addr "$work/ceiling.log" ceiling)
a=$(wait_addr "$work/a.log" figcheck)
b=$(wait_addr "$work/b.log" figcheck)
for u in "$ceiling" "$a" "$b"; do
  FIGCHECK_WRK_MODE=unique wrk -t1 -c4 -d2s -s bench/wrk/check.lua "http://$u/v1/check" >/dev/null 2>&1 || true
done

# cputicks PID: the process's user + system time, in clock ticks.
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))

load() { # load NAME URL PID: prints "rps cpu_us_per_request"
  t0=$(cputicks "$3")
  FIGCHECK_WRK_MODE=unique FIGCHECK_WRK_RUN="$1-$RANDOM" \
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/wrk/check.lua "http://$2/v1/check" 2>&1 |
    grep '^RESULT' >"$work/result"
  t1=$(cputicks "$3")
  # Answers that are not 200 (a server without its forms answers 503,
  # faster than any check) would make a version look fast.
  grep -q ' non2xx=0 ' "$work/result" || echo "compare.sh: $1 gave non-2xx answers: $(cat "$work/result")" >&2
  reqs=$(sed 's/.* requests=\([0-9]*\).*/\1/' "$work/result")
  echo "$(sed 's/.* rps=\([0-9]*\).*/\1/' "$work/result") $(((t1 - t0) * tick_us / (reqs > 0 ? reqs : 1)))"
}
echo "wrk -t$THREADS -c$CONNS -d$DURATION, $(nproc) CPUs, $(go env GOVERSION); A=$1 B=${2:-work tree}"
# The servers' own CPU per request is steadier than req/s on a shared
# machine, where wrk and the server compete for the same cores.
c=0; sa=0; sb=0; n=0; cc=0; ca=0; cb=0
for r in $(seq 1 "$ROUNDS"); do
  read -r x xc <<<"$(load ceiling "$ceiling" "${pids[0]}")"
  c=$((c + x)); cc=$((cc + xc)); n=$((n + 1)); echo "round $r ceiling $x req/s, $xc µs CPU/req"
  if [ $((r % 2)) -eq 1 ]; then order="a b"; else order="b a"; fi
  for v in $order; do
    url=$a pid=${pids[1]}; [ "$v" = b ] && url=$b pid=${pids[2]}
    read -r y yc <<<"$(load "$v" "$url" "$pid")"; echo "round $r $v $y req/s, $yc µs CPU/req"
    if [ "$v" = a ]; then sa=$((sa + y)); ca=$((ca + yc)); else sb=$((sb + y)); cb=$((cb + yc)); fi
  done
done
ceil=$((c / n))
echo "mean req/s: ceiling $ceil, A $((sa / ROUNDS)), B $((sb / ROUNDS))"
echo "miss / ceiling: A $((100 * sa / ROUNDS / ceil))%, B $((100 * sb / ROUNDS / ceil))%"
echo "mean CPU µs/req: ceiling $((cc / n)), A $((ca / ROUNDS)), B $((cb / ROUNDS)); ceiling / miss: A $((100 * cc / n * ROUNDS / ca))%, B $((100 * cc / n * ROUNDS / cb))%"
