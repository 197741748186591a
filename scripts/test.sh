#!/usr/bin/env bash
# Runs every test of the workspace: the Rust suites (unit, integration, end to end, doc tests)
# and the shell suites that drive the AWS CLI against a local moto server.
# Installs what the tests need (cargo-lambda, awscli, moto) when it is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if [ -f scripts/ensure-python-tools.sh ]; then
  # shellcheck source=/dev/null
  source scripts/ensure-python-tools.sh
fi

status=0
echo "== cargo test (workspace, all features)"
cargo test --workspace --all-features --no-fail-fast || status=1

for suite in registration/tests/*.test.sh; do
  [ -e "$suite" ] || continue
  echo "== $suite"
  bash "$suite" || status=1
done

if [ "$status" -ne 0 ]; then
  echo "some tests failed" >&2
fi
exit "$status"
