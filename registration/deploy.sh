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
  --function-url              Also serve the alias over HTTPS (mParticle's HTTP integration): an
                              AuthType NONE function URL on the alias and both resource-policy
                              statements it needs, each created only when missing. The token
                              agreed with mParticle is read from the environment (--http-token-env)
                              and reaches the function through a private temporary --env-file,
                              so that no command line shows it
  --http-token-env VAR        Environment variable holding that token (default: FIREHOSE_HTTP_TOKEN)
  --function-url-only         Only the function URL and its permissions, on an alias deployed
                              before (nothing is built or deployed; no token needed)
  --dry-run                   Print the commands (shell-quoted) instead of running them
  -h, --help                  Show this help

Queue mode (mParticle gets its answer as soon as SQS has the message; an event
source mapping drains the queue into the same alias at the partner's pace):
  --queue NAME                Create or update the SQS queue NAME and its dead-letter
                              queue NAME-dlq (a name ending in .fifo makes both FIFO),
                              set FIREHOSE_QUEUE_URL on the function, allow its role to
                              send to and consume from the queue, and create or update
                              the event source mapping on the alias. Idempotent.
  --partner-quota N           The partner API's quota, requests per second (default: 100)
  --consumer-rate N           Requests per second one consumer environment may send
                              (default: 1); the mapping's MaximumConcurrency is
                              quota / rate (2-1000)
  --batch-size N              Records per consumer invocation, 1-10 (default: 10)
  --batching-window SECONDS   The mapping's MaximumBatchingWindowInSeconds, 0-300 (default: 0)
  --max-receive-count N       Receives before a message moves to the dead-letter queue,
                              5-1000 (default: 5)
  --max-message-bytes N       The queue's MaximumMessageSize, 1024-1048576 (default: 1048576);
                              larger messages are split by the function
  --retry-delay SECONDS       FIREHOSE_QUEUE_RETRY_DELAY_SECONDS, 1-900 (default: unset)
  --skip-deploy               Do not build or deploy: configure queue mode for the function
                              and alias already deployed (publishes a version with the new
                              environment and points the alias at it)
  The queue's visibility timeout is six times the function timeout.

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
# Queue mode.
queue_name=""
partner_quota=100
consumer_rate=1
batch_size=10
batching_window=0
max_receive_count=5
max_message_bytes=1048576
retry_delay=""
skip_deploy=0
function_url=0
function_url_only=0
http_token_env="FIREHOSE_HTTP_TOKEN"

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
        --function-url) function_url=1; VD_SHIFT=1 ;;
        --function-url-only) function_url=1; function_url_only=1; VD_SHIFT=1 ;;
        --http-token-env | --http-token-env=*)
            # Checked with the other function URL options below.
            vd_take "$@"; vd_printable "$VD_OPT" "$VD_VALUE"; http_token_env="$VD_VALUE" ;;
        --queue | --queue=*)
            # Checked with the other queue options below.
            vd_take "$@"; queue_name="$VD_VALUE" ;;
        --partner-quota | --partner-quota=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 1 1000000 "requests per second"
            partner_quota="$VD_VALUE" ;;
        --consumer-rate | --consumer-rate=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 1 100000 "requests per second"
            consumer_rate="$VD_VALUE" ;;
        --batch-size | --batch-size=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 1 10 records; batch_size="$VD_VALUE" ;;
        --batching-window | --batching-window=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 0 300 seconds; batching_window="$VD_VALUE" ;;
        --max-receive-count | --max-receive-count=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 5 1000 receives; max_receive_count="$VD_VALUE" ;;
        --max-message-bytes | --max-message-bytes=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 1024 1048576 bytes; max_message_bytes="$VD_VALUE" ;;
        --retry-delay | --retry-delay=*)
            vd_take "$@"; vd_int "$VD_OPT" "$VD_VALUE" 1 900 seconds; retry_delay="$VD_VALUE" ;;
        --skip-deploy) skip_deploy=1; VD_SHIFT=1 ;;
        -h | --help) usage; exit 0 ;;
        --arm64=* | --dry-run=* | --help=* | --function-url=* | --function-url-only=* | --skip-deploy=*) vd_flag "$1" ;;
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

