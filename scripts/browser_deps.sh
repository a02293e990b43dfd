#!/bin/sh
# The browser tests drive Debian's Chromium (never a downloaded browser) and need CJK fonts to
# draw the Chinese pages. make test installs both where it can (root with apt-get); otherwise it
# says in one line what to run.
CHROMIUM="${CAIJI_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "make test: installing Chromium and CJK fonts for the browser tests (apt-get) ..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq chromium fonts-noto-cjk >/dev/null && [ -x "$CHROMIUM" ] && exit 0
fi
echo "make test: the browser tests need Chromium: run  sudo apt-get install -y chromium fonts-noto-cjk  and then make test again." >&2
exit 1
