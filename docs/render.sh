#!/usr/bin/env bash
# `make render`: the demo's documents as their readers see them — the 总结 (.docx), the 台账 and the
# county's assessment (.xlsx) through LibreOffice headless, the county's .html through headless
# Chromium — to PDF, then the first pages to PNG with pdftoppm, in build/render/. Look at them.
# Needs (Debian): libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-noto-cjk chromium
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/render
guanai=.venv/bin/guanai
for tool in soffice pdftoppm; do
  command -v "$tool" >/dev/null || { echo "缺少 $tool：apt-get install libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils fonts-noto-cjk chromium" >&2; exit 2; }
done
rm -rf "$out" && mkdir -p "$out"
"$guanai" demo --db "$out/demo.db" >/dev/null
db=(--db "sqlite:///$PWD/$out/demo.db")
asof=(--as-of 2026-01-16)
"$guanai" "${db[@]}" report summary --org S001 "${asof[@]}" -o "$out/总结.docx"
"$guanai" "${db[@]}" report ledger --org S001 "${asof[@]}" -o "$out/台账.xlsx"
"$guanai" "${db[@]}" report county --org C01 "${asof[@]}" -o "$out/县考核.xlsx"
"$guanai" "${db[@]}" report county --org C01 "${asof[@]}" -o "$out/县考核.html"
soffice --headless --convert-to pdf --outdir "$out" "$out/总结.docx" "$out/台账.xlsx" "$out/县考核.xlsx" >/dev/null 2>&1
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ]; then
  "$browser" --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$out/县考核-html.pdf" "file://$PWD/$out/县考核.html" 2>/dev/null
fi
for pdf in "$out"/*.pdf; do
  pages=$(pdfinfo "$pdf" | awk '/^Pages:/ {print $2}')
  pdftoppm -r 60 -png -l 6 "$pdf" "${pdf%.pdf}"
  echo "${pdf}: ${pages} 页"
done
echo "PNG 在 $out/ 里：逐页看一遍。"
