#!/usr/bin/env bash
# Chromium for the composer's browser tests (tests/composer), which Playwright drives.
#
#   scripts/browser.sh install   make sure a Chromium binary is there; print its path
#                                as the last line of stdout
#   scripts/browser.sh path      print the path, or fail saying what is missing
#
# Playwright cannot download its own browsers here (no network but the package
# registries), so the tests launch the distribution's Chromium: Debian's `chromium`
# package, installed with apt-get when it is missing and this runs as root. Elsewhere
# it says what to install. POSTER_CHROMIUM names another binary.
#
# Everything this script prints goes to stderr, except the path.
set -euo pipefail

log() { printf 'browser.sh: %s\n' "$*" >&2; }
die() { printf 'browser.sh: error: %s\n' "$*" >&2; exit 1; }

find_chromium() {
  if [[ -n "${POSTER_CHROMIUM:-}" ]]; then
    [[ -x "$POSTER_CHROMIUM" ]] || die "POSTER_CHROMIUM=$POSTER_CHROMIUM is not an executable"
    echo "$POSTER_CHROMIUM"
    return
  fi
  command -v chromium || command -v chromium-browser || command -v google-chrome || true
}

install_chromium() {
  local found
  found="$(find_chromium)"
  if [[ -n "$found" ]]; then
    echo "$found"
    return
  fi
  if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
    die "Chromium is missing: install Debian's 'chromium' package (apt-get install chromium) or set POSTER_CHROMIUM to a Chromium binary"
  fi
  log "installing Debian's chromium (apt-get; a few minutes the first time)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends chromium fonts-liberation >&2 \
    || die "apt-get install chromium failed"
  found="$(find_chromium)"
  [[ -n "$found" ]] || die "chromium was installed but is not on PATH"
  echo "$found"
}

case "${1:-}" in
  install) install_chromium ;;
  path)
    found="$(find_chromium)"
    [[ -n "$found" ]] || die "Chromium is missing: run scripts/browser.sh install"
    echo "$found"
    ;;
  *) die "usage: scripts/browser.sh install|path" ;;
esac
