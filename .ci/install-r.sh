#!/usr/bin/env bash
# Install R with readr and jsonlite from Debian, for tests/test_readme_snippets.py's R snippet
# (docs/load.R). Idempotent: `make test` runs it every time. apt-get as root, else with sudo.
set -euo pipefail
if command -v Rscript >/dev/null && Rscript -e 'library(readr); library(jsonlite)' >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    r-base-core r-cran-jsonlite r-cran-readr >/dev/null
Rscript -e 'library(readr); library(jsonlite); cat(R.version.string, "with readr and jsonlite\n")'