# Strict checks of the function URL options, kept in this one function (the other options are
# validated above). The token must pass through a KEY=VALUE env file unquoted: letters, digits
# and . _ ~ + / = - (registration/template-http.json takes any printable ASCII).
http_token=""
validate_function_url_options() {
    local LC_ALL=C
    [[ "$http_token_env" =~ ^[A-Za-z_][A-Za-z0-9_]*$ && ${#http_token_env} -le 128 ]] ||
        usage_error "invalid --http-token-env '$http_token_env' (an environment variable name)"
    if [[ $function_url -eq 0 ]]; then
        [[ "$http_token_env" == FIREHOSE_HTTP_TOKEN ]] ||
            usage_error "--http-token-env needs --function-url"
        return 0
    fi
    [[ $function_url_only -eq 0 ]] || return 0
    http_token="${!http_token_env-}"
    [[ -n "$http_token" ]] ||
        usage_error "--function-url needs the token agreed with mParticle in \$$http_token_env (read from the environment so that no command line shows it)"
    [[ ${#http_token} -le 1024 && "$http_token" =~ ^[A-Za-z0-9._~+/=-]+$ ]] ||
        usage_error "the token in \$$http_token_env must be 1-1024 of A-Z a-z 0-9 . _ ~ + / = -"
}
validate_function_url_options

# ---------------------------------------------------------------- queue mode: validation

validate_queue_options() {
    if [[ -z "$queue_name" ]]; then
        [[ $skip_deploy -eq 0 ]] || usage_error "--skip-deploy only configures queue mode: add --queue NAME"
        return 0
    fi
    # SQS names are 1-80 of A-Z a-z 0-9 - _ (.fifo included), and NAME-dlq must fit too.
    [[ "$queue_name" =~ ^[A-Za-z0-9_-]{1,71}(\.fifo)?$ ]] ||
        usage_error "invalid --queue $(vd_show "$queue_name") (1-71 of A-Z a-z 0-9 - _, optionally ending in .fifo)"
    if [[ $function_url_only -eq 1 ]]; then
        usage_error "--function-url-only adds a function URL and nothing else: use --queue NAME --skip-deploy for queue mode"
    fi
    # The numbers were checked as they were read; only their combinations are left.
    if [[ "$queue_name" == *.fifo && "$batching_window" != 0 ]]; then
        usage_error "--batching-window must be 0 for a FIFO queue"
    fi
    max_concurrency=$(((partner_quota + consumer_rate - 1) / consumer_rate))
    if ((max_concurrency > 1000)); then
        usage_error "--partner-quota / --consumer-rate needs $max_concurrency environments; a mapping drives at most 1000 (raise --consumer-rate)"
    fi
    ((max_concurrency >= 2)) || max_concurrency=2
    dead_name="${queue_name%.fifo}-dlq"
    if [[ "$queue_name" == *.fifo ]]; then dead_name+=".fifo"; fi
}
validate_queue_options

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
if [[ -z "$binary" && $function_url_only -eq 0 ]]; then
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
if [[ $function_url -eq 1 && $function_url_only -eq 0 ]]; then
    if [[ $dry_run -eq 1 ]]; then
        token_file="TOKEN_FILE"
    else
        token_file="$(umask 077 && mktemp)"
        trap 'rm -f "$token_file"' EXIT
        printf 'FIREHOSE_HTTP_TOKEN=%s\n' "$http_token" >"$token_file"
    fi
    deploy_cmd+=(--env-file "$token_file")
fi
deploy_cmd+=("$function_name")

if [[ -n "$queue_name" ]]; then
    # shellcheck source=registration/lib/queue.sh
    source "$HERE/lib/queue.sh"
fi

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

# Queue mode: the queue settings go into the version cargo lambda deploy publishes.
with_queue_env() { # with_queue_env QUEUE_URL
    local kv env_args=()
    while IFS= read -r kv; do env_args+=(--env-var "$kv"); done < <(queue_env "$1")
    deploy_cmd=("${deploy_cmd[@]:0:${#deploy_cmd[@]}-1}" "${env_args[@]}" "$function_name")
}

# The function URL on the alias, and the two statements a public URL needs since October 2025
# (without the second, every request is refused with 403). Re-runs find what they created by
# statement id; a statement with the same content under another id counts too.
url_sid="mparticle-firehose-url"
url_invoke_sid="mparticle-firehose-url-invoke"
qualified=("${region_args[@]}" --function-name "$function_name" --qualifier "$alias_name")
get_url_cmd=(aws lambda get-function-url-config "${qualified[@]}" --query AuthType --output text)
create_url_cmd=(aws lambda create-function-url-config "${qualified[@]}" --auth-type NONE)
update_url_cmd=(aws lambda update-function-url-config "${qualified[@]}" --auth-type NONE)
url_permission_cmd=(aws lambda add-permission "${qualified[@]}" --statement-id "$url_sid"
    --action lambda:InvokeFunctionUrl --principal '*' --function-url-auth-type NONE)
url_invoke_permission_cmd=(aws lambda add-permission "${qualified[@]}" --statement-id "$url_invoke_sid"
    --action lambda:InvokeFunction --principal '*' --invoked-via-function-url)
get_policy_cmd=(aws lambda get-policy "${qualified[@]}" --query Policy --output text)
url_cmd=(aws lambda get-function-url-config "${qualified[@]}" --query FunctionUrl --output text)

# Which of the two statements a resource policy (JSON on stdin) has: prints `url`, `invoke`.
present_statements() {
    python3 -c '
import json, sys
url_sid, invoke_sid = sys.argv[1:3]
try:
    statements = json.loads(sys.stdin.read() or "{}").get("Statement", [])
except ValueError:
    statements = []
def public(s):
    p = s.get("Principal")
    return p == "*" or (isinstance(p, dict) and p.get("AWS") == "*")
def condition(s, op, key):
    return str((s.get("Condition") or {}).get(op, {}).get(key, "")).lower()
for s in statements:
    action = s.get("Action")
    if s.get("Sid") == url_sid or (action == "lambda:InvokeFunctionUrl" and public(s)
            and condition(s, "StringEquals", "lambda:FunctionUrlAuthType") == "none"):
        print("url")
    if s.get("Sid") == invoke_sid or (action == "lambda:InvokeFunction" and public(s)
            and condition(s, "Bool", "lambda:InvokedViaFunctionUrl") == "true"):
        print("invoke")
' "$url_sid" "$url_invoke_sid"
}

function_url_value=""
setup_function_url() {
    local auth err policy present
    err="$(mktemp)"
    if auth="$("${get_url_cmd[@]}" 2>"$err")"; then
        if [[ "$auth" != NONE ]]; then run "${update_url_cmd[@]}" >/dev/null; fi
    elif grep -q ResourceNotFoundException "$err"; then
        run "${create_url_cmd[@]}" >/dev/null
    else
        die "cannot read the function URL of $function_name:$alias_name" "$(cat "$err")"
    fi
    if policy="$("${get_policy_cmd[@]}" 2>"$err")"; then
        :
    elif grep -q ResourceNotFoundException "$err"; then
        policy="{}"
    else
        die "cannot read the resource policy of $function_name:$alias_name" "$(cat "$err")"
    fi
    rm -f "$err"
    present="$(present_statements <<<"$policy")"
    if ! grep -qx url <<<"$present"; then run "${url_permission_cmd[@]}" >/dev/null; fi
    if ! grep -qx invoke <<<"$present"; then run "${url_invoke_permission_cmd[@]}" >/dev/null; fi
    function_url_value="$(run "${url_cmd[@]}")"
    [[ "$function_url_value" == http*://* ]] ||
        die "unexpected function URL from get-function-url-config: '$function_url_value'"
}

print_url_steps() {
    quote_cmd "${create_url_cmd[@]}"
    quote_cmd "${url_permission_cmd[@]}"
    quote_cmd "${url_invoke_permission_cmd[@]}"
    quote_cmd "${url_cmd[@]}"
}

if [[ $dry_run -eq 1 && $function_url_only -eq 1 ]]; then
    echo "# dry run: nothing is changed. The function URL of $function_name:$alias_name, each step only when missing:"
    print_url_steps
    exit 0
fi

if [[ $dry_run -eq 1 ]]; then
    echo "# dry run: nothing is built or deployed. Run from $(printf '%q' "$ROOT"):"
    if [[ -n "$queue_name" ]]; then queue_dry_run_head; fi
    if [[ $skip_deploy -eq 0 ]]; then
        if [[ -n "$queue_name" ]]; then with_queue_env '<QueueUrl>'; fi
        quote_cmd "${build_cmd[@]}"
        quote_cmd "${deploy_cmd[@]}"
        if [[ ${#concurrency_cmd[@]} -gt 0 ]]; then quote_cmd "${concurrency_cmd[@]}"; fi
    fi
    quote_cmd "${get_alias_cmd[@]}"
    if [[ -n "$queue_name" ]]; then queue_dry_run_tail; fi
    if [[ $function_url -eq 1 ]]; then
        echo "# TOKEN_FILE: a private temporary file (mode 600) holding FIREHOSE_HTTP_TOKEN=<\$$http_token_env>, removed on exit"
        echo "# then the function URL on the alias, each step only when missing:"
        print_url_steps
    else
        echo "# then: registration/grant-mparticle-access.sh --function-arn <the AliasArn printed above>"
    fi
    exit 0
fi

if [[ $skip_deploy -eq 0 && $function_url_only -eq 0 ]]; then
    cargo lambda --version >/dev/null 2>&1 ||
        die "cargo-lambda is not available ('cargo lambda --version' failed)" \
            "Install it, e.g.: source scripts/ensure-python-tools.sh cargo-lambda"
fi
command -v aws >/dev/null 2>&1 ||
    die "the aws CLI is not on PATH" "Install it, e.g.: source scripts/ensure-python-tools.sh aws"
export AWS_PAGER=""

cd "$ROOT"
run() {
    printf '+ %s\n' "$(quote_cmd "$@")" >&2
    "$@"
}
if [[ $function_url_only -eq 1 ]]; then
    setup_function_url
    printf '\nThe function URL of %s:%s, for mParticle'"'"'s HTTP integration:\n\n  %s\n' \
        "$function_name" "$alias_name" "$function_url_value"
    exit 0
fi
if [[ -n "$queue_name" ]]; then
    queue_create
    with_queue_env "$queue_url"
fi
if [[ $skip_deploy -eq 0 ]]; then
    run "${build_cmd[@]}"
    run "${deploy_cmd[@]}"
    if [[ ${#concurrency_cmd[@]} -gt 0 ]]; then
        run "${concurrency_cmd[@]}" >/dev/null
    fi
fi

alias_arn="$(run "${get_alias_cmd[@]}")"
[[ "$alias_arn" == arn:*:function:"$function_name":"$alias_name" ]] ||
    die "unexpected alias ARN from get-alias: '$alias_arn'"
if [[ -n "$queue_name" ]]; then
    queue_connect
    cat <<EOF

Queue mode: $queue_url
  dead-letter queue: $dead_url (after $max_receive_count receives)
  event source mapping $mapping_uuid on $alias_name: batch $batch_size, window ${batching_window} s,
  MaximumConcurrency $max_concurrency (partner quota $partner_quota/s, $consumer_rate/s per environment)
EOF
fi

cat <<EOF

Deployed $function_name ($arch) behind alias $alias_name:

  $alias_arn

$(grant_hint "$alias_arn")
EOF
if [[ $function_url -eq 1 ]]; then
    setup_function_url
    cat <<EOF

Served over HTTPS for mParticle's HTTP integration (the token is in FIREHOSE_HTTP_TOKEN):

  $function_url_value

Check it as mParticle would: firehose probe --url $function_url_value (token from FIREHOSE_HTTP_TOKEN)
EOF
fi
