#!/usr/bin/env bash
# Build the packaged app with PyInstaller: a one-folder app and an archive of it.
#   bash build_scripts/build_app.sh          # dist/DataMining6/DataMining6 (+ .tar.gz on Linux)
#   bash build_scripts/build_app.sh --lean   # without torch: dist/lean/DataMining6 (ONNX models only)
# Run after build_scripts/install.sh; installs the `build` extra (PyInstaller) if it is missing.
# Windows: see the README (the same spec, run by pyinstaller directly).
set -euo pipefail
cd "$(dirname "$0")/.."

lean=0
[ "${1:-}" = "--lean" ] && lean=1
python=.venv/bin/python
[ -x "$python" ] || { echo "no .venv here: run build_scripts/install.sh first" >&2; exit 1; }
"$python" -c "import PyInstaller" 2>/dev/null || "$python" -m pip install -q -e ".[build]"

version=$("$python" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
case "$(uname -s)" in
  Linux) platform="linux-$(uname -m)" ;;
  Darwin) platform="macos-$(uname -m)" ;;
  *) platform="$(uname -s)-$(uname -m)" ;;
esac
[ "$(uname -s)" = Darwin ] && "$python" build_scripts/make_icon.py  # the .icns only macOS needs

distpath=dist
suffix=""
if [ "$lean" = 1 ]; then distpath=dist/lean; suffix="-lean"; fi
start=$(date +%s)
DM6_LEAN=$lean "$python" -m PyInstaller --noconfirm --clean \
  --log-level WARN --distpath "$distpath" --workpath "build/pyinstaller$suffix" build_scripts/DataMining6.spec
echo "PyInstaller (with the ONNX export) took $(($(date +%s) - start)) s"

app="$distpath/DataMining6"
[ -d "$app" ] || app="$distpath/DataMining6.app"
if [ "$(uname -s)" = Linux ] && command -v strip >/dev/null; then
  "$python" build_scripts/strip_debug.py "$app"  # debug information in 88 libraries: about 47 MB
  # Symbol tables nothing reads at run time: about 100 MB. Only these two, which no tool patched.
  for lib in "$app"/_internal/torch/lib/libtorch_cpu.so "$app"/_internal/llvmlite/binding/libllvmlite.so; do
    [ -f "$lib" ] && strip --strip-unneeded "$lib"
  done
fi
lean_flag=""
[ "$lean" = 1 ] && lean_flag="--lean"
"$python" build_scripts/third_party.py "$app/THIRD_PARTY.md" $lean_flag  # the table of what this bundle ships
if [ "$(uname -s)" = Linux ]; then
  cp resources/icon.png "$app/datamining6.png"
  cat > "$app/DataMining6.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=DataMining6
Comment=Offline clustering and anomaly detection for tables, time series, documents, images and audio
Exec=DataMining6 %F
Icon=datamining6
Terminal=false
Categories=Science;DataVisualization;Education;
DESKTOP
  archive="dist/DataMining6-$version$suffix-$platform.tar.gz"
  tar -C "$distpath" -czf "$archive" DataMining6
  echo "archive: $archive ($(du -sh "$archive" | cut -f1))"
fi
echo "app: $app ($(du -sh "$app" | cut -f1))"
