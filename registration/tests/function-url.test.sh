#!/usr/bin/env bash
# Tests registration/deploy.sh's function URL options: --dry-run output and option checks, and
# --function-url-only against a local moto server (127.0.0.1 only), twice, to see that a re-run
# adds nothing.
#
#   bash registration/tests/function-url.test.sh
#
# Prints `ok - ...` / `not ok - ...` per check and ends with `N passed, N failed`; exits
# non-zero when a check failed. Installs awscli and moto into <repo>/.venv when missing.
# Checks are eval strings expanded when run (SC2016); cleanup and helpers run through traps and
# `check` (SC2317); the sourced helper is checked on its own (SC1091).
# shellcheck disable=SC2016,SC2317,SC1091
# shellcheck source-path=SCRIPTDIR/../..

set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DEPLOY="$ROOT/registration/deploy.sh"
FN=mparticle-url-test
STEP_TIMEOUT=120 # seconds, for any one command
SECRET="s3cret.Token-for_tests"

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
check() { # check DESCRIPTION CONDITION-COMMAND...
    local what="$1"
    shift
    if "$@"; then ok "$what"; else not_ok "$what" "exit: $RC" "stdout: $OUT" "stderr: $ERR"; fi
}
finish() {
    printf '%s passed, %s failed\n' "$passed" "$failed"
    [[ $failed -eq 0 ]]
    exit
}

