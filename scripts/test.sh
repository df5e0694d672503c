#!/usr/bin/env bash
# Install what the tests need on a fresh Debian/Ubuntu machine, then run the whole suite.
# System packages: Chromium (browser tests), the real Fashion-MNIST (data tests, benchmarks) and
# PostgreSQL's server programs (the records tests start a private server with initdb and pg_ctl).
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v chromium >/dev/null || [ ! -d /usr/share/datasets/fashion-mnist ] \
   || ! python3 -c "import ensurepip" 2>/dev/null; then
  as_root apt-get update -q
  as_root apt-get install -y -q chromium dataset-fashion-mnist python3-venv
fi
if ! command -v initdb >/dev/null && [ ! -x /usr/local/bin/initdb ] \
   && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  as_root apt-get update -q
  as_root apt-get install -y -q postgresql
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q -r requirements-test.txt
exec .venv/bin/python -m pytest "$@"
