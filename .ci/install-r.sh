#!/usr/bin/env bash
# Install R with readr and jsonlite from Debian, for tests/test_readme_snippets.py's R snippet
# (docs/load.R). Without R that one test is skipped with a reason. Needs root (CI images are).
set -euo pipefail
if command -v Rscript >/dev/null && Rscript -e 'library(readr); library(jsonlite)' >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends r-base-core r-cran-jsonlite r-cran-readr >/dev/null
Rscript -e 'library(readr); library(jsonlite); cat(R.version.string, "with readr and jsonlite\n")'
