#!/usr/bin/env bash
# Regenerate the R reference fixtures (tests/reference/fixtures/*.json) from tests/reference/r/*.R.
# Installs R and the reference packages from Debian when Rscript is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v Rscript >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    r-base-core r-cran-survival r-cran-cmprsk r-cran-rpact r-cran-jsonlite
fi
for f in tests/reference/r/*.R; do
  echo "Rscript $f"
  (cd tests/reference/r && Rscript "$(basename "$f")")
done
