# Queue mode steps of registration/deploy.sh (sourced by it, not run on its own).
#
# Uses deploy.sh's settings (function_name, alias_name, timeout, region_args, skip_deploy and
# the queue options validated by validate_queue_options) and its helpers (run, die,
# quote_cmd). Sets queue_url, queue_arn, dead_url, dead_arn and mapping_uuid.
# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # the settings are deploy.sh's, and it reads the results

# awscli v1 does not apply AWS_ENDPOINT_URL to sqs: pass a local endpoint explicitly.
sqs_endpoint="${AWS_ENDPOINT_URL_SQS:-${AWS_ENDPOINT_URL:-}}"
sqs_cmd=(aws sqs "${region_args[@]}")
if [[ -n "$sqs_endpoint" ]]; then sqs_cmd=(aws --endpoint-url "$sqs_endpoint" sqs "${region_args[@]}"); fi
lambda_cmd=(aws lambda "${region_args[@]}")

# The function environment of queue mode, as KEY=VALUE lines: queue_env QUEUE_URL. Nobody waits
# on the consumer, so its partner client may wait up to 20 s for a rate-limit permit.
queue_env() {
    printf '%s\n' "FIREHOSE_QUEUE_URL=$1" "FIREHOSE_QUEUE_MAX_MESSAGE_BYTES=$max_message_bytes" \
        "PARTNER_QUOTA_PER_SECOND=$partner_quota" "FUNCTION_RESERVED_CONCURRENCY=$max_concurrency" \
        "PARTNER_MAX_WAIT_MS=20000"
    if [[ -n "$retry_delay" ]]; then printf '%s\n' "FIREHOSE_QUEUE_RETRY_DELAY_SECONDS=$retry_delay"; fi
}

# The queue attributes as JSON: queue_attributes VISIBILITY [DEAD_LETTER_ARN]. Without a
# dead-letter ARN: the dead-letter queue's (kept 14 days).
queue_attributes() {
    python3 -c '
import json, sys
visibility, size, receives = sys.argv[1:4]
attributes = {"VisibilityTimeout": visibility, "MaximumMessageSize": size}
if len(sys.argv) > 4:
    attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": sys.argv[4], "maxReceiveCount": int(receives)})
else:
    attributes["MessageRetentionPeriod"] = "1209600"
print(json.dumps(attributes, sort_keys=True))
' "$1" "$max_message_bytes" "$max_receive_count" "${@:2}"
}

# ensure_queue NAME ATTRIBUTES_JSON: prints the queue URL; creates the queue, or brings an
# existing one to ATTRIBUTES.
ensure_queue() {
    local url attributes="$2"
    if url="$("${sqs_cmd[@]}" get-queue-url --queue-name "$1" --query QueueUrl --output text 2>/dev/null)"; then
        run "${sqs_cmd[@]}" set-queue-attributes --queue-url "$url" --attributes "$attributes" >&2 ||
            die "could not update the attributes of $url"
    else
        if [[ "$1" == *.fifo ]]; then
            attributes="$(python3 -c 'import json, sys; a = json.loads(sys.argv[1]); a["FifoQueue"] = "true"; print(json.dumps(a, sort_keys=True))' "$2")"
        fi
        url="$(run "${sqs_cmd[@]}" create-queue --queue-name "$1" --attributes "$attributes" \
            --query QueueUrl --output text)" || die "could not create the queue $1"
    fi
    printf '%s' "$url"
}

queue_arn_of() {
    "${sqs_cmd[@]}" get-queue-attributes --queue-url "$1" --attribute-names QueueArn \
        --query Attributes.QueueArn --output text
}

# Creates (or updates) the dead-letter queue, then the queue with its redrive policy; the
# visibility timeout is six times the function timeout.
queue_create() {
    local function_timeout="$timeout"
    if [[ $skip_deploy -eq 1 ]]; then
        function_timeout="$("${lambda_cmd[@]}" get-function-configuration --function-name "$function_name" \
            --qualifier "$alias_name" --query Timeout --output text)" ||
            die "with --skip-deploy, the function $function_name and its alias $alias_name must exist"
    fi
    [[ "$function_timeout" =~ ^[0-9]+$ ]] || die "unexpected function timeout '$function_timeout'"
    local visibility=$((6 * function_timeout))
    dead_url="$(ensure_queue "$dead_name" "$(queue_attributes "$visibility")")"
    dead_arn="$(queue_arn_of "$dead_url")" || die "could not read the ARN of $dead_url"
    queue_url="$(ensure_queue "$queue_name" "$(queue_attributes "$visibility" "$dead_arn")")"
    queue_arn="$(queue_arn_of "$queue_url")" || die "could not read the ARN of $queue_url"
}

# The execution role's policy: send for the producer, consume for the consumer, on this queue.
queue_role_policy() {
    python3 -c '
import json, sys
arn = sys.argv[1]
print(json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Produce", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": arn},
    {"Sid": "Consume", "Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage",
        "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"], "Resource": arn}]}))