TMP="$(mktemp -d)"
MOTO_PID=""
cleanup() {
    if [[ -n "$MOTO_PID" ]]; then
        kill "$MOTO_PID" 2>/dev/null
        wait "$MOTO_PID" 2>/dev/null
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RC=0 OUT="" ERR=""
run() { # run COMMAND...: sets RC, OUT and ERR
    RC=0
    timeout "$STEP_TIMEOUT" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null || RC=$?
    OUT="$(cat "$TMP/out")"
    ERR="$(cat "$TMP/err")"
}

# ---------------------------------------------------------------- dry run and option checks

unset FIREHOSE_HTTP_TOKEN
run env FIREHOSE_HTTP_TOKEN="$SECRET" "$DEPLOY" --dry-run --function-url --region eu-west-1
check "--dry-run --function-url passes the token through a private env file" eval '[[ $RC -eq 0 ]] &&
    grep -qE "^cargo lambda deploy .*--env-file TOKEN_FILE mparticle-firehose-example\$" <<<"$OUT"'
check "--dry-run --function-url shows the URL on the alias and both statements" eval '
    grep -qx "aws lambda create-function-url-config --region eu-west-1 --function-name mparticle-firehose-example --qualifier production --auth-type NONE" <<<"$OUT" &&
    grep -qE "^aws lambda add-permission .*--qualifier production .*--action lambda:InvokeFunctionUrl --principal \\\\\\* --function-url-auth-type NONE\$" <<<"$OUT" &&
    grep -qE "^aws lambda add-permission .*--qualifier production .*--action lambda:InvokeFunction --principal \\\\\\* --invoked-via-function-url\$" <<<"$OUT"'
check "the token appears nowhere in the output" eval '! grep -qF "$SECRET" <<<"$OUT$ERR"'

run env FIREHOSE_HTTP_TOKEN="$SECRET" "$DEPLOY" --dry-run
check "without --function-url, no URL and no token file" eval '[[ $RC -eq 0 ]] &&
    ! grep -q -- "--env-file" <<<"$OUT" && ! grep -q function-url <<<"$OUT"'

run env -u FIREHOSE_HTTP_TOKEN "$DEPLOY" --dry-run --function-url
check "--function-url without a token is a usage error naming the variable" eval '[[ $RC -eq 2 ]] &&
    grep -qF "FIREHOSE_HTTP_TOKEN" <<<"$ERR"'
run env MY_TOKEN="$SECRET" "$DEPLOY" --dry-run --function-url --http-token-env MY_TOKEN
check "--http-token-env names another variable" eval '[[ $RC -eq 0 ]] && grep -q "MY_TOKEN" <<<"$OUT"'
for bad in 'has space' "quote'd" 'semi;colon' '$(id)'; do
    run env FIREHOSE_HTTP_TOKEN="$bad" "$DEPLOY" --dry-run --function-url
    check "a token like '$bad' is refused" eval '[[ $RC -eq 2 ]] && [[ -z "$OUT" ]]'
done
run env FIREHOSE_HTTP_TOKEN="$(printf 'x%.0s' $(seq 1 1025))" "$DEPLOY" --dry-run --function-url
check "a token over 1024 characters is refused" eval '[[ $RC -eq 2 ]]'
for bad in '1abc' 'A-B' 'A;B' ''; do
    run env FIREHOSE_HTTP_TOKEN="$SECRET" "$DEPLOY" --dry-run --function-url --http-token-env "$bad"
    check "--http-token-env '$bad' is refused" eval '[[ $RC -eq 2 ]]'
done
run "$DEPLOY" --dry-run --http-token-env OTHER
check "--http-token-env without --function-url is refused" eval '[[ $RC -eq 2 ]]'
run env -u FIREHOSE_HTTP_TOKEN "$DEPLOY" --dry-run --function-url-only --alias live
check "--function-url-only needs no token and builds nothing" eval '[[ $RC -eq 0 ]] &&
    ! grep -q "cargo lambda" <<<"$OUT" && grep -q -- "--qualifier live --auth-type NONE" <<<"$OUT"'

# ---------------------------------------------------------------- moto

# shellcheck source=scripts/ensure-python-tools.sh
if ! source "$ROOT/scripts/ensure-python-tools.sh" aws moto_server >"$TMP/ensure.log" 2>&1; then
    not_ok "aws and moto_server are available" "$(cat "$TMP/ensure.log")"
    finish
fi
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_MAX_ATTEMPTS=2
export AWS_CONFIG_FILE="$TMP/no-config" AWS_SHARED_CREDENTIALS_FILE="$TMP/no-credentials"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_DEFAULT_PROFILE \
    HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
moto_server -H 127.0.0.1 -p "$PORT" >"$TMP/moto.log" 2>&1 &
MOTO_PID=$!
ready=0
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

python3 - "$TMP/function.zip" <<'EOF'
import sys, zipfile
info = zipfile.ZipInfo("bootstrap")
info.external_attr = 0o755 << 16
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr(info, "#!/bin/sh\necho not a real integration\n")
EOF
setup() {
    local trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    run aws iam create-role --role-name mparticle-url-test-role --assume-role-policy-document "$trust" \
        --query Role.Arn --output text
    [[ $RC -eq 0 ]] || return 1
    local role="$OUT"
    run aws lambda create-function --function-name "$FN" --runtime provided.al2023 --handler bootstrap \
        --role "$role" --zip-file "fileb://$TMP/function.zip"
    [[ $RC -eq 0 ]] || return 1
    run aws lambda publish-version --function-name "$FN" --query Version --output text
    [[ $RC -eq 0 ]] || return 1
    run aws lambda create-alias --function-name "$FN" --name production --function-version "$OUT"
    [[ $RC -eq 0 ]]
}
if setup; then ok "setup: role, function ($FN), version and alias production"; else
    not_ok "setup" "exit: $RC" "stdout: $OUT" "stderr: $ERR"
    finish
fi

# The statements of the alias's policy as `<sid> <action> <principal>`, one per line.
statements() {
    aws lambda get-policy --function-name "$FN" --qualifier production --query Policy --output text 2>/dev/null |
        python3 -c '
import json, sys
for s in json.loads(sys.stdin.read() or "{}").get("Statement", []):
    p = s.get("Principal")
    print(s.get("Sid"), s.get("Action"), p.get("AWS") if isinstance(p, dict) else p)
'
}

run "$DEPLOY" --function-url-only --function-name "$FN"
check "--function-url-only creates the URL and prints it" eval '[[ $RC -eq 0 ]] &&
    grep -qE "^  https?://" <<<"$OUT" &&
    grep -q "create-function-url-config" <<<"$ERR"'
run aws lambda get-function-url-config --function-name "$FN" --qualifier production --query AuthType --output text
check "the URL has AuthType NONE" eval '[[ $RC -eq 0 && "$OUT" == NONE ]]'
check "both statements are on the alias, to everyone" eval '
    [[ "$(statements | grep -c "^mparticle-firehose-url lambda:InvokeFunctionUrl \*$")" -eq 1 ]] &&
    [[ "$(statements | grep -c "^mparticle-firehose-url-invoke lambda:InvokeFunction \*$")" -eq 1 ]]'

run "$DEPLOY" --function-url-only --function-name "$FN"
check "a re-run succeeds and creates nothing" eval '[[ $RC -eq 0 ]] &&
    ! grep -q "create-function-url-config" <<<"$ERR" && ! grep -q "add-permission" <<<"$ERR"'
check "a re-run leaves exactly the two statements" eval '[[ "$(statements | wc -l)" -eq 2 ]]'

finish
