# Sourced by scripts/test (and so by .ci/run): install the Debian packages the tests use when they
# are missing. The list is tests/tools.py's, the one table of outside tools the tests check.
# ASSETSVC_TEST_NO_INSTALL=1 installs nothing (to see what a machine without them gets).

ensure_system_packages() {
  local wanted missing p
  wanted=$(python3 tests/tools.py packages)
  missing=""
  for p in $wanted; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  missing="${missing# }"
  [ -z "$missing" ] && return 0

  local why=""
  if [ "${ASSETSVC_TEST_NO_INSTALL:-0}" = 1 ]; then
    why="ASSETSVC_TEST_NO_INSTALL=1"
  elif ! command -v apt-get >/dev/null 2>&1; then
    why="apt-get is not on this machine"
  elif [ "$(id -u)" != 0 ]; then
    why="not root (run as root, or: sudo apt-get install $missing)"
  else
    echo "== installing the Debian packages the tests use: $missing"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq $missing >/dev/null; then
      return 0
    fi
    why="apt-get could not install them (no package index reachable?)"
  fi
  echo "== not installed: $missing"
  echo "   because: $why"
  echo "   the tests that need them skip; the run ends with one line per missing tool:"
  python3 tests/tools.py missing | sed 's/^/   - /'
}
