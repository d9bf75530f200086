#!/bin/sh
# Peak RSS of `figcheck serve` (default limits) answering each hostile
# upload of issue 12, one fresh server per upload:
#
#   go build -o /tmp/figcheck ./cmd/figcheck
#   python3 bench/attacks/payloads.py /tmp/attacks
#   sh bench/attacks/run.sh /tmp/figcheck /tmp/attacks
#
# Prints: upload, HTTP status, peak RSS (kB), the answer's first bytes.
# FILES="rows1m.csv" runs some of them; READ_TIMEOUT=10m lengthens the
# server's read timeout (30s).
set -eu
bin=$1 dir=$2 port=${PORT:-18471}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'decision_log:\n  path: %s/decisions.jsonl\nreceipts:\n  dev_key_file: %s/receipt.key\ntimeouts:\n  read: %s\n' "$work" "$work" "${READ_TIMEOUT:-30s}" > "$work/config.yaml"
for f in ${FILES:-empty30k.csv rows1m.csv header64m.csv sheet095g.xlsx junk1000m.xlsx}; do
  case $f in *.xlsx) ct=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet ;; *) ct=text/csv ;; esac
  /usr/bin/time -f %M -o "$work/rss" "$bin" serve --addr 127.0.0.1:$port --config "$work/config.yaml" 2>"$work/log" &
  pid=$!
  i=0
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do i=$((i+1)); [ $i -lt 300 ] || exit 1; sleep 0.1; done
  code=$(curl -s -o "$work/out" -w '%{http_code}' -H "Content-Type: $ct" --data-binary "@$dir/$f" "http://127.0.0.1:$port/v1/audit?form=edu_sports_halfyear")
  kill -TERM $(pgrep -P $pid) 2>/dev/null || kill -TERM $pid
  wait $pid || true
  printf '%s\t%s\t%s kB\t%s\n' "$f" "$code" "$(cat "$work/rss")" "$(head -c 160 "$work/out" | tr '\n' ' ')"
done
