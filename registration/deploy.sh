#!/usr/bin/env bash
# Build the example integration with cargo-lambda, deploy it to AWS Lambda
# behind an alias (production by default) and print the alias ARN to grant
# mParticle access to.
set -euo pipefail

PROG="$(basename "$0")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

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
  --iam-role ARN              Execution role (default: cargo-lambda creates a basic one)
  --memory MB                 Memory size, 128-10240 (default: 256)
  --timeout SECONDS           Timeout, 1-900 (default: 30)
  --reserved-concurrency N    Reserved concurrency, via 'aws lambda put-function-concurrency'
                              (default: leave the function's setting alone)
  --arch x86_64|arm64         Architecture to build for (default: x86_64); --arm64 is short for --arch arm64
  --alias NAME                Alias mParticle invokes (default: production)
  --package NAME              Cargo package to build (default: example-integration)
  --binary NAME               Binary of that package (default: read from the package's Cargo targets)
  --partner-api-url URL       Sets the PARTNER_API_URL environment variable of the function
  --compiler NAME             Passed to 'cargo lambda build --compiler' (cargo, cargo-zigbuild, cross);
                              'cargo' builds without zig when the host matches the target
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
EOF
}

die() {
    printf '%s: error: %s\n' "$PROG" "$1" >&2
    shift
    local line
    for line in "$@"; do printf '  %s\n' "$line" >&2; done
    exit "${EXIT_CODE:-1}"
}
usage_error() { EXIT_CODE=2 die "$@"; }

need_value() {
    [[ $# -ge 2 && -n "$2" ]] || usage_error "$1 needs a value (see --help)"
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

while [[ $# -gt 0 ]]; do
    case "$1" in
        --function-name) need_value "$@"; function_name="$2"; shift 2 ;;
        --region) need_value "$@"; region="$2"; shift 2 ;;
        --iam-role | --role) need_value "$@"; iam_role="$2"; shift 2 ;;
        --memory) need_value "$@"; memory="$2"; shift 2 ;;
        --timeout) need_value "$@"; timeout="$2"; shift 2 ;;
        --reserved-concurrency) need_value "$@"; reserved="$2"; shift 2 ;;
        --arch | --architecture) need_value "$@"; arch="$2"; shift 2 ;;
        --arm64) arch="arm64"; shift ;;
        --alias) need_value "$@"; alias_name="$2"; shift 2 ;;
        --package) need_value "$@"; package="$2"; shift 2 ;;
        --binary) need_value "$@"; binary="$2"; shift 2 ;;
        --partner-api-url) need_value "$@"; partner_api_url="$2"; shift 2 ;;
        --compiler) need_value "$@"; compiler="$2"; shift 2 ;;
        --dry-run) dry_run=1; shift ;;
        --queue) need_value "$@"; queue_name="$2"; shift 2 ;;
        --partner-quota) need_value "$@"; partner_quota="$2"; shift 2 ;;
        --consumer-rate) need_value "$@"; consumer_rate="$2"; shift 2 ;;
        --batch-size) need_value "$@"; batch_size="$2"; shift 2 ;;
        --batching-window) need_value "$@"; batching_window="$2"; shift 2 ;;
        --max-receive-count) need_value "$@"; max_receive_count="$2"; shift 2 ;;
        --max-message-bytes) need_value "$@"; max_message_bytes="$2"; shift 2 ;;
        --retry-delay) need_value "$@"; retry_delay="$2"; shift 2 ;;
        --skip-deploy) skip_deploy=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
        *) usage_error "unknown argument: $1 (see --help)" ;;
    esac
done

# ---------------------------------------------------------------- validation

[[ "$function_name" =~ ^[A-Za-z0-9_-]{1,64}$ ]] ||
    usage_error "invalid --function-name '$function_name' (1-64 of A-Z a-z 0-9 - _)"
[[ -z "$region" || "$region" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] ||
    usage_error "invalid --region '$region' (expected e.g. us-east-1)"
[[ -z "$iam_role" || "$iam_role" =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$ ]] ||
    usage_error "invalid --iam-role '$iam_role' (expected arn:aws:iam::123456789012:role/NAME)"
if [[ ! "$memory" =~ ^[0-9]{3,5}$ ]] || ((10#$memory < 128 || 10#$memory > 10240)); then
    usage_error "invalid --memory '$memory' (128-10240 MB)"
fi
if [[ ! "$timeout" =~ ^[0-9]{1,3}$ ]] || ((10#$timeout < 1 || 10#$timeout > 900)); then
    usage_error "invalid --timeout '$timeout' (1-900 seconds)"
fi
# cargo-lambda splits --env-var values on commas.
[[ "$partner_api_url" != *,* ]] ||
    usage_error "--partner-api-url must not contain a comma (cargo lambda deploy --env-var splits on commas)"
[[ -z "$reserved" || "$reserved" =~ ^[0-9]+$ ]] ||
    usage_error "invalid --reserved-concurrency '$reserved' (a whole number)"
if [[ "$reserved" == 0 ]]; then
    printf '%s: warning: --reserved-concurrency 0 throttles every invocation\n' "$PROG" >&2
fi
case "$arch" in
    x86_64 | x86-64 | amd64) arch="x86_64"; arch_flag="--x86-64" ;;
    arm64 | aarch64) arch="arm64"; arch_flag="--arm64" ;;
    *) usage_error "invalid --arch '$arch' (x86_64 or arm64)" ;;
esac
if [[ ! "$alias_name" =~ ^[A-Za-z0-9_-]{1,128}$ || "$alias_name" =~ ^[0-9]+$ ]]; then
    usage_error "invalid --alias '$alias_name' (1-128 of A-Z a-z 0-9 - _, not all digits)"
fi

# ---------------------------------------------------------------- queue mode: validation

# in_range OPTION VALUE MIN MAX: VALUE is a whole number from MIN to MAX.
in_range() {
    if [[ ! "$2" =~ ^[0-9]{1,7}$ ]] || ((10#$2 < $3 || 10#$2 > $4)); then
        usage_error "invalid $1 '$2' (a whole number from $3 to $4)"
    fi
}

validate_queue_options() {
    if [[ -z "$queue_name" ]]; then
        [[ $skip_deploy -eq 0 ]] || usage_error "--skip-deploy only configures queue mode: add --queue NAME"
        return 0
    fi
    # SQS names are 1-80 of A-Z a-z 0-9 - _ (.fifo included), and NAME-dlq must fit too.
    [[ "$queue_name" =~ ^[A-Za-z0-9_-]{1,71}(\.fifo)?$ ]] ||
        usage_error "invalid --queue '$queue_name' (1-71 of A-Z a-z 0-9 - _, optionally ending in .fifo)"
    in_range --partner-quota "$partner_quota" 1 1000000
    in_range --consumer-rate "$consumer_rate" 1 100000
    in_range --batch-size "$batch_size" 1 10
    in_range --batching-window "$batching_window" 0 300
    in_range --max-receive-count "$max_receive_count" 5 1000
    in_range --max-message-bytes "$max_message_bytes" 1024 1048576
    [[ -z "$retry_delay" ]] || in_range --retry-delay "$retry_delay" 1 900
    if [[ "$queue_name" == *.fifo && "$batching_window" != 0 ]]; then
        usage_error "--batching-window must be 0 for a FIFO queue"
    fi
    partner_quota=$((10#$partner_quota)) consumer_rate=$((10#$consumer_rate))
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
    echo "# then: registration/grant-mparticle-access.sh --function-arn <the AliasArn printed above>"
    exit 0
fi

if [[ $skip_deploy -eq 0 ]]; then
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
