# Shared plumbing for the shell suites in registration/tests (*.test.sh). A suite sources it
# first thing after `set -uo pipefail`:
#
#   # shellcheck source=registration/tests/lib/harness.sh
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"
#
# Sourcing sets ROOT (the repository), creates the sandbox TMP (removed on exit, together with
# a moto server started here) and sets RC=0 OUT="" ERR="" and STEP_TIMEOUT=120 (seconds, for
# any one command; a suite may change it). It offers:
#
#   ok NAME / not_ok NAME [DETAIL...]  TAP-style report lines, counted for finish
#   finish                             prints `N passed, N failed` and exits, non-zero on a failure
#   run_limited COMMAND...             runs with STEP_TIMEOUT and no stdin; sets RC, OUT and ERR
#   run COMMAND...                     run_limited; a suite may redefine it around run_limited
#   check NAME CONDITION-COMMAND...    ok when the condition holds, else not_ok with run_details
#   run_details                        what a failed check shows of the last run (redefinable)
#   fake_aws_env ENDPOINT              dummy credentials, us-east-1, no config, profile or proxy
#   require_moto_tools                 aws and moto_server on PATH (or not_ok and finish)
#   start_moto                         moto_server on a free 127.0.0.1 port, fake_aws_env on it,
#                                      waited for: `ok - moto_server answers ...` (or finish)
#   stub_function FUNCTION ROLE [OPTION...]
#                                      on moto: ROLE, FUNCTION (stub bootstrap, create-function
#                                      OPTIONs), version 1 (VERSION) and alias production (OUT:
#                                      its ARN); non-zero at the first failed step

# shellcheck shell=bash
# shellcheck source-path=SCRIPTDIR/../../..

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
STEP_TIMEOUT=120

# ---------------------------------------------------------------- reporting

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    printf 'ok - %s\n' "$1"
}
not_ok() {
    failed=$((failed + 1))
    printf 'not ok - %s\n' "$1"
    shift
    local line
    for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
run_details() { printf '%s\n' "exit: $RC" "stdout: $OUT" "stderr: $ERR"; }
check() { # check NAME CONDITION-COMMAND...
    local what="$1"
    shift
    if "$@"; then ok "$what"; else not_ok "$what" "$(run_details)"; fi
}
finish() {
    printf '%s passed, %s failed\n' "$passed" "$failed"
    [[ $failed -eq 0 ]]
    exit
}

# ---------------------------------------------------------------- sandbox

TMP="$(mktemp -d)"
MOTO_PID=""
harness_cleanup() {
    if [[ -n "$MOTO_PID" ]]; then
        kill "$MOTO_PID" 2>/dev/null
        wait "$MOTO_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap harness_cleanup EXIT
trap 'exit 130' INT TERM

RC=0 OUT="" ERR=""
run_limited() { # run_limited COMMAND...: sets RC, OUT and ERR
    RC=0
    timeout "$STEP_TIMEOUT" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || RC=$?
    OUT="$(<"$TMP/out")"
    ERR="$(<"$TMP/err")"
}
run() { run_limited "$@"; } # a suite may redefine run around run_limited

# ---------------------------------------------------------------- AWS, moto only

# fake_aws_env ENDPOINT: only ENDPOINT can be contacted: fixed dummy credentials, no profile or
# config files, no per-service endpoints, no instance metadata lookups, no proxies.
fake_aws_env() {
    unset "${!AWS_ENDPOINT_URL@}" AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_DEFAULT_PROFILE \
        HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
    export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_MAX_ATTEMPTS=2
    export AWS_CONFIG_FILE="$TMP/no-config" AWS_SHARED_CREDENTIALS_FILE="$TMP/no-credentials"
    export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
    export AWS_ENDPOINT_URL="$1"
}

# require_moto_tools: installs awscli and moto into <repo>/.venv when they are missing
# (scripts/ensure-python-tools.sh) and puts them on PATH; reports the failure and finishes
# when that fails.
require_moto_tools() {
    # shellcheck source=scripts/ensure-python-tools.sh
    if ! source "$ROOT/scripts/ensure-python-tools.sh" aws moto_server >"$TMP/ensure.log" 2>&1; then
        not_ok "aws and moto_server are available" "$(cat "$TMP/ensure.log")"
        finish
    fi
}

# start_moto: a moto server on a free loopback port (PORT), the environment pointed at it,
# waited for (at most 20 s).
start_moto() {
    PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
    fake_aws_env "http://127.0.0.1:$PORT"
    moto_server -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
    MOTO_PID=$!
    local ready=0
    for _ in $(seq 1 80); do
        if ! kill -0 "$MOTO_PID" 2>/dev/null; then break; fi
        if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' \
            "$AWS_ENDPOINT_URL/" >/dev/null 2>&1; then
            ready=1
            break
        fi
        sleep 0.25
    done
    if [[ $ready -ne 1 ]]; then
        not_ok "moto_server answers on 127.0.0.1:$PORT within 20 s" "$(tail -20 "$TMP/moto.log")"
        finish
    fi
    ok "moto_server answers on 127.0.0.1:$PORT"
}

# stub_function FUNCTION ROLE [CREATE-FUNCTION-OPTION...]: creates the role ROLE for Lambda,
# FUNCTION from a zip whose bootstrap does nothing useful, version 1 of it (VERSION) and its
# production alias (its ARN in OUT). Returns non-zero at the first step that fails, with RC,
# OUT and ERR from that step.
stub_function() {
    local fn="$1" role="$2"
    shift 2
    if [[ ! -e "$TMP/function.zip" ]]; then
        python3 - "$TMP/function.zip" <<'EOF'
import sys, zipfile
info = zipfile.ZipInfo("bootstrap")
info.external_attr = 0o755 << 16
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(info, "#!/bin/sh\necho not a real integration\n")
EOF
    fi
    local trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    run aws iam create-role --role-name "$role" --assume-role-policy-document "$trust" \
        --query Role.Arn --output text
    [[ $RC -eq 0 ]] || return 1
    run aws lambda create-function --function-name "$fn" --runtime provided.al2023 --handler bootstrap \
        --role "$OUT" --zip-file "fileb://$TMP/function.zip" "$@"
    [[ $RC -eq 0 ]] || return 1
    run aws lambda publish-version --function-name "$fn" --query Version --output text
    [[ $RC -eq 0 ]] || return 1
    VERSION="$OUT"
    run aws lambda create-alias --function-name "$fn" --name production --function-version "$VERSION" \
        --query AliasArn --output text
    [[ $RC -eq 0 ]]
}
