#!/usr/bin/env bash
# Hostile arguments for registration/deploy.sh and
# registration/grant-mparticle-access.sh:
#
#   bash registration/tests/hostile-args.test.sh
#
# Every malformed value of every option must be refused before anything runs:
# exit status 2, a message on stderr that names the option, nothing on stdout,
# and no aws, cargo or cargo-lambda command run. Recording shims stand first
# on PATH for those three commands and append their arguments to a log, which
# must stay empty. Each value is tried as `--opt VALUE` and as `--opt=VALUE`,
# with --dry-run and without (a real run), after valid values for the other
# options. Valid edge values are checked to still be accepted.
#
# Needs no network, no moto and no stdin. Prints `ok - ...` / `not ok - ...`
# per check and ends with `N passed, N failed`; exits non-zero when a check
# failed.

set -uo pipefail

# shellcheck source=registration/tests/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"

GRANT="$ROOT/registration/grant-mparticle-access.sh"
DEPLOY="$ROOT/registration/deploy.sh"
ACCOUNT=123456789012
FN_ARN="arn:aws:lambda:us-east-1:$ACCOUNT:function:partner-fn"
ALIAS_ARN="$FN_ARN:production"
ROLE_ARN="arn:aws:iam::$ACCOUNT:role/partner-fn-role"
URL="https://api.partner.example/v1"
STEP_TIMEOUT=30 # seconds, for any one run

# ---------------------------------------------------------------- sandbox

# Recording shims for the commands the scripts run. They succeed with no
# output, so a script that got past its checks would go on to further calls.
SHIMS="$TMP/bin"
export SHIM_LOG="$TMP/calls.log"
mkdir -p "$SHIMS"
for tool in aws cargo cargo-lambda; do
    cat >"$SHIMS/$tool" <<'EOF'
#!/usr/bin/env bash
{ printf '%s' "${0##*/}"; printf ' %q' "$@"; printf '\n'; } >>"$SHIM_LOG"
exit 0
EOF
    chmod +x "$SHIMS/$tool"
done
export PATH="$SHIMS:$PATH"

# Should a shim be bypassed after all, nothing real is reachable: an endpoint
# on a closed local port, and no retry.
fake_aws_env "http://127.0.0.1:9"
export AWS_MAX_ATTEMPTS=1

# A hostile value that a shell evaluated would create this file.
PWNED="$TMP/pwned"

# run SCRIPT ARGS...: the harness's run, with the environment assignments in
# RUN_ENV added; also sets CALLS (what the shims recorded during this run).
CALLS=""
RUN_ENV=()
run() {
    : >"$SHIM_LOG"
    run_limited env "${RUN_ENV[@]}" "$@"
    CALLS="$(<"$SHIM_LOG")"
}

# ---------------------------------------------------------------- the harness

# The valid arguments each script gets besides the one under test, as
# option/value pairs. The pair of the option under test is left out.
GRANT_BASE=(--function-arn "$ALIAS_ARN")
DEPLOY_BASE=(--function-name partner-fn --region eu-west-1 --alias live --memory 512 --timeout 60
    --binary example-integration)

# Option names that stand for the same setting.
canonical() {
    case "$1" in
        --role) printf '%s' --iam-role ;;
        --architecture) printf '%s' --arch ;;
        *) printf '%s' "$1" ;;
    esac
}

