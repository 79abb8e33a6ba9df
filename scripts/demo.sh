#!/usr/bin/env bash
# The main job on the embedded default: builds burnwatch, generates the demo prefecture and a
# day of fire-point products into samples/, ingests them into the SQLite store under var/, and
# prints each township's patrol queue. Safe to run again: ingestion is idempotent, so a second
# run adds nothing and prints the same queues.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --quiet
bw=target/release/burnwatch
$bw simulate samples --out samples
$bw --config samples/burnwatch.toml ingest samples/products/*
$bw --config samples/burnwatch.toml alerts
