#!/usr/bin/env bash
# Install Debian's Chromium for the site's browser tests (tests/test_site.py).
# Playwright drives it through executable_path=/usr/bin/chromium; never run
# `playwright install`, which downloads its own browser.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
