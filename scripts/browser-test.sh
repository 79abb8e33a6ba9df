#!/usr/bin/env bash
# The patrol page and the duty console in a real browser: Debian's chromium driven by
# playwright-core (from npm, into target/; no browser download). Generates the demo prefecture,
# starts the daemon with a patrol user and a duty officer, runs tests/browser/patrol.mjs, then
# stops the daemon while the console's event stream is still open (it must stop cleanly).
# Screenshots land in target/browser-artifacts/. Prints "N passed, M failed" last; exits non-zero
# on any failure. Safe to run again: it installs only what is missing and starts from scratch.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/browser-test
artifacts=$root/target/browser-artifacts

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
missing=()
dpkg -s chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The driver only: the browser is Debian's, at /usr/bin/chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -f "$work/node_modules/playwright-core/package.json" ]; then
  mkdir -p "$work"
  npm install --prefix "$work" --no-audit --no-fund --silent playwright-core@1.65 >/dev/null
fi

cargo build --quiet --bin burnwatch
bw=$root/target/debug/burnwatch

run=$work/run
rm -rf "$run"
mkdir -p "$run" "$artifacts"
rm -f "$artifacts"/*.png "$artifacts"/*.log
"$bw" simulate samples --out "$run/samples" >/dev/null
config=$run/samples/burnwatch.toml
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
sed -i "s|^listen = .*|listen = \"127.0.0.1:$port\"|" "$config"
grep -q "^listen = \"127.0.0.1:$port\"" "$config" || { echo "no [server] listen line in $config" >&2; exit 1; }
"$bw" --config "$config" ingest "$run"/samples/products/* >/dev/null
# The patrol's township: the one with the most alerts of its own.
town=$("$bw" --config "$config" alerts --format json | node -e '
  let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
    const n = {}; for (const a of JSON.parse(s)) if (a.region_id) n[a.region_id] = (n[a.region_id] || 0) + 1;
    console.log(Object.entries(n).sort((x, y) => y[1] - x[1])[0][0]);
  });')
BURNWATCH_PASSWORD=patrol-pass-2025 "$bw" --config "$config" users add --username patrol-li --role patrol --region "$town" --name "柳林巡查队" >/dev/null
BURNWATCH_PASSWORD=duty-pass-2025 "$bw" --config "$config" users add --username duty-wang --role duty_officer --name "王值班" >/dev/null

BURNWATCH_LOG=info "$bw" --config "$config" run 2>"$artifacts/daemon.log" &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null || true' EXIT

results=$run/results.json
BW_URL="http://127.0.0.1:$port" BW_TOWN="$town" BW_ARTIFACTS="$artifacts" BW_RESULTS="$results" \
  BW_PATROL_USER=patrol-li BW_PATROL_PASSWORD=patrol-pass-2025 \
  BW_DUTY_USER=duty-wang BW_DUTY_PASSWORD=duty-pass-2025 \
  BW_DAEMON_PID=$daemon \
  PLAYWRIGHT_CORE="$work/node_modules/playwright-core" \
  node tests/browser/patrol.mjs || true

passed=0
failed=1
if [ -f "$results" ]; then
  passed=$(node -e 'console.log(require(process.argv[1]).passed)' "$results")
  failed=$(node -e 'console.log(require(process.argv[1]).failed)' "$results")
else
  echo "not ok - the browser test produced no results" >&2
fi

# The console's stream is still open: the daemon must still stop promptly and cleanly.
kill -TERM "$daemon" 2>/dev/null || true
status=0
for _ in $(seq 1 150); do
  kill -0 "$daemon" 2>/dev/null || break
  sleep 0.1
done
if kill -0 "$daemon" 2>/dev/null; then
  kill -KILL "$daemon"
  status=1
  echo "not ok - the daemon did not stop within 15 s of SIGTERM" >&2
else
  wait "$daemon" || status=$?
  [ "$status" -eq 0 ] && echo "ok - the daemon stopped cleanly with the console still connected" \
    || echo "not ok - the daemon exited with status $status" >&2
fi
trap - EXIT
if [ "$status" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo "screenshots: $artifacts"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
