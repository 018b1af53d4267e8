#!/usr/bin/env bash
# The two commands a new user runs:
#   ./run.sh serve   set everything up (venv, packages, data) and serve the app
#   ./run.sh test    set everything up and run the whole test suite
#   ./run.sh audit   check the pinned dependencies for known vulnerabilities (needs PyPI's advisory API)
# Set COUPLET_DATA_MIRROR=PATH to take the data from a local mirror instead of downloading it.
set -euo pipefail
cd "$(dirname "$0")"

venv() {
  local python
  python=$(command -v python3.11 || command -v python3)
  if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "error: Python 3.11 is required (found $("$python" --version))" >&2
    exit 2
  fi
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating .venv"
    "$python" -m venv .venv
  fi
  echo "==> installing packages into .venv"
  # The runtime dependencies at the versions of requirements.lock, so tests run against what ships.
  .venv/bin/pip install --progress-bar on -q -c requirements.lock -e '.[dev]'
}

system_packages() {
  # Debian packages: the font the couplets are drawn in, and (for the tests) Chromium and Redis.
  local wanted=("$@") missing=()
  for pkg in "${wanted[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

data() {
  echo "==> fetching data${COUPLET_DATA_MIRROR:+ from $COUPLET_DATA_MIRROR}"
  .venv/bin/couplet data fetch
  echo "==> preparing the corpus"
  .venv/bin/couplet data prepare > /dev/null
  echo "==> matcher index (a no-op when up to date)"
  .venv/bin/couplet index build > /dev/null || echo "==> no matcher index: the app matches upper lines by keywords"
}

case "${1:-}" in
  serve)
    system_packages fonts-lxgw-wenkai
    venv
    data
    exec .venv/bin/couplet serve
    ;;
  test)
    system_packages fonts-lxgw-wenkai chromium redis-server
    venv
    echo "==> ruff"
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    echo "==> pytest"
    exec .venv/bin/python -m pytest "${@:2}"
    ;;
  audit)
    # Known vulnerabilities in the pinned runtime dependencies (pip-audit asks PyPI's advisory service).
    venv
    echo "==> pip-audit over requirements.lock"
    exec .venv/bin/pip-audit --requirement requirements.lock --no-deps --disable-pip --strict --progress-spinner off "${@:2}"
    ;;
  *)
    echo "usage: ./run.sh serve | ./run.sh test [pytest args] | ./run.sh audit" >&2
    exit 2
    ;;
esac
