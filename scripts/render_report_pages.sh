#!/usr/bin/env bash
# Render the demo (AL-POMDEX-P2) and MM-003 trial reports to PDF and then to one PNG per page, to
# look at every page before a report change is merged (issue 12; decision 0801).
#
# Usage: scripts/render_report_pages.sh [OUT] [a4|letter]      (default: report-pages, a4)
# Needs Debian chromium (PDF) and poppler-utils (pdftoppm); `make sysdeps` installs both.
# Writes OUT/<trial>/report.pdf and OUT/<trial>/page-NN.png (100 dpi), and prints the page count.
# Set PLASMATRIAL to the command to use (default: .venv/bin/plasmatrial, else plasmatrial on PATH).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${1:-report-pages}"
PAPER="${2:-a4}"
SEED="${SEED:-20240601}"
DPI="${DPI:-100}"
if [ -z "${PLASMATRIAL:-}" ]; then
  if [ -x "$ROOT/.venv/bin/plasmatrial" ]; then PLASMATRIAL="$ROOT/.venv/bin/plasmatrial"
  else PLASMATRIAL="plasmatrial"; fi
fi
for tool in pdftoppm pdfinfo; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (Debian package poppler-utils; make sysdeps)" >&2; exit 2; }
done

mkdir -p "$OUT"
for name in al_pomdex_phase2 mm_pom_lodex_vs_hidex; do
  trial="$ROOT/examples/trials/$name.yaml"
  work="$OUT/$name"
  rm -rf "$work/data" "$work/results"
  mkdir -p "$work"
  $PLASMATRIAL simulate-data "$trial" --seed "$SEED" --out "$work/data" >/dev/null
  $PLASMATRIAL report "$trial" --data "$work/data" --out "$work/results" --pdf --paper "$PAPER" >/dev/null
  cp "$work/results/report.pdf" "$work/report.pdf"
  rm -f "$work"/page-*.png
  pdftoppm -r "$DPI" -png "$work/report.pdf" "$work/page"
  pages="$(pdfinfo "$work/report.pdf" | awk '/^Pages:/ {print $2}')"
  size="$(pdfinfo "$work/report.pdf" | awk -F': +' '/^Page size:/ {print $2}')"
  echo "$name: $pages pages ($size) -> $work/page-*.png"
done
