#!/usr/bin/env bash
# Load test of POST /v1/check on loopback with the shipped form, in one run:
#
#   ceiling     bare gin: read the body, decode it into a map, fixed answer
#   miss        figcheck serve (defaults, no Redis), a new submission per request
#   memory hit  the same server, the same submission every time
#   miss+redis  replica A with Redis (default cache settings: results are
#               written to Redis, not read), new submissions
#   redis hit   replica B sharing A's Redis, with cache.redis_read on and an
#               in-process tier of one entry, sent 16 submissions round robin
#               that A has answered before: nearly every answer is read from
#               Redis (the counts are printed after the table)
#
# Usage: bench/wrk/run.sh   (env: DURATION=10s CONNS=32 THREADS=1)
# Needs wrk and redis-server (apt-get install -y wrk redis-server). Starts a
# private Redis on a free port; touches nothing else. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
THREADS=${THREADS:-1}
for tool in wrk redis-server redis-cli go; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is not installed" >&2; exit 1; }
done

. bench/wrk/lib.sh # work, pids, cleanup, wait_addr

echo "building ..." >&2
go build -o "$work/figcheck" ./cmd/figcheck
go build -o "$work/ceiling" ./bench/wrk/ceiling


# A private Redis on a free port.
redis_port=""
for _ in $(seq 1 20); do
  p=$((20000 + RANDOM % 20000))
  redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
  rpid=$!
  sleep 0.3
  if redis-cli -p "$p" ping 2>/dev/null | grep -q PONG; then
    redis_port=$p
    pids+=("$rpid")
    break
  fi
  kill "$rpid" 2>/dev/null || true
done
[ -n "$redis_port" ] || { echo "run.sh: could not start redis-server" >&2; exit 1; }
redis_url="redis://127.0.0.1:$redis_port/0"

# Every process keeps its state (decision log, dev key) in a directory of
# its own in the work dir.
unset FIGCHECK_ADDR FIGCHECK_RULES FIGCHECK_REDIS_URL FIGCHECK_TOKENS || true

"$work/ceiling" --addr 127.0.0.1:0 2>"$work/ceiling.log" &
pids+=($!)
XDG_STATE_HOME="$work/plain" "$work/figcheck" serve --addr 127.0.0.1:0 --rules configs/forms 2>"$work/plain.log" &
pids+=($!)
XDG_STATE_HOME="$work/a" "$work/figcheck" serve --addr 127.0.0.1:0 --rules configs/forms --redis "$redis_url" 2>"$work/a.log" &
pids+=($!)
cat >"$work/b.yaml" <<YAML
cache:
  redis_read: true     # read Redis on an in-process miss (off by default)
  size: 1              # and keep (almost) nothing in process
  redis_timeout: 250ms # the loaded 2-core machine answers slowly; measure hits, not the breaker
YAML
XDG_STATE_HOME="$work/b" "$work/figcheck" serve --config "$work/b.yaml" --addr 127.0.0.1:0 --rules configs/forms --redis "$redis_url" 2>"$work/b.log" &
pids+=($!)

ceiling=$(wait_addr "$work/ceiling.log" ceiling)
plain=$(wait_addr "$work/plain.log" figcheck)
a=$(wait_addr "$work/a.log" figcheck)
b=$(wait_addr "$work/b.log" figcheck)

# load NAME URL MODE: one wrk run; prints a table row.
load() {
  local out
  out=$(FIGCHECK_WRK_MODE=$3 FIGCHECK_WRK_RUN="$1-$RANDOM" \
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" -s bench/wrk/check.lua "http://$2/v1/check" 2>&1)
  local r
  r=$(echo "$out" | grep '^RESULT' || { echo "$out" >&2; exit 1; })
  # RESULT requests=N rps=N p50_ms=N p99_ms=N non2xx=N socket_errors=N
  eval "$(echo "${r#RESULT }" | tr ' ' '\n' | sed 's/^/local /')"
  printf '| %-11s | %7s | %7s | %7s | %s |\n' "$1" "$rps" "$p50_ms" "$p99_ms" "$((non2xx + socket_errors))"
  echo "$rps" >"$work/rps.$1"
}

# Warm up every server (JIT-free Go, but page faults, pools, the LRU).
for u in "$ceiling" "$plain" "$a" "$b"; do
  FIGCHECK_WRK_MODE=unique wrk -t1 -c4 -d2s -s bench/wrk/check.lua "http://$u/v1/check" >/dev/null 2>&1 || true
done
# Replica B reads the 16 "cycle" submissions from Redis: let A answer them
# (and write them) first, gently, after its breaker has closed.
sleep 1.5
FIGCHECK_WRK_MODE=cycle wrk -t1 -c1 -d1s -s bench/wrk/check.lua "http://$a/v1/check" >/dev/null
sleep 0.5
keys=$(redis-cli -p "$redis_port" --scan --pattern 'figcheck:result:*' | wc -l)
[ "$keys" -ge 16 ] || echo "run.sh: only $keys results in Redis before the redis-hit run" >&2

echo "wrk -t$THREADS -c$CONNS -d$DURATION, $(nproc) CPUs, $(go env GOVERSION)"
echo
echo "| run         |   req/s | p50 ms  | p99 ms  | errors |"
echo "|-------------|--------:|--------:|--------:|-------:|"
load ceiling "$ceiling" unique
load miss "$plain" unique
load miss+redis "$a" unique
load memory-hit "$plain" same
load redis-hit "$b" cycle
load ceiling2 "$ceiling" unique

ceil=$(( ( $(cat "$work/rps.ceiling") + $(cat "$work/rps.ceiling2") ) / 2 ))
echo
echo "cache miss / ceiling: $(( 100 * $(cat "$work/rps.miss") / ceil ))% (miss+redis: $(( 100 * $(cat "$work/rps.miss+redis") / ceil ))%; ceiling = mean of the two ceiling runs)"
echo
echo "replica B cache requests (should be redis hits, not memory hits):"
curl -fsS "http://$b/metrics" | grep '^figcheck_cache_requests_total' | sed 's/^/    /'
echo "replica A cache requests:"
curl -fsS "http://$a/metrics" | grep '^figcheck_cache_requests_total' | sed 's/^/    /'
