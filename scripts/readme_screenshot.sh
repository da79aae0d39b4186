#!/usr/bin/env bash
# Regenerates docs/report-banking77.png, the README's picture of the HTML report: a real run
# of the README's main command (`verdict run evals/banking77.yaml`: the two offline Banking77
# variants, no API key) into a temporary folder, then its report.html in headless Chromium at
# a laptop's width, the top of the page (summary, variants, per-category chart).
#
#   scripts/readme_screenshot.sh                  # 1280 x 2000
#   HEIGHT=1400 scripts/readme_screenshot.sh
#
#   RUN=reports/<run-id> scripts/readme_screenshot.sh   # a Banking77 run folder you have
#
# Needs chromium (Debian: apt-get install chromium; or set CHROMIUM). With ImageMagick's
# `convert` the PNG is made smaller (8-bit palette); without it the PNG is kept as is.
set -euo pipefail
cd "$(dirname "$0")/.."
WIDTH=${WIDTH:-1280} HEIGHT=${HEIGHT:-2000}
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)}
[ -n "$chromium" ] || { echo "needs chromium (apt-get install chromium) or CHROMIUM=/path" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run=${RUN:-}
if [ -z "$run" ]; then
  run="$work/run"
  cargo run --release --quiet -- run evals/banking77.yaml --quiet --out "$run" > /dev/null
fi
out=docs/report-banking77.png
"$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
  --screenshot="$work/shot.png" --window-size="$WIDTH,$HEIGHT" "file://$(cd "$run" && pwd)/report.html" 2> /dev/null
if convert -version > /dev/null 2>&1; then
  convert "$work/shot.png" -strip -colors 128 "PNG8:$out"
else
  cp "$work/shot.png" "$out"
fi
echo "wrote $out ($(stat -c %s "$out") bytes)"
