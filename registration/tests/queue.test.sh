#!/usr/bin/env bash
# Tests the queue mode of registration/deploy.sh (--queue ... --skip-deploy) against a local
# moto server (127.0.0.1 only): the queue and its dead-letter queue with a redrive policy, the
# visibility timeout, the role policy, the function environment on the alias, the event
# source mapping, idempotency, and the refusal of invalid options.
#
#   bash registration/tests/queue.test.sh
#
# Prints `ok - ...` / `not ok - ...` per check and ends with `N passed, N failed`; exits
# non-zero when a check failed. Installs awscli and moto into <repo>/.venv when they are
# missing (scripts/ensure-python-tools.sh).
# The checks are eval strings, expanded when run (SC2016); helpers are called through
# `check` (SC2317).
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR/../..

set -uo pipefail

# shellcheck source=registration/tests/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"

DEPLOY="$ROOT/registration/deploy.sh"
ACCOUNT=123456789012 # moto's default account
FN=mparticle-queue-test
ROLE=mparticle-queue-test-role
ALIAS_ARN="arn:aws:lambda:us-east-1:$ACCOUNT:function:$FN:production"

# A failed check shows the last lines of stderr only.
run_details() { printf '%s\n' "exit: $RC" "stdout: $OUT" "stderr: $(tail -5 <<<"$ERR")"; }

# ---------------------------------------------------------------- moto

require_moto_tools
ok "aws and moto_server are available"
start_moto

# awscli v1 ignores AWS_ENDPOINT_URL for sqs (deploy.sh passes it on explicitly).
sqs() { aws --endpoint-url "$AWS_ENDPOINT_URL" sqs "$@"; }

# ---------------------------------------------------------------- fixtures

# moto needs the function (and its alias) before create-event-source-mapping.
setup() {
    stub_function "$FN" "$ROLE" --timeout 20 \
        --environment 'Variables={PARTNER_API_URL=https://api.acme.example/}' &&
        [[ "$OUT" == "$ALIAS_ARN" ]]
}
if setup; then
    ok "setup: role, function ($FN, timeout 20 s), version 1 and the production alias"
else
    not_ok "setup" "exit: $RC" "stdout: $OUT" "stderr: $ERR"
    finish
fi

# ---------------------------------------------------------------- helpers

