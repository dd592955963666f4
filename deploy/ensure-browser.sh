#!/usr/bin/env bash
# The browser tests (tests/browser) drive Debian's Chromium with Playwright, which never downloads
# a browser of its own, and screenshots need a CJK font. Install both with apt-get when missing.
set -euo pipefail
packages=()
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || packages+=(fonts-wqy-microhei)
[ ${#packages[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${packages[*]} for the browser tests ..."
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${packages[@]}"