' "$queue_arn"
}

# Reads an environment (JSON, or null) on stdin; prints it with the queue variables merged in,
# as --environment JSON, or nothing when it already has them.
merged_environment() {
    python3 -c '
import json, sys
current = json.loads(sys.stdin.read() or "null") or {}
wanted = dict(line.split("=", 1) for line in sys.argv[1].splitlines() if line)
if all(current.get(k) == v for k, v in wanted.items()):
    sys.exit(0)
current.update(wanted)
print(json.dumps({"Variables": current}, sort_keys=True))
' "$(queue_env "$queue_url")"
}

mapping_settings() {
    mapping_args=(--batch-size "$batch_size" --function-response-types ReportBatchItemFailures
        --scaling-config "MaximumConcurrency=$max_concurrency")
    if [[ "$queue_name" != *.fifo ]]; then
        mapping_args+=(--maximum-batching-window-in-seconds "$batching_window")
    fi
}

# After the deployment: the role policy, the alias version's environment (a new version only
# when it lacks the queue settings), and the event source mapping on the alias.
queue_connect() {
    local role env_now merged version uuid attempt
    role="$("${lambda_cmd[@]}" get-function-configuration --function-name "$function_name" \
        --query Role --output text)" || die "could not read the execution role of $function_name"
    run aws iam put-role-policy --role-name "${role##*/}" --policy-name "firehose-queue-${queue_name%.fifo}" \
        --policy-document "$(queue_role_policy)" >&2 || die "could not allow the role ${role##*/} to use the queue"

    env_now="$("${lambda_cmd[@]}" get-function-configuration --function-name "$function_name" \
        --qualifier "$alias_name" --query Environment.Variables --output json)" ||
        die "could not read the environment of $function_name:$alias_name"
    if [[ -n "$(merged_environment <<<"$env_now")" ]]; then
        merged="$("${lambda_cmd[@]}" get-function-configuration --function-name "$function_name" \
            --query Environment.Variables --output json | merged_environment)"
        if [[ -n "$merged" ]]; then
            run "${lambda_cmd[@]}" update-function-configuration --function-name "$function_name" \
                --environment "$merged" >/dev/null || die "could not set the queue environment"
            run "${lambda_cmd[@]}" wait function-updated --function-name "$function_name" ||
                die "$function_name did not finish updating"
        fi
        version="$(run "${lambda_cmd[@]}" publish-version --function-name "$function_name" \
            --description "queue mode: $queue_name" --query Version --output text)" ||
            die "could not publish a version"
        run "${lambda_cmd[@]}" update-alias --function-name "$function_name" --name "$alias_name" \
            --function-version "$version" >/dev/null || die "could not point $alias_name at version $version"
    fi

    mapping_settings
    uuid="$("${lambda_cmd[@]}" list-event-source-mappings --function-name "$function_name:$alias_name" \
        --event-source-arn "$queue_arn" --query 'EventSourceMappings[0].UUID' --output text)" ||
        die "could not list the event source mappings of $function_name:$alias_name"
    if [[ -n "$uuid" && "$uuid" != None ]]; then
        run "${lambda_cmd[@]}" update-event-source-mapping --uuid "$uuid" "${mapping_args[@]}" >/dev/null ||
            die "could not update the event source mapping $uuid"
    else
        # Lambda refuses the mapping until the role policy has propagated: try a few times.
        for attempt in 1 2 3 4 5 6; do
            if uuid="$(run "${lambda_cmd[@]}" create-event-source-mapping \
                --function-name "$function_name:$alias_name" --event-source-arn "$queue_arn" \
                "${mapping_args[@]}" --query UUID --output text)"; then
                break
            fi
            [[ $attempt -lt 6 ]] || die "could not create the event source mapping"
            sleep 5
        done
    fi
    mapping_uuid="$uuid"
}

# --dry-run: the queue commands before and after the deployment.
queue_dry_run_head() {
    echo "# queue mode: the dead-letter queue, then the queue with its redrive policy" \
        "(visibility timeout 6 x the function timeout); existing queues get set-queue-attributes"
    quote_cmd "${sqs_cmd[@]}" create-queue --queue-name "$dead_name" \
        --attributes "$(queue_attributes "$((6 * timeout))")"
    quote_cmd "${sqs_cmd[@]}" create-queue --queue-name "$queue_name" \
        --attributes "$(queue_attributes "$((6 * timeout))" '<DeadLetterQueueArn>')"
}

queue_dry_run_tail() {
    queue_arn='<QueueArn>'
    quote_cmd aws iam put-role-policy --role-name '<the function role>' \
        --policy-name "firehose-queue-${queue_name%.fifo}" --policy-document "$(queue_role_policy)"
    mapping_settings
    quote_cmd "${lambda_cmd[@]}" create-event-source-mapping --function-name "$function_name:$alias_name" \
        --event-source-arn "$queue_arn" "${mapping_args[@]}"
}