queue_url() { sqs get-queue-url --queue-name "$1" --query QueueUrl --output text 2>/dev/null; }
queue_attribute() { # queue_attribute NAME ATTRIBUTE
    sqs get-queue-attributes --queue-url "$(queue_url "$1")" --attribute-names "$2" \
        --query "Attributes.$2" --output text 2>/dev/null
}
alias_env() { # alias_env [VARIABLE]: its value on the version the alias points at (all as JSON)
    if [[ $# -eq 0 ]]; then
        aws lambda get-function-configuration --function-name "$FN" --qualifier production \
            --query Environment.Variables --output json 2>/dev/null
    else
        aws lambda get-function-configuration --function-name "$FN" --qualifier production \
            --query "Environment.Variables.$1" --output text 2>/dev/null
    fi
}
versions() { aws lambda list-versions-by-function --function-name "$FN" --query 'length(Versions)' --output text; }
mappings() { # the mappings from QUEUE, as JSON
    aws lambda list-event-source-mappings --event-source-arn "$(queue_attribute "$1" QueueArn)" \
        --query EventSourceMappings --output json
}
mapping_summary() { # mapping_summary QUEUE: "<response types> <max concurrency> <batch size> <window>"
    mapping_field "$1" '" ".join(map(str, [",".join(m["FunctionResponseTypes"]), m["ScalingConfig"]["MaximumConcurrency"], m["BatchSize"], m.get("MaximumBatchingWindowInSeconds")]))'
}
mapping_field() { # mapping_field QUEUE PYTHON-EXPRESSION-ON-m
    mappings "$1" | python3 -c 'import json, sys; ms = json.load(sys.stdin); m = ms[0] if len(ms) == 1 else None; print(eval(sys.argv[1]) if m else "no single mapping: %d" % len(ms))' "$2"
}

# ---------------------------------------------------------------- refusals

for bad in "--queue bad/name" "--queue x --max-receive-count 4" "--queue x --batch-size 11" \
    "--queue x --batch-size 0" "--queue x --batching-window 301" "--queue x --partner-quota 0" \
    "--queue x --partner-quota 5000 --consumer-rate 1" "--queue x --max-message-bytes 1023" \
    "--queue x --retry-delay 901" "--queue x.fifo --batching-window 5" "--skip-deploy" \
    "--queue x --consumer-rate one"; do
    # shellcheck disable=SC2086 # the options are split on purpose
    run "$DEPLOY" --dry-run --function-name "$FN" $bad
    check "refused: $bad" eval '[[ $RC -eq 2 && "$ERR" == *error:* ]]'
done
check "the refusals created no queue" eval '[[ -z "$(sqs list-queues --query QueueUrls --output text 2>/dev/null | grep -v None)" ]]'

# ---------------------------------------------------------------- dry run

run "$DEPLOY" --dry-run --queue acme-events --partner-quota 100 --consumer-rate 4 --batch-size 5
dry_run_ok() {
    [[ $RC -eq 0 ]] &&
        grep -qE '^aws (--endpoint-url [^ ]+ )?sqs( --region [^ ]+)? create-queue --queue-name acme-events-dlq ' <<<"$OUT" &&
        grep -qE '^aws (--endpoint-url [^ ]+ )?sqs( --region [^ ]+)? create-queue --queue-name acme-events --attributes .*RedrivePolicy' <<<"$OUT" &&
        grep -qE '^cargo lambda deploy .*--env-var FIREHOSE_QUEUE_URL=' <<<"$OUT" &&
        grep -qE '^aws lambda( --region [^ ]+)? create-event-source-mapping .*--batch-size 5 --function-response-types ReportBatchItemFailures --scaling-config MaximumConcurrency=25' <<<"$OUT"
}
check "--dry-run --queue prints the queues, the deployment with FIREHOSE_QUEUE_URL and the mapping" dry_run_ok
check "--dry-run changed nothing" eval '[[ -z "$(queue_url acme-events)" ]]'

# ---------------------------------------------------------------- configure

QUEUE=acme-events
run "$DEPLOY" --skip-deploy --function-name "$FN" --queue "$QUEUE" --partner-quota 100 --consumer-rate 2 \
    --batch-size 4 --batching-window 1 --max-receive-count 6 --max-message-bytes 262144 --retry-delay 30
check "--queue --skip-deploy configures queue mode for the deployed function" \
    eval '[[ $RC -eq 0 && "$OUT" == *"Queue mode:"* && "$OUT" == *"$ALIAS_ARN"* ]]'

URL="$(queue_url "$QUEUE")"
DEAD_ARN="$(queue_attribute "$QUEUE-dlq" QueueArn)"
check "the queue and its dead-letter queue exist" eval '[[ -n "$URL" && "$DEAD_ARN" == arn:aws:sqs:* ]]'
check "the visibility timeout is six times the function timeout (20 s)" \
    eval '[[ "$(queue_attribute "$QUEUE" VisibilityTimeout)" == 120 ]]'
redrive_ok() {
    queue_attribute "$QUEUE" RedrivePolicy | python3 -c '
import json, sys
policy = json.loads(sys.stdin.read())
assert policy["deadLetterTargetArn"] == sys.argv[1], policy
assert int(policy["maxReceiveCount"]) == 6, policy
' "$DEAD_ARN"
}
check "the redrive policy sends to the dead-letter queue after 6 receives" redrive_ok
check "the queue takes messages up to --max-message-bytes" \
    eval '[[ "$(queue_attribute "$QUEUE" MaximumMessageSize)" == 262144 ]]'
check "the dead-letter queue keeps messages 14 days" \
    eval '[[ "$(queue_attribute "$QUEUE-dlq" MessageRetentionPeriod)" == 1209600 ]]'

env_ok() {
    alias_env | python3 -c '
import json, sys
env = json.load(sys.stdin)
wanted = {"FIREHOSE_QUEUE_URL": sys.argv[1], "FIREHOSE_QUEUE_MAX_MESSAGE_BYTES": "262144",
          "PARTNER_QUOTA_PER_SECOND": "100", "FUNCTION_RESERVED_CONCURRENCY": "50",
          "FIREHOSE_QUEUE_RETRY_DELAY_SECONDS": "30", "PARTNER_API_URL": "https://api.acme.example/"}
assert all(env.get(k) == v for k, v in wanted.items()), env
' "$URL"
}
check "the alias's version has FIREHOSE_QUEUE_URL and the quota settings, the old variables kept" env_ok
check "one version was published for it (2 versions and \$LATEST)" eval '[[ "$(versions)" == 3 ]]'

policy_ok() {
    aws iam get-role-policy --role-name "$ROLE" --policy-name "firehose-queue-$QUEUE" \
        --query PolicyDocument --output json | python3 -c '
import json, sys
doc = json.load(sys.stdin)
if isinstance(doc, str):
    doc = json.loads(doc)
arn = sys.argv[1]
actions = set()
for st in doc["Statement"]:
    assert st["Effect"] == "Allow" and st["Resource"] == arn, st
    actions.update(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
assert actions == {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
                   "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"}, actions
' "$(queue_attribute "$QUEUE" QueueArn)"
}
check "the role may send to and consume from exactly this queue" policy_ok

# moto resolves the alias to its version in FunctionArn; real Lambda keeps the alias ARN.
check "one event source mapping, on the production alias" eval \
    '[[ "$(mapping_field "$QUEUE" "m[\"FunctionArn\"]")" =~ ^arn:aws:lambda:us-east-1:$ACCOUNT:function:$FN:(production|[0-9]+)$ ]]'
check "the mapping reports batch item failures; MaximumConcurrency is quota / rate (50), batch 4, window 1 s" \
    eval '[[ "$(mapping_summary "$QUEUE")" == "ReportBatchItemFailures 50 4 1" ]]'

# ---------------------------------------------------------------- idempotency

run "$DEPLOY" --skip-deploy --function-name "$FN" --queue "$QUEUE" --partner-quota 100 --consumer-rate 2 \
    --batch-size 4 --batching-window 1 --max-receive-count 6 --max-message-bytes 262144 --retry-delay 30
check "a second identical run succeeds" eval '[[ $RC -eq 0 ]]'
check "it publishes no version" eval '[[ "$(versions)" == 3 ]]'
check "it creates no second mapping or queue" eval \
    '[[ "$(mappings "$QUEUE" | python3 -c "import json, sys; print(len(json.load(sys.stdin)))")" == 1 &&
        "$(sqs list-queues --query "length(QueueUrls)" --output text)" == 2 ]]'
check "it makes no create call" eval '[[ "$ERR" != *create-queue* && "$ERR" != *create-event-source-mapping* ]]'

run "$DEPLOY" --skip-deploy --function-name "$FN" --queue "$QUEUE" --partner-quota 300 --consumer-rate 2 \
    --batch-size 10 --max-receive-count 8
check "a run with new settings updates the queue, the mapping and the environment in place" eval \
    '[[ $RC -eq 0 && "$(mapping_summary "$QUEUE")" == "ReportBatchItemFailures 150 10 0" &&
        "$(queue_attribute "$QUEUE" RedrivePolicy)" == *8* && "$(alias_env FUNCTION_RESERVED_CONCURRENCY)" == 150 &&
        "$(versions)" == 4 && "$(mappings "$QUEUE" | python3 -c "import json, sys; print(len(json.load(sys.stdin)))")" == 1 ]]'

