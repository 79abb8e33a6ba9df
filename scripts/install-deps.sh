#!/usr/bin/env bash
# Installs what burnwatch needs from Debian: GDAL (headers and tools), pkg-config, and chromium
# with CJK fonts (the daily bulletin's PDF and screenshots).
# Idempotent: does nothing when everything is already installed.
set -euo pipefail

packages=(libgdal-dev gdal-bin pkg-config chromium fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)" >&2; exit 1; }
