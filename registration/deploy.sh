#!/usr/bin/env bash
# Build the example integration with cargo-lambda, deploy it to AWS Lambda
# behind an alias (production by default) and print the alias ARN to grant
# mParticle access to.
set -euo pipefail

PROG="$(basename "$0")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/validate.sh
source "$HERE/lib/validate.sh"

# Reserved concurrency is capped at the default regional concurrency quota of
# an AWS account (1,000); Lambda also keeps 100 of the quota unreserved.
MAX_RESERVED_CONCURRENCY=1000

usage() {
    cat <<EOF
Usage: $PROG [options]

Builds the integration with 'cargo lambda build --release --output-format zip',
deploys it with 'cargo lambda deploy --alias ALIAS' (which publishes a new
version and points the alias at it), applies the reserved concurrency, and
prints the alias-qualified function ARN plus the command that grants
mParticle access to it.

Options:
  --function-name NAME        Lambda function name (default: mparticle-firehose-example)
  --region R                  AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / your profile's)
  --iam-role ARN              Execution role, arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME
                              (default: cargo-lambda creates a basic one)
  --memory MB                 Memory size, 128-10240 (default: 256)
  --timeout SECONDS           Timeout, 1-900 (default: 30)
  --reserved-concurrency N    Reserved concurrency, 0-$MAX_RESERVED_CONCURRENCY (an account's default quota), via
                              'aws lambda put-function-concurrency' (default: leave the function's setting alone)
  --arch x86_64|arm64         Architecture to build for (default: x86_64); --arm64 is short for --arch arm64
  --alias NAME                Alias mParticle invokes (default: production)
  --package NAME              Cargo package to build (default: example-integration)
  --binary NAME               Binary of that package (default: read from the package's Cargo targets)
  --partner-api-url URL       Sets the PARTNER_API_URL environment variable of the function
                              (an http or https URL without commas, spaces or credentials)
  --compiler NAME             Passed to 'cargo lambda build --compiler' (cargo, cargo-zigbuild, cross);
                              'cargo' builds without zig when the host matches the target
  --dry-run                   Print the commands (shell-quoted) instead of running them
  -h, --help                  Show this help

Each value may also be given as --option=VALUE. Every value is checked before
anything runs; a malformed one (a value starting with '-', a control
character, a number with leading zeros or out of range, ...) is refused with
exit status 2.
EOF
}

function_name="mparticle-firehose-example"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
iam_role=""
memory=256
timeout=30
reserved=""
arch="x86_64"
alias_name="production"
package="example-integration"
binary=""
partner_api_url=""
compiler=""
dry_run=0

# Every value is checked as it is read, so that a malformed one is refused
# even when a later repetition of the option would override it.
while [[ $# -gt 0 ]]; do
    case "$1" in
        --function-name | --function-name=*)
            vd_take "$@"; vd_function_name "$VD_OPT" "$VD_VALUE"; function_name="$VD_VALUE" ;;
        --region | --region=*)
            vd_take "$@"; vd_region "$VD_OPT" "$VD_VALUE"; region="$VD_VALUE" ;;
        --iam-role | --iam-role=* | --role | --role=*)
            vd_take "$@"; vd_role_arn "$VD_OPT" "$VD_VALUE"; iam_role="$VD_VALUE" ;;
        --memory | --memory=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 128 10240 MB; memory="$VD_VALUE" ;;
        --timeout | --timeout=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 1 900 seconds; timeout="$VD_VALUE" ;;
        --reserved-concurrency | --reserved-concurrency=*)
            vd_take "$@"
            vd_int "$VD_OPT" "$VD_VALUE" 0 "$MAX_RESERVED_CONCURRENCY" "concurrent executions"
            reserved="$VD_VALUE" ;;
        --arch | --arch=* | --architecture | --architecture=*)
            vd_take "$@"
            case "$VD_VALUE" in
                x86_64 | x86-64 | amd64) arch="x86_64" ;;
                arm64 | aarch64) arch="arm64" ;;
                *) usage_error "invalid $VD_OPT $(vd_show "$VD_VALUE") (x86_64 or arm64)" ;;
            esac ;;
        --alias | --alias=*)
            vd_take "$@"; vd_alias "$VD_OPT" "$VD_VALUE"; alias_name="$VD_VALUE" ;;
        --package | --package=*)
            vd_take "$@"; vd_cargo_name "$VD_OPT" "$VD_VALUE" package; package="$VD_VALUE" ;;
        --binary | --binary=*)
            vd_take "$@"; vd_cargo_name "$VD_OPT" "$VD_VALUE" binary; binary="$VD_VALUE" ;;
        --partner-api-url | --partner-api-url=*)
            vd_take "$@"; vd_http_url "$VD_OPT" "$VD_VALUE"; partner_api_url="$VD_VALUE" ;;
        --compiler | --compiler=*)
            vd_take "$@"; vd_compiler "$VD_OPT" "$VD_VALUE"; compiler="$VD_VALUE" ;;
        --arm64) arch="arm64"; VD_SHIFT=1 ;;
        --dry-run) dry_run=1; VD_SHIFT=1 ;;
        -h | --help) usage; exit 0 ;;
        --arm64=* | --dry-run=* | --help=*) vd_flag "$1" ;;
        *) vd_unknown "$1" ;;
    esac
    shift "$VD_SHIFT"