# ---------------------------------------------------------------- FIFO

run "$DEPLOY" --skip-deploy --function-name "$FN" --queue acme-events.fifo --partner-quota 10 --consumer-rate 1
fifo_ok() {
    [[ $RC -eq 0 &&
        "$(queue_attribute acme-events.fifo FifoQueue)" == true &&
        "$(queue_attribute acme-events-dlq.fifo FifoQueue)" == true &&
        "$(queue_attribute acme-events.fifo RedrivePolicy)" == *acme-events-dlq.fifo* &&
        "$(alias_env FIREHOSE_QUEUE_URL)" == "$(queue_url acme-events.fifo)" &&
        "$(mapping_field acme-events.fifo "m[\"ScalingConfig\"][\"MaximumConcurrency\"]")" == 10 ]]
}
check "a .fifo queue gets a FIFO dead-letter queue and its own mapping" fifo_ok

# ---------------------------------------------------------------- simulate against moto

# The same build as `cargo test --workspace --all-features` (scripts/test.sh runs it first).
if (cd "$ROOT" && timeout 1200 cargo build -q --workspace --all-features --bin firehose) >"$TMP/build.log" 2>&1; then
    FIREHOSE="$ROOT/target/debug/firehose"
    # shellcheck disable=SC2034 # read by a check's eval string
    queues_before="$(sqs list-queues --query 'length(QueueUrls)' --output text)"
    run "$FIREHOSE" simulate --mode queue --sqs-endpoint "$AWS_ENDPOINT_URL" --batches 24 --quota 12 \
        --consumers 3 --fault-rate 0.1 --timeout 10s --seed 3 --json
    summary_ok() {
        [[ $RC -eq 0 ]] && python3 -c '
import json, sys
s = json.loads(sys.argv[1])
assert s["mode"] == "queue" and s["queue"].startswith("SQS API at "), s["queue"]
assert s["events_sent"] > 0 and s["events_accepted"] == s["events_sent"], s
assert s["lost"] == 0 and s["memberships_lost"] == 0 and s["lost_messages"] == 0, s
assert s["dead_lettered"] == 0 and s["left_in_queue"] == 0, s
assert s["enqueued_messages"] >= s["messages"] and s["records_received"] >= s["enqueued_messages"], s
' "$OUT"
    }
    check "simulate --mode queue --sqs-endpoint drains through moto and loses nothing" summary_ok
    check "it created its queue and dead-letter queue on moto" eval \
        '[[ "$(sqs list-queues --queue-name-prefix firehose-sim- --query "length(QueueUrls)" --output text)" == 2 &&
            "$(sqs list-queues --query "length(QueueUrls)" --output text)" == $((queues_before + 2)) ]]'
else
    not_ok "the firehose binary builds" "$(tail -20 "$TMP/build.log")"
fi

# ---------------------------------------------------------------- missing function

run "$DEPLOY" --skip-deploy --function-name no-such-function --queue other-events
check "--skip-deploy for a function that does not exist fails with the reason" \
    eval '[[ $RC -ne 0 && "$ERR" == *"must exist"* ]]'

finish
