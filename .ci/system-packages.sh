#!/usr/bin/env bash
# Debian packages the project needs outside Python:
#   chromium            browser tests (Playwright drives Debian's build, never a downloaded one)
#   poppler-utils       pdftoppm / pdffonts / pdftotext: poster previews and poster tests
#   zbar-tools          zbarimg, a real QR decoder for the poster tests
#   nodejs              runs the site's reward engine against the Python rules
#   ghostscript         a second PDF renderer for the poster tests (print paths use it)
#   strace              counts the SQLite store's fsyncs (tests/store/test_sqlite_durability.py)
# Installs only what is missing; needs root (or sudo) the first time.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v gs >/dev/null 2>&1 || need+=(ghostscript)
command -v strace >/dev/null 2>&1 || need+=(strace)
if [ "${1:-}" = "--run-only" ]; then
  # `make run` needs only the poster preview renderer
  need=()
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
  echo "Please install these Debian packages: ${need[*]}" >&2; exit 1
fi
echo "Installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
