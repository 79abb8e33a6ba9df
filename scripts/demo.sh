#!/usr/bin/env bash
# The main job on the embedded default: builds burnwatch, generates the demo prefecture and a
# day of fire-point products into samples/, starts the daemon (`burnwatch run`) on the SQLite
# store under var/, drops the products into its inbox, prints each township's patrol queue once
# they are in, and keeps the daemon running (http://127.0.0.1:8080/healthz and /metrics) until
# Ctrl-C. Safe to run again: ingestion is idempotent, so repeated products add nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --quiet
bw=target/release/burnwatch
config=samples/burnwatch.toml
$bw simulate samples --out samples

BURNWATCH_LOG=${BURNWATCH_LOG:-info} $bw --config "$config" run &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon' INT TERM

mkdir -p var/inbox
for f in samples/products/* samples/granules/*; do
  cp "$f" "var/inbox/.$(basename "$f").part"
  mv "var/inbox/.$(basename "$f").part" "var/inbox/$(basename "$f")"
done
# Wait until the daemon has taken every file (the inbox and processing/ are empty).
for _ in $(seq 1 120); do
  left=$(find var/inbox -maxdepth 1 -type f | wc -l)
  busy=$(find var/inbox/processing -type f 2>/dev/null | wc -l)
  [ "$left" -eq 0 ] && [ "$busy" -eq 0 ] && break
  sleep 0.5
done
$bw --config "$config" alerts
echo
echo "burnwatch is running: http://127.0.0.1:8080/healthz  http://127.0.0.1:8080/metrics"
echo "drop product files into var/inbox/; Ctrl-C stops it cleanly."
wait $daemon
