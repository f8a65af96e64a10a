#!/usr/bin/env bash
# Run Twisted's TLS test modules against whatever `import OpenSSL` finds for
# the given interpreter (default: the project's .venv), one trial process per
# module, and print each module's summary line and wall time.
#
#   scripts/run_twisted_tls_tests.sh                       # this package
#   scripts/run_twisted_tls_tests.sh /path/to/venv/bin/python   # e.g. pyOpenSSL
#
# tests/test_interop_twisted.py runs the same modules under pytest and compares
# the counts with the pyOpenSSL 26.4 baseline recorded there.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="$(cd "$(dirname "${1:-.venv/bin/python}")" && pwd)/$(basename "${1:-.venv/bin/python}")"
MODULES=(
  twisted.protocols.test.test_tls
  twisted.test.test_sslverify
  twisted.internet.test.test_tls
  twisted.test.test_ssl
  twisted.internet.test.test_endpoints
)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$PY" -c 'import OpenSSL, sys; print("OpenSSL from", OpenSSL.__file__, "on", sys.version.split()[0])'
status=0
for module in "${MODULES[@]}"; do
  start=$(date +%s.%N)
  (cd "$work" && timeout 600 "$PY" -m twisted.trial --temp-directory "$work/_trial_$module" "$module") \
    >"$work/$module.log" 2>&1 || status=1
  end=$(date +%s.%N)
  printf '%-40s %6.1fs  %s\n' "$module" "$(echo "$end - $start" | bc)" "$(tail -n 1 "$work/$module.log")"
done
exit "$status"
