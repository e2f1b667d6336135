#!/usr/bin/env bash
# Install DataMining6 into ./.venv on Debian/Ubuntu (or any machine with python3.11 and pip).
#   bash build_scripts/install.sh           # the app
#   bash build_scripts/install.sh --dev     # the app plus the test tools
# As root on Debian it also installs the system libraries Qt's window and sound playback need;
# elsewhere it skips that step and says which packages to ask for.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="."
[ "${1:-}" = "--dev" ] && extras=".[dev]"

DEBIAN_PACKAGES=(libportaudio2 libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-xinerama0 libxcb-image0 libxcb-render-util0
  libxcb-shape0 libxcb-randr0 libxcb-xkb1 espeak-ng xvfb)

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  echo "note: not root on Debian; make sure these system packages are installed: ${DEBIAN_PACKAGES[*]}"
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q -e "$extras"
# Compile catch22/MiniRocket and export the ONNX models now, into the app's cache folder, so that a
# user's first run does not wait for them; optional: the app does the same on first use.
echo "warming the model caches (about a minute)"
.venv/bin/python -m engine.embed.warm || echo "note: warming the caches did not finish; the first run will do it"
echo "installed into $(pwd)/.venv"
