#!/usr/bin/env bash
# Tests registration/deploy.sh's function URL options: --dry-run output and option checks, and
# --function-url-only against a local moto server (127.0.0.1 only), twice, to see that a re-run
# adds nothing.
#
#   bash registration/tests/function-url.test.sh
#
# Prints `ok - ...` / `not ok - ...` per check and ends with `N passed, N failed`; exits
# non-zero when a check failed. Installs awscli and moto into <repo>/.venv when missing.
# Checks are eval strings expanded when run (SC2016); helpers run through `check` (SC2317).
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR/../..

set -uo pipefail

# shellcheck source=registration/tests/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"

DEPLOY="$ROOT/registration/deploy.sh"
FN=mparticle-url-test
SECRET="s3cret.Token-for_tests"

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

require_moto_tools
start_moto

if stub_function "$FN" mparticle-url-test-role; then ok "setup: role, function ($FN), version and alias production"; else
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
