#!/usr/bin/env bash
# Every test: formatting, lints, unit and end-to-end tests. Tests that read the real data in
# ../shared/data skip with a message when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --no-fail-fast
# The patrol page and the duty console in Debian's chromium (installs chromium and playwright-core).
scripts/browser-test.sh