done

# ---------------------------------------------------------------- validation
# The region may come from the environment rather than --region.

if [[ -n "$region" ]] && ! vd_is_region "$region"; then
    usage_error "invalid region $(vd_show "$region") from AWS_REGION / AWS_DEFAULT_REGION (expected e.g. us-east-1; or pass --region)"
fi
if [[ "$reserved" == 0 ]]; then
    printf '%s: warning: --reserved-concurrency 0 throttles every invocation\n' "$PROG" >&2
fi
case "$arch" in
    x86_64) arch_flag="--x86-64" ;;
    arm64) arch_flag="--arm64" ;;
esac

# The binary cargo-lambda packages as `bootstrap`: the package's bin target
# named like the package, else its only bin target; the package name when
# the targets cannot be read (cargo's default for src/main.rs).
detect_binary() {
    local meta
    if meta="$(cd "$ROOT" && cargo metadata --no-deps --format-version 1 --offline 2>/dev/null)"; then
        python3 -c '
import json, sys
package = sys.argv[1]
meta = json.load(sys.stdin)
for p in meta["packages"]:
    if p["name"] == package:
        bins = [t["name"] for t in p["targets"] if "bin" in t["kind"]]
        if package in bins:
            print(package)
        elif len(bins) == 1:
            print(bins[0])
        else:
            sys.exit("package %s has bin targets %s: choose one with --binary" % (package, bins))
        sys.exit(0)
sys.exit("package %s is not in the workspace" % package)
' "$package" <<<"$meta"
    else
        printf '%s' "$package"
    fi
}
if [[ -z "$binary" ]]; then
    binary="$(detect_binary)" || usage_error "could not choose the binary of package '$package'"
fi

# ---------------------------------------------------------------- commands

region_args=()
if [[ -n "$region" ]]; then region_args=(--region "$region"); fi

build_cmd=(cargo lambda build --release "$arch_flag" --output-format zip --package "$package" --bin "$binary")
if [[ -n "$compiler" ]]; then build_cmd+=(--compiler "$compiler"); fi

deploy_cmd=(cargo lambda deploy "${region_args[@]}" --alias "$alias_name"
    --memory "$memory" --timeout "$timeout" --binary-name "$binary")
if [[ -n "$iam_role" ]]; then deploy_cmd+=(--iam-role "$iam_role"); fi
if [[ -n "$partner_api_url" ]]; then deploy_cmd+=(--env-var "PARTNER_API_URL=$partner_api_url"); fi
deploy_cmd+=("$function_name")

concurrency_cmd=()
if [[ -n "$reserved" ]]; then
    concurrency_cmd=(aws lambda put-function-concurrency "${region_args[@]}"
        --function-name "$function_name" --reserved-concurrent-executions "$reserved")
fi

get_alias_cmd=(aws lambda get-alias "${region_args[@]}" --function-name "$function_name"
    --name "$alias_name" --query AliasArn --output text)

quote_cmd() {
    local out="" arg
    for arg in "$@"; do out+="${out:+ }$(printf '%q' "$arg")"; done
    printf '%s\n' "$out"
}

grant_hint() {
    printf '%s\n' "Next, allow mParticle to invoke the alias:"
    printf '  %s\n' "$(quote_cmd registration/grant-mparticle-access.sh --function-arn "$1")"
}

if [[ $dry_run -eq 1 ]]; then
    echo "# dry run: nothing is built or deployed. Run from $(printf '%q' "$ROOT"):"
    quote_cmd "${build_cmd[@]}"
    quote_cmd "${deploy_cmd[@]}"
    if [[ ${#concurrency_cmd[@]} -gt 0 ]]; then quote_cmd "${concurrency_cmd[@]}"; fi
    quote_cmd "${get_alias_cmd[@]}"
    echo "# then: registration/grant-mparticle-access.sh --function-arn <the AliasArn printed above>"
    exit 0
fi

cargo lambda --version >/dev/null 2>&1 ||
    die "cargo-lambda is not available ('cargo lambda --version' failed)" \
        "Install it, e.g.: source scripts/ensure-python-tools.sh cargo-lambda"
command -v aws >/dev/null 2>&1 ||
    die "the aws CLI is not on PATH" "Install it, e.g.: source scripts/ensure-python-tools.sh aws"
export AWS_PAGER=""

cd "$ROOT"
run() {
    printf '+ %s\n' "$(quote_cmd "$@")" >&2
    "$@"
}
run "${build_cmd[@]}"
run "${deploy_cmd[@]}"
if [[ ${#concurrency_cmd[@]} -gt 0 ]]; then
    run "${concurrency_cmd[@]}" >/dev/null
fi

alias_arn="$(run "${get_alias_cmd[@]}")"
[[ "$alias_arn" == arn:*:function:"$function_name":"$alias_name" ]] ||
    die "unexpected alias ARN from get-alias: '$alias_arn'"

cat <<EOF

Deployed $function_name ($arch) behind alias $alias_name:

  $alias_arn

$(grant_hint "$alias_arn")
EOF
