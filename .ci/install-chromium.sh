#!/usr/bin/env bash
# System packages for the website tests (tests/test_site.py): Debian's Chromium, which
# Playwright drives through executable_path=/usr/bin/chromium (never `playwright install`,
# which downloads its own browser), and the sqlite3 shell the page's SQLite snippet uses.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v sqlite3 >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi  # -n: fail at once, never wait for a password
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    chromium fonts-dejavu-core sqlite3