# base SCRIPT OPT: sets BASE to the script's valid arguments without OPT.
base() {
    if [[ "$1" == "$GRANT" ]]; then local -n all=GRANT_BASE; else local -n all=DEPLOY_BASE; fi
    BASE=()
    local i want
    want="$(canonical "$2")"
    for ((i = 0; i < ${#all[@]}; i += 2)); do
        [[ "$(canonical "${all[i]}")" == "$want" ]] || BASE+=("${all[i]}" "${all[i + 1]}")
    done
}

name_of() {
    if [[ "$1" == "$GRANT" ]]; then printf 'grant'; else printf 'deploy'; fi
}

# refused_run: the last run was refused as a usage error naming $1 and did
# nothing.
refused_run() {
    [[ $RC -eq 2 && -z "$OUT" && -z "$CALLS" ]] && grep -qF -- "$1" <<<"$ERR"
}
describe_run() {
    printf '%s\n' "variant: $1" "exit: $RC" "stdout: $OUT" "stderr: $ERR" "aws/cargo calls: $CALLS"
}

# refuse SCRIPT OPT VALUE: `OPT VALUE` and `OPT=VALUE`, each in a dry run and
# in a real run, are all refused.
refuse() {
    local script="$1" opt="$2" value="$3" mode form details=()
    local -a args
    base "$script" "$opt"
    for mode in dry real; do
        for form in apart joined; do
            if [[ $form == apart ]]; then args=("$opt" "$value"); else args=("$opt=$value"); fi
            args+=("${BASE[@]}")
            if [[ $mode == dry ]]; then args+=(--dry-run); fi
            run "$script" "${args[@]}"
            refused_run "$opt" || details+=("$(describe_run "$mode run, $(printf '%q ' "${args[@]}")")")
        done
    done
    local what
    what="$(name_of "$script") $opt $(printf '%q' "$value" | cut -c1-100) is refused (apart and with '=', dry run and real)"
    if [[ ${#details[@]} -eq 0 ]]; then ok "$what"; else not_ok "$what" "${details[@]}"; fi
}

# refuse_args SCRIPT NAMED DESCRIPTION ARGS...: ARGS, in a dry run and in a
# real run, are refused with a message naming NAMED.
refuse_args() {
    local script="$1" named="$2" what="$3" mode details=()
    shift 3
    for mode in dry real; do
        if [[ $mode == dry ]]; then run "$script" "$@" --dry-run; else run "$script" "$@"; fi
        refused_run "$named" || details+=("$(describe_run "$mode run, $(printf '%q ' "$@")")")
    done
    what="$(name_of "$script") $what is refused (dry run and real)"
    if [[ ${#details[@]} -eq 0 ]]; then ok "$what"; else not_ok "$what" "${details[@]}"; fi
}

# generic VALID: malformed variants of a valid value that no option accepts.
generic() {
    local v="$1"
    HOSTILE=(
        ""
        "-$v"
        --dry-run
        --help
        -h
        "--manifest-path=/tmp/elsewhere/Cargo.toml"
        "$v"$'\n'"$v"
        "$v"$'\n'
        $'\n'"$v"
        "$v"$'\t'
        "$v"$'\r'
        "$v"$'\e[31m'
        "$v"$'\x7f'
        "$v\$(touch $PWNED)"
        "$v\`touch $PWNED\`"
        "$v;touch $PWNED"
        "$v|touch $PWNED"
        "$v && touch $PWNED"
        "$v "
        " $v"
        "$v$(printf 'a%.0s' {1..3000})"
    )
}

# hostile SCRIPT OPT VALID [SPECIFIC...]: refuses the generic variants of
# VALID and each SPECIFIC value for OPT, and a missing value.
hostile() {
    local script="$1" opt="$2" valid="$3" v
    shift 3
    generic "$valid"
    for v in "${HOSTILE[@]}" "$@"; do
        refuse "$script" "$opt" "$v"
    done
    base "$script" "$opt"
    refuse_args "$script" "$opt" "$opt without a value" "${BASE[@]}" "$opt"
}

# accept SCRIPT DESCRIPTION EXPECT ARGS...: a dry run with ARGS succeeds,
# prints a plan containing EXPECT and runs nothing.
accept() {
    local script="$1" what="$2" expect="$3"
    shift 3
    run "$script" "$@" --dry-run
    what="$(name_of "$script") accepts $what"
    if [[ $RC -eq 0 && -z "$CALLS" ]] && grep -qF -- "$expect" <<<"$OUT"; then
        ok "$what"
    else
        not_ok "$what" "$(describe_run "$(printf '%q ' "$@") --dry-run")"
    fi
}

# long CHAR N: CHAR repeated N times.
long() {
    local s
    printf -v s '%*s' "$2" ''
    printf '%s' "${s// /$1}"
}

# ---------------------------------------------------------------- the shims record

run "$SHIMS/aws" lambda get-policy --function-name "x y"
if [[ "$CALLS" == "aws lambda get-policy --function-name x\\ y" ]]; then
    ok "the shims record their arguments"
else
    not_ok "the shims record their arguments" "calls: $CALLS"
fi
run "$GRANT" --function-arn "$ALIAS_ARN"
if [[ "$CALLS" == *"aws lambda get-alias"* ]]; then
    ok "a real grant run with valid arguments reaches the aws shim"
else
    not_ok "a real grant run with valid arguments reaches the aws shim" "$(describe_run "valid")"
fi
run "$DEPLOY" "${DEPLOY_BASE[@]}"
if [[ "$CALLS" == *"cargo lambda build"* && "$CALLS" == *"cargo lambda deploy"* ]]; then
    ok "a real deploy run with valid arguments reaches the cargo shim"
else
    not_ok "a real deploy run with valid arguments reaches the cargo shim" "$(describe_run "valid")"
fi

# ---------------------------------------------------------------- grant-mparticle-access.sh

hostile "$GRANT" --function-arn "$ALIAS_ARN" \
    "$ALIAS_ARN:" \
    "$FN_ARN:" \
    "$FN_ARN" \
    "$FN_ARN:\$LATEST" \
    "$FN_ARN:7" \
    "$ALIAS_ARN:extra" \
    "$ALIAS_ARN,$FN_ARN:staging" \
    "ARN:aws:lambda:us-east-1:$ACCOUNT:function:partner-fn:production" \
    "arn:AWS:lambda:us-east-1:$ACCOUNT:function:partner-fn:production" \
    "arn:aws:LAMBDA:us-east-1:$ACCOUNT:function:partner-fn:production" \
    "arn:aws:lambda:US-EAST-1:$ACCOUNT:function:partner-fn:production" \
    "arn:aws:lambda:us-east-1:$ACCOUNT:FUNCTION:partner-fn:production" \
    "arn:aws-foo:lambda:us-east-1:$ACCOUNT:function:partner-fn:production" \
    "arn::lambda:us-east-1:$ACCOUNT:function:partner-fn:production" \
    "arn:aws:lambda::$ACCOUNT:function:partner-fn:production" \
    "arn:aws:lambda:us-east-1a:$ACCOUNT:function:partner-fn:production" \
    "arn:aws:lambda:us-east-1:12345678901:function:partner-fn:production" \
    "arn:aws:lambda:us-east-1:1234567890123:function:partner-fn:production" \
    "arn:aws:lambda:us-east-1:$ACCOUNT:function::production" \
    "arn:aws:lambda:us-east-1:$ACCOUNT:function:-partner-fn:production" \
    "arn:aws:lambda:us-east-1:$ACCOUNT:function:partner.fn:production" \
    "arn:aws:lambda:us-east-1:$ACCOUNT:function:$(long f 65):production" \
    "$FN_ARN:$(long a 129)" \
    "$FN_ARN:-production" \
    "$FN_ARN:prod.uction" \
    "$FN_ARN:prod uction" \
    "$FN_ARN:prod/uction" \
    "partner-fn"

hostile "$GRANT" --principals 111122223333 \
    "111122223333," \
    ",111122223333" \
    "111122223333,,444455556666" \
    "111122223333, 444455556666" \
    "111122223333;444455556666" \
    "111122223333"$'\n'"444455556666" \
    "11112222333" \
    "1111222233334" \
    "111122223333a" \
    "０１１１２２２２３３３３" \
    "*" \
    ","

hostile "$GRANT" --principal 111122223333 \
    "111122223333," \
    "111122223333,444455556666" \
    "11112222333" \
    "1111222233334" \
    "*" \
    "arn:aws:iam::111122223333:*" \
    "arn:aws:iam::*:root" \
    "arn:aws:iam::111122223333:root:" \
    "arn:aws:iam::111122223333:role/" \
    "arn:aws:iam::111122223333:role/stream/" \
    "arn:aws:iam::111122223333:role//processor" \
    "arn:aws:iam::111122223333:role/$(long r 65)" \
    "arn:aws:iam::111122223333:role/stream processor" \
    "arn:aws:iam::111122223333:group/admins" \
    "arn:aws:iam::111122223333:ROOT" \
    "arn:aws:iam::111122223333:Role/processor" \
    "ARN:AWS:IAM::111122223333:root" \
    "arn:AWS:iam::111122223333:root" \
    "arn:aws:IAM::111122223333:root" \
    "arn:aws:iam:us-east-1:111122223333:root" \
    "arn:aws:iam::11112222333:root" \
    "arn:aws:sts::111122223333:assumed-role/processor/session" \
    "arn:aws-cn:iam::111122223333:root" \
    "arn:aws-cn:iam::111122223333:role/processor" \
    "lambda.amazonaws.com"

hostile "$GRANT" --region us-west-2 \
    "US-WEST-2" \
    "Us-west-2" \
    "us-west-2a" \
    "uswest2" \
    "us-west" \
    "us_west_2" \
    "us-west-002" \
    "us-west-2,us-east-1"

refuse_args "$GRANT" --dry-run "--dry-run=1" "${GRANT_BASE[@]}" --dry-run=1
refuse_args "$GRANT" --revoke "--revoke=yes" "${GRANT_BASE[@]}" --revoke=yes
refuse_args "$GRANT" --help "--help=all" "${GRANT_BASE[@]}" --help=all
refuse_args "$GRANT" --print-policy "--print-policy=json" "${GRANT_BASE[@]}" --print-policy=json
refuse_args "$GRANT" --print-policy "--print-policy with --revoke" "${GRANT_BASE[@]}" --print-policy --revoke
refuse_args "$GRANT" --principals "a role ARN with an empty name in --principals" \
    "${GRANT_BASE[@]}" --principals "111122223333,arn:aws:iam::111122223333:role/"
refuse_args "$GRANT" --bogus "an unknown option" "${GRANT_BASE[@]}" --bogus
refuse_args "$GRANT" "'-x'" "an unknown short option" "${GRANT_BASE[@]}" -x
refuse_args "$GRANT" "'extra'" "a stray argument" "${GRANT_BASE[@]}" extra
refuse_args "$GRANT" --function-arn "no --function-arn"
refuse_args "$GRANT" --principals "a bad --principals before a good one" \
    "${GRANT_BASE[@]}" --principals "111122223333," --principals 111122223333
refuse_args "$GRANT" --function-arn "a second --function-arn" \
    "${GRANT_BASE[@]}" --function-arn "$FN_ARN:staging"
refuse_args "$GRANT" --region "a bad --region after a good one" \
    "${GRANT_BASE[@]}" --region us-east-1 --region "US-EAST-1"

accept "$GRANT" "an alias in mixed case" "--qualifier Production" --function-arn "$FN_ARN:Production"
accept "$GRANT" "a 128-character alias" "--qualifier $(long a 128)" --function-arn "$FN_ARN:$(long a 128)"
accept "$GRANT" "an alias of digits and letters" "--qualifier 2024v" --function-arn "$FN_ARN:2024v"
accept "$GRANT" "a 64-character function name" "function:$(long f 64) " \
    --function-arn "arn:aws:lambda:us-east-1:$ACCOUNT:function:$(long f 64):production"
accept "$GRANT" "a GovCloud ARN" "--region us-gov-west-1 --function-name arn:aws-us-gov:lambda:us-gov-west-1:" \
    --function-arn "arn:aws-us-gov:lambda:us-gov-west-1:$ACCOUNT:function:partner-fn:production"
accept "$GRANT" "a China ARN" "--function-name arn:aws-cn:lambda:cn-north-1:" \
    --function-arn "arn:aws-cn:lambda:cn-north-1:$ACCOUNT:function:partner-fn:production"
accept "$GRANT" "--function-arn=ARN and --region=R" "--region us-west-2 " \
    --function-arn="$ALIAS_ARN" --region=us-west-2
accept "$GRANT" "--principals with two accounts" "--principal 444455556666" \
    --function-arn "$ALIAS_ARN" --principals 111122223333,444455556666

accept "$GRANT" "--principal with a role ARN" \
    "--principal arn:aws:iam::111122223333:role/stream/processor" \
    --function-arn "$ALIAS_ARN" --principal "arn:aws:iam::111122223333:role/stream/processor"
accept "$GRANT" "--principal with a user ARN whose name has a comma" \
    "--principal arn:aws:iam::111122223333:user/a\\,b" \
    --function-arn "$ALIAS_ARN" --principal "arn:aws:iam::111122223333:user/a,b"
accept "$GRANT" "--principal with a :root ARN, as the account" "--principal 111122223333" \
    --function-arn "$ALIAS_ARN" --principal "arn:aws:iam::111122223333:root"
accept "$GRANT" "--principal=ACCOUNT repeated" "--principal 444455556666" \
    --function-arn "$ALIAS_ARN" --principal=111122223333 --principal=444455556666
accept "$GRANT" "--print-policy" "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"$ALIAS_ARN\"}]}" \
    --function-arn "$ALIAS_ARN" --print-policy

# ---------------------------------------------------------------- deploy.sh

hostile "$DEPLOY" --function-name partner-fn \
    "$(long f 65)" \
    "partner.fn" \
    "partner:fn" \
    "partner/fn" \
    "$FN_ARN"

hostile "$DEPLOY" --region eu-west-1 \
    "EU-WEST-1" \
    "eu-west-1a" \
    "euwest1" \
    "eu_west_1" \
    "eu-west-01" \
    "eu-west-1,us-east-1"

for opt in --iam-role --role; do
    hostile "$DEPLOY" "$opt" "$ROLE_ARN" \
        "arn:aws:iam::$ACCOUNT:role/" \
        "arn:aws:iam::$ACCOUNT:role//partner-fn-role" \
        "arn:aws:iam::$ACCOUNT:role/partner-fn-role/" \
        "arn:aws:iam::$ACCOUNT:role/path//partner-fn-role" \
        "arn:aws:iam::$ACCOUNT:user/partner-fn-role" \
        "arn:aws:iam::$ACCOUNT:Role/partner-fn-role" \
        "ARN:aws:iam::$ACCOUNT:role/partner-fn-role" \
        "arn:AWS:iam::$ACCOUNT:role/partner-fn-role" \
        "arn:aws:IAM::$ACCOUNT:role/partner-fn-role" \
        "arn:aws:iam:us-east-1:$ACCOUNT:role/partner-fn-role" \
        "arn:aws:iam::12345678901:role/partner-fn-role" \
        "arn:aws:iam::$ACCOUNT:role/partner-fn-role:x" \
        "arn:aws:iam::$ACCOUNT:role/partner\$fn" \
        "arn:aws:iam::$ACCOUNT:role/$(long r 65)" \
        "arn:aws:iam::$ACCOUNT:role/$(long p 511)/r" \
        "partner-fn-role"
done

hostile "$DEPLOY" --memory 512 \
    0999 0128 00 127 10241 0 +512 512.0 1e3 0x200 512MB 1,024 \
    99999999999999999999 "٥١٢"

hostile "$DEPLOY" --timeout 60 \
    0 901 030 60s 1.5 99999999999

hostile "$DEPLOY" --reserved-concurrency 20 \
    1001 020 00 1e2 10.0 99999999999 "20,30"

for opt in --arch --architecture; do
    hostile "$DEPLOY" "$opt" arm64 \
        ARM64 X86_64 Arm64 arm x86 "arm64,x86_64"
done

hostile "$DEPLOY" --alias live \
    123 0 "\$LATEST" "$(long a 129)" "live:x" "live/x" "live.x" "live,prod"

hostile "$DEPLOY" --package example-integration \
    1example example.integration example/integration ../example-integration \
    "example-integration@0.1.0" "$(long p 65)"

hostile "$DEPLOY" --binary example-integration \
    1example example.integration bootstrap/../x "$(long b 65)"

hostile "$DEPLOY" --partner-api-url "$URL" \
    "ftp://api.partner.example/v1" \
    "HTTP://api.partner.example/v1" \
    "https://" \
    "https:///v1" \
    "https://api.partner.example:/v1" \
    "https://api.partner.example:0/v1" \
    "https://api.partner.example:65536/v1" \
    "https://api..partner.example/v1" \
    "https://-api.partner.example/v1" \
    "https://api.partner.example/v1,OTHER=x" \
    "https://user:secret@api.partner.example/v1" \
    "https://api.partner.example/v1/%zz" \
    "https://api.partner.example/v1/\"x\"" \
    "https://api.partner.example/<script>" \
    "https://api.partner.example/a\\b" \
    "https://api.partner.example/\${HOME}" \
    "https://api partner.example/v1" \
    "https://*/v1" \
    "api.partner.example/v1" \
    "//api.partner.example/v1" \
    "https://api.partner.example/$(long a 2100)"

hostile "$DEPLOY" --compiler cargo \
    zig Cargo CARGO zigbuild rustc "cargo lambda" "cross,cargo" "cargo-zigbuild "

hostile "$DEPLOY" --queue partner-events \
    "partner.events" "partner events" "$(long q 72)" "partner-events.FIFO" "partner/events" \
    ".fifo" "partner-events.fifo.fifo" "https://sqs.eu-west-1.amazonaws.com/$ACCOUNT/partner-events"

hostile "$DEPLOY" --partner-quota 100 0 0100 1000001 1.5 1e2 "100/s"
hostile "$DEPLOY" --consumer-rate 1 0 01 100001 0.5
hostile "$DEPLOY" --batch-size 10 0 11 010 "10,20"
hostile "$DEPLOY" --batching-window 5 301 05 1.5 5s
hostile "$DEPLOY" --max-receive-count 5 4 1001 05
hostile "$DEPLOY" --max-message-bytes 1048576 1023 1048577 01024 1MB
hostile "$DEPLOY" --retry-delay 30 0 901 030 30s

refuse_args "$DEPLOY" --skip-deploy "--skip-deploy=yes" "${DEPLOY_BASE[@]}" --queue q --skip-deploy=yes
refuse_args "$DEPLOY" --skip-deploy "--skip-deploy without --queue" "${DEPLOY_BASE[@]}" --skip-deploy
refuse_args "$DEPLOY" --batching-window "a batching window on a FIFO queue" \
    "${DEPLOY_BASE[@]}" --queue partner-events.fifo --batching-window 5
refuse_args "$DEPLOY" --consumer-rate "a quota needing over 1000 consumers" \
    "${DEPLOY_BASE[@]}" --queue partner-events --partner-quota 1001 --consumer-rate 1
refuse_args "$DEPLOY" --function-url-only "--function-url-only with --queue" \
    "${DEPLOY_BASE[@]}" --queue partner-events --function-url-only
refuse_args "$DEPLOY" --arm64 "--arm64=yes" "${DEPLOY_BASE[@]}" --arm64=yes
refuse_args "$DEPLOY" --dry-run "--dry-run=--arm64" "${DEPLOY_BASE[@]}" --dry-run=--arm64
refuse_args "$DEPLOY" --help "--help=all" "${DEPLOY_BASE[@]}" --help=all
refuse_args "$DEPLOY" --bogus "an unknown option" "${DEPLOY_BASE[@]}" --bogus
refuse_args "$DEPLOY" "'-x'" "an unknown short option" "${DEPLOY_BASE[@]}" -x
refuse_args "$DEPLOY" "'extra'" "a stray argument" "${DEPLOY_BASE[@]}" extra
refuse_args "$DEPLOY" --memory "a bad --memory before a good one" \
    "${DEPLOY_BASE[@]}" --memory 0999 --memory 999
refuse_args "$DEPLOY" --package "a bad --package after a good one" \
    "${DEPLOY_BASE[@]}" --package example-integration --package "x y"
RUN_ENV=(AWS_REGION=US-EAST-1 AWS_DEFAULT_REGION=US-EAST-1)
base "$DEPLOY" --region
refuse_args "$DEPLOY" AWS_REGION "a malformed AWS_REGION (no --region)" "${BASE[@]}"
RUN_ENV=()

accept "$DEPLOY" "--memory 128" "--memory 128 " "${DEPLOY_BASE[@]}" --memory 128
accept "$DEPLOY" "--memory 10240" "--memory 10240 " "${DEPLOY_BASE[@]}" --memory 10240
accept "$DEPLOY" "--timeout 1" "--timeout 1 " "${DEPLOY_BASE[@]}" --timeout 1
accept "$DEPLOY" "--timeout=900" "--timeout 900 " "${DEPLOY_BASE[@]}" --timeout=900
accept "$DEPLOY" "--reserved-concurrency 0" "--reserved-concurrent-executions 0" \
    "${DEPLOY_BASE[@]}" --reserved-concurrency 0
accept "$DEPLOY" "--reserved-concurrency 1000" "--reserved-concurrent-executions 1000" \
    "${DEPLOY_BASE[@]}" --reserved-concurrency 1000
accept "$DEPLOY" "an alias in mixed case" "--alias Production " "${DEPLOY_BASE[@]}" --alias Production
accept "$DEPLOY" "a 128-character alias" "--alias $(long a 128) " "${DEPLOY_BASE[@]}" --alias "$(long a 128)"
accept "$DEPLOY" "a 64-character function name" " $(long f 64)" \
    "${DEPLOY_BASE[@]}" --function-name "$(long f 64)"
accept "$DEPLOY" "a role with a path and every name character" \
    "--iam-role arn:aws:iam::$ACCOUNT:role/service-role/a+=\\,.@_-z" \
    "${DEPLOY_BASE[@]}" --iam-role "arn:aws:iam::$ACCOUNT:role/service-role/a+=,.@_-z"
accept "$DEPLOY" "a GovCloud role and region" "--iam-role arn:aws-us-gov:iam::$ACCOUNT:role/r" \
    "${DEPLOY_BASE[@]}" --region us-gov-west-1 --role "arn:aws-us-gov:iam::$ACCOUNT:role/r"
accept "$DEPLOY" "a URL with a port, a query and escapes" \
    "PARTNER_API_URL=http://127.0.0.1:8080/api\\?x=1\\&y=%2F" \
    "${DEPLOY_BASE[@]}" --partner-api-url "http://127.0.0.1:8080/api?x=1&y=%2F"
accept "$DEPLOY" "an IPv6 URL" "PARTNER_API_URL=https://\\[::1\\]/" \
    "${DEPLOY_BASE[@]}" --partner-api-url "https://[::1]/"
for compiler in cargo cargo-zigbuild cross; do
    accept "$DEPLOY" "--compiler $compiler" "--compiler $compiler" "${DEPLOY_BASE[@]}" --compiler "$compiler"
done
accept "$DEPLOY" "--arch aarch64" "--arm64" "${DEPLOY_BASE[@]}" --arch aarch64
accept "$DEPLOY" "--architecture=amd64" "--x86-64" "${DEPLOY_BASE[@]}" --architecture=amd64
accept "$DEPLOY" "queue mode" "create-event-source-mapping --function-name partner-fn:live" \
    "${DEPLOY_BASE[@]}" --queue partner-events --partner-quota 50 --batch-size 5
accept "$DEPLOY" "a 71-character FIFO queue" "--queue-name $(long q 71)-dlq.fifo" \
    "${DEPLOY_BASE[@]}" --queue "$(long q 71).fifo"
accept "$DEPLOY" "--skip-deploy" "create-event-source-mapping" \
    "${DEPLOY_BASE[@]}" --queue partner-events --skip-deploy
accept "$DEPLOY" "a package name with an underscore" "--package example_integration " \
    "${DEPLOY_BASE[@]}" --package example_integration

# ---------------------------------------------------------------- nothing was evaluated

if [[ -e "$PWNED" ]]; then
    not_ok "no hostile value was evaluated by a shell ($PWNED exists)"
else
    ok "no hostile value was evaluated by a shell"
fi

finish
