#!/usr/bin/env bash
# Tests registration/grant-mparticle-access.sh against a local moto server
# (127.0.0.1 only) and registration/deploy.sh in --dry-run mode.
#
#   bash registration/tests/grant.test.sh
#
# Prints `ok - ...` / `not ok - ...` per check and ends with
# `N passed, N failed`; exits non-zero when a check failed. Installs awscli and
# moto into <repo>/.venv when they are missing (scripts/ensure-python-tools.sh).
# The checks are eval strings, expanded when run (SC2016); the helpers are
# called through `check` (SC2317).
# shellcheck disable=SC2016,SC2317
# shellcheck source-path=SCRIPTDIR/../..

set -uo pipefail

# shellcheck source=registration/tests/lib/harness.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/harness.sh"

GRANT="$ROOT/registration/grant-mparticle-access.sh"
DEPLOY="$ROOT/registration/deploy.sh"
P1=338661164609
P2=457804467337
ACCOUNT=123456789012 # moto's default account
FN=mparticle-grant-test
FN_ARN="arn:aws:lambda:us-east-1:$ACCOUNT:function:$FN"
ALIAS_ARN="$FN_ARN:production"

# A failed check also shows the function's policy.
run_details() { printf '%s\n' "exit: $RC" "stdout: $OUT" "stderr: $ERR" "policy: $(statements 2>&1)"; }

# ---------------------------------------------------------------- moto

require_moto_tools
ok "aws and moto_server are available"
start_moto

# ---------------------------------------------------------------- fixtures

setup() {
    stub_function "$FN" mparticle-grant-test-role && [[ "$OUT" == "$ALIAS_ARN" ]] || return 1
    run aws lambda create-alias --function-name "$FN" --name staging --function-version "$VERSION"
    [[ $RC -eq 0 ]]
}
if setup; then
    ok "setup: role, function ($FN), version and the production and staging aliases"
else
    not_ok "setup: role, function, version and aliases" "exit: $RC" "stdout: $OUT" "stderr: $ERR"
    finish
fi

# Prints the function's policy statements, one per line, as
#   <sid> <account> <resource> <action> <effect> <has condition>
# (nothing when there is no policy). moto keeps one policy for all
# qualifiers, so statements of other aliases show up here too.
statements() {
    local out rc=0
    out="$(timeout "$STEP_TIMEOUT" aws lambda get-policy --function-name "$FN" --qualifier production \
        --output json 2>"$TMP/policy.err")" || rc=$?
    if [[ $rc -ne 0 ]]; then
        grep -q ResourceNotFoundException "$TMP/policy.err" && return 0
        cat "$TMP/policy.err" >&2
        return 1
    fi
    python3 -c '
import json, re, sys
doc = json.loads(json.loads(sys.stdin.read())["Policy"])
for st in doc.get("Statement", []):
    principal = st.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("AWS")
    m = re.search(r"([0-9]{12})", str(principal))
    print(st.get("Sid"), m.group(1) if m else principal, st.get("Resource"),
          st.get("Action"), st.get("Effect"), 1 if st.get("Condition") else 0)
' <<<"$out"
}

# count_statements ACCOUNT RESOURCE: statements allowing ACCOUNT to invoke RESOURCE.
count_statements() {
    statements | awk -v p="$1" -v r="$2" \
        '$2 == p && $3 == r && $4 == "lambda:InvokeFunction" && $5 == "Allow" && $6 == 0 { n++ } END { print n + 0 }'
}
count_all() { statements | awk 'END { print NR }'; }

# ---------------------------------------------------------------- refusals

LATEST_ARN="$FN_ARN:\$LATEST"
refused_with_fix() {
    [[ $RC -ne 0 ]] &&
        grep -qi "publish a version and point an alias at it" <<<"$ERR" &&
        grep -qF "$FN_ARN:production" <<<"$ERR" &&
        [[ -z "$OUT" ]]
}
run "$GRANT" --function-arn "$FN_ARN"
check "an unqualified function ARN is refused with the fix on stderr" refused_with_fix
run "$GRANT" --function-arn "$LATEST_ARN"
check "a \$LATEST-qualified ARN is refused with the fix on stderr" refused_with_fix
run "$GRANT" --function-arn "$FN_ARN" --revoke
check "--revoke also refuses an unqualified ARN" refused_with_fix
check "the refusals changed nothing" eval '[[ "$(count_all)" == 0 ]]'

for bad in \
    "arn:aws:lambda:us-east-1:12345678901:function:$FN:production" \
    "arn:aws:s3:us-east-1:$ACCOUNT:function:$FN:production" \
    "arn:aws:lambda:useast1:$ACCOUNT:function:$FN:production" \
    "arn:aws:lambda:us-east-1:$ACCOUNT:function:bad/name:production" \
    "arn:aws:lambda:us-east-1:$ACCOUNT:function:$FN:7" \
    "$FN"; do
    run "$GRANT" --function-arn "$bad"
    check "a malformed ARN is refused: $bad" eval '[[ $RC -ne 0 && -n "$ERR" ]]'
done
run "$GRANT" --function-arn "$ALIAS_ARN" --principals "$P1,not-an-account"
check "a malformed principal is refused" eval '[[ $RC -ne 0 && "$ERR" == *not-an-account* ]]'
run "$GRANT" --help
check "--help prints the usage" eval '[[ $RC -eq 0 && "$OUT" == *--function-arn* ]]'

# ---------------------------------------------------------------- dry run

run "$GRANT" --function-arn "$ALIAS_ARN" --dry-run
dry_run_ok() {
    [[ $RC -eq 0 ]] || return 1
    local p
    for p in "$P1" "$P2"; do
        grep -E "^aws lambda add-permission .*--function-name $FN_ARN --qualifier production .*--statement-id mparticle-$p-production --action lambda:InvokeFunction --principal $p\$" \
            <<<"$OUT" >/dev/null || return 1
    done
    [[ "$(grep -c '^aws lambda add-permission ' <<<"$OUT")" == 2 ]]
}
check "--dry-run prints one add-permission command per principal" dry_run_ok
check "--dry-run changed nothing" eval '[[ "$(count_all)" == 0 ]]'
run "$GRANT" --function-arn "$ALIAS_ARN" --dry-run --revoke
check "--dry-run --revoke prints remove-permission commands" \
    eval '[[ $RC -eq 0 && "$(grep -c "^aws lambda remove-permission " <<<"$OUT")" == 2 ]]'
run "$GRANT" --function-arn "$FN_ARN:it's prod" --dry-run
check "--dry-run refuses an invalid alias name too" eval '[[ $RC -ne 0 ]]'

# ---------------------------------------------------------------- grant

# A grant on another alias must not count as one on production (moto keeps
# all qualifiers in one policy, so this also checks resource matching).
run "$GRANT" --function-arn "$FN_ARN:staging" --principals "$P1"
check "granting $P1 on the staging alias succeeds" eval '[[ $RC -eq 0 ]]'

run "$GRANT" --function-arn "$ALIAS_ARN"
check "the first grant succeeds" eval '[[ $RC -eq 0 ]]'
check "it prints the alias ARN to send to mParticle" \
    eval '[[ "$OUT" == *"$ALIAS_ARN"* && "$OUT" == *"registration request"* ]]'
check "it added both statements" \
    eval '[[ "$(grep -c "^+ aws lambda add-permission" <<<"$OUT")" == 2 ]]'

run "$GRANT" --function-arn "$ALIAS_ARN"
check "a second grant succeeds" eval '[[ $RC -eq 0 ]]'
check "the second grant adds nothing" \
    eval '[[ "$OUT" != *"add-permission"* && "$(grep -c "already granted" <<<"$OUT")" == 2 ]]'

policy_exact() {
    local p
    for p in "$P1" "$P2"; do
        [[ "$(count_statements "$p" "$ALIAS_ARN")" == 1 ]] || return 1
        # ... and nothing else for that principal on production.
        [[ "$(statements | awk -v p="$p" -v r="$ALIAS_ARN" '$2 == p && $3 == r' | wc -l)" == 1 ]] || return 1
    done
    # Two statements on production, plus the staging one.
    [[ "$(count_all)" == 3 && "$(count_statements "$P1" "$FN_ARN:staging")" == 1 ]]
}
if policy_exact; then
    ok "the policy holds exactly one invoke statement per principal, on the alias ARN"
else
    not_ok "the policy holds exactly one invoke statement per principal, on the alias ARN" "$(statements)"
fi

# ---------------------------------------------------------------- principals

run "$GRANT" --function-arn "$ALIAS_ARN" --principals 111122223333
check "--principals grants other accounts" \
    eval '[[ $RC -eq 0 && "$(count_statements 111122223333 "$ALIAS_ARN")" == 1 && "$(count_all)" == 4 ]]'
run "$GRANT" --function-arn "$ALIAS_ARN" --principals 111122223333 --revoke
check "--principals with --revoke removes only that account" \
    eval '[[ $RC -eq 0 && "$(count_statements 111122223333 "$ALIAS_ARN")" == 0 && "$(count_all)" == 3 ]]'

# ---------------------------------------------------------------- revoke

run "$GRANT" --function-arn "$ALIAS_ARN" --revoke
check "--revoke succeeds" eval '[[ $RC -eq 0 ]]'
revoked() {
    [[ "$(count_statements "$P1" "$ALIAS_ARN")" == 0 && "$(count_statements "$P2" "$ALIAS_ARN")" == 0 ]] &&
        [[ "$(count_statements "$P1" "$FN_ARN:staging")" == 1 ]]
}
if revoked; then
    ok "after --revoke no statement grants mParticle the production alias (staging untouched)"
else
    not_ok "after --revoke no statement grants mParticle the production alias (staging untouched)" "$(statements)"
fi
run "$GRANT" --function-arn "$ALIAS_ARN" --revoke
check "a second --revoke succeeds" eval '[[ $RC -eq 0 ]]'
run "$GRANT" --function-arn "$FN_ARN:staging" --revoke
check "revoking the staging alias leaves an empty policy" eval '[[ $RC -eq 0 && "$(count_all)" == 0 ]]'
run "$GRANT" --function-arn "$FN_ARN:staging" --revoke
check "revoking with no policy at all succeeds" eval '[[ $RC -eq 0 ]]'

run "$GRANT" --function-arn "$FN_ARN:missing"
check "a missing alias is reported" eval '[[ $RC -ne 0 && "$ERR" == *"alias '"'missing'"'"* ]]'

# ---------------------------------------------------------------- any invoker
# --principal grants other callers, by account id or IAM principal ARN. The
# policy is empty at this point.

OTHER=111122223333
OTHER2=444455556666
ROLE="arn:aws:iam::$OTHER:role/stream/processor"

# Prints every statement as <sid> <principal as written> <resource> <has condition>.
statements_full() {
    local out rc=0
    out="$(timeout "$STEP_TIMEOUT" aws lambda get-policy --function-name "$FN" --qualifier production \
        --output json 2>"$TMP/policy.err")" || rc=$?
    if [[ $rc -ne 0 ]]; then
        grep -q ResourceNotFoundException "$TMP/policy.err" && return 0
        cat "$TMP/policy.err" >&2
        return 1
    fi
    python3 -c '
import json, sys
doc = json.loads(json.loads(sys.stdin.read())["Policy"])
for st in doc.get("Statement", []):
    principal = st.get("Principal")
    if isinstance(principal, dict):
        principal = principal.get("AWS")
    print(st.get("Sid"), principal, st.get("Resource"), 1 if st.get("Condition") else 0)
' <<<"$out"
}

# only_on_alias PRINCIPAL...: the policy holds exactly one unconditional
# statement per PRINCIPAL, each on the alias ARN, and nothing else (in
# particular nothing on the unqualified function).
only_on_alias() {
    local all p
    all="$(statements_full)" || return 1
    [[ "$(grep -c . <<<"$all")" == "$#" ]] || return 1
    for p in "$@"; do
        [[ "$(awk -v p="$p" -v r="$ALIAS_ARN" '$2 == p && $3 == r && $4 == 0' <<<"$all" | wc -l)" == 1 ]] ||
            return 1
    done
    ! awk -v r="$FN_ARN" '$3 == r { f = 1 } END { exit !f }' <<<"$all"
}
policy_empty() { [[ -z "$(statements_full)" ]]; }

run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$OTHER"
check "--principal $OTHER succeeds" eval '[[ $RC -eq 0 && "$OUT" == *Verified* ]]'
check "it leaves exactly that principal on the alias, nothing on the unqualified function" \
    only_on_alias "$OTHER"
check "its statement id is mparticle-$OTHER-production" \
    eval '[[ "$(statements_full | awk "{ print \$1 }")" == "mparticle-$OTHER-production" ]]'
check "it points other callers at --print-policy" eval '[[ "$OUT" == *"--print-policy"* ]]'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$OTHER"
check "a second --principal $OTHER adds nothing" \
    eval '[[ $RC -eq 0 && "$OUT" != *add-permission* && "$OUT" == *"already granted: $OTHER"* ]] && only_on_alias "$OTHER"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "arn:aws:iam::$OTHER:root"
check "the account's :root ARN counts as the same principal" \
    eval '[[ $RC -eq 0 && "$OUT" != *add-permission* ]] && only_on_alias "$OTHER"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$OTHER" --revoke
check "--principal $OTHER --revoke empties the policy" eval '[[ $RC -eq 0 ]] && policy_empty'

run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$OTHER" --principal "$OTHER2"
check "a repeated --principal grants each" eval '[[ $RC -eq 0 ]] && only_on_alias "$OTHER" "$OTHER2"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$OTHER" --principals "$OTHER2,$OTHER"
check "--principal with --principals naming them again adds nothing" \
    eval '[[ $RC -eq 0 && "$(grep -c "already granted" <<<"$OUT")" == 2 && "$OUT" != *add-permission* ]] &&
        only_on_alias "$OTHER" "$OTHER2"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$OTHER2" --revoke
check "revoking one of them leaves the other" eval '[[ $RC -eq 0 ]] && only_on_alias "$OTHER"'

run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$ROLE" --dry-run
check "--dry-run --principal ROLE-ARN prints its add-permission and changes nothing" \
    eval '[[ $RC -eq 0 ]] && grep -qE "^aws lambda add-permission .*--statement-id mparticle-$OTHER-role-[0-9a-f]{8}-production --action lambda:InvokeFunction --principal $ROLE\$" <<<"$OUT" &&
        only_on_alias "$OTHER"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$ROLE"
check "--principal ROLE-ARN grants the role on the alias, beside the account" \
    eval '[[ $RC -eq 0 && "$OUT" == *Verified* ]] && only_on_alias "$OTHER" "$ROLE"'
check "the role's statement id is mparticle-$OTHER-role-<checksum>-production" \
    eval 'statements_full | awk -v p="$ROLE" "\$2 == p { print \$1 }" | grep -qxE "mparticle-$OTHER-role-[0-9a-f]{8}-production"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$ROLE"
check "a second --principal ROLE-ARN adds nothing" \
    eval '[[ $RC -eq 0 && "$OUT" != *add-permission* && "$OUT" == *"already granted: $ROLE"* ]] &&
        only_on_alias "$OTHER" "$ROLE"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$ROLE" --revoke
check "--principal ROLE-ARN --revoke removes only the role" eval '[[ $RC -eq 0 ]] && only_on_alias "$OTHER"'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "$OTHER" --revoke
check "the policy is empty again" eval '[[ $RC -eq 0 ]] && policy_empty'

# --print-policy makes no AWS call: an aws on PATH that fails loudly is not run.
mkdir -p "$TMP/noaws"
printf '#!/bin/sh\ntouch "%s/noaws/called"\nexit 99\n' "$TMP" >"$TMP/noaws/aws"
chmod +x "$TMP/noaws/aws"
PATH="$TMP/noaws:$PATH" run "$GRANT" --function-arn "$ALIAS_ARN" --print-policy
print_policy_ok() {
    [[ $RC -eq 0 && ! -e "$TMP/noaws/called" ]] || return 1
    python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
want = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": sys.argv[2]}]}
sys.exit(0 if doc == want else 1)
' "$OUT" "$ALIAS_ARN"
}
check "--print-policy prints the identity policy for exactly the alias ARN, as JSON, with no AWS call" \
    print_policy_ok
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "arn:aws:iam::$OTHER:group/g"
check "a group ARN is not a principal" eval '[[ $RC -eq 2 && "$ERR" == *--principal* && -z "$OUT" ]] && policy_empty'
run "$GRANT" --function-arn "$ALIAS_ARN" --principal "*"
check "a wildcard principal is refused" eval '[[ $RC -eq 2 && "$ERR" == *--principal* && -z "$OUT" ]] && policy_empty'

# ---------------------------------------------------------------- 409s
# Real Lambda answers a duplicate statement id with ResourceConflictException
# (moto does not): a stub aws CLI, no network, plays that part.

mkdir -p "$TMP/stub"
cat >"$TMP/stub/aws" <<'EOF'
#!/usr/bin/env bash
state="$(dirname "$0")/state"
case " $* " in
  *" get-alias "*) echo '{"AliasArn": "stub"}' ;;
  *" get-policy "*)
    if [[ -e "$state" ]]; then
      python3 -c '
import json, sys
arn = sys.argv[1]
sts = [{"Sid": "mparticle-%s-production" % p, "Effect": "Allow", "Action": "lambda:InvokeFunction",
        "Principal": {"AWS": "arn:aws:iam::%s:root" % p}, "Resource": arn} for p in sys.argv[2:]]
print(json.dumps({"Policy": json.dumps({"Version": "2012-10-17", "Statement": sts})}))
' "$STUB_ALIAS_ARN" 338661164609 457804467337
    else
      echo "An error occurred (ResourceNotFoundException) when calling the GetPolicy operation: none" >&2
      exit 255
    fi ;;
  *" add-permission "*)
    touch "$state"
    echo "An error occurred (ResourceConflictException) when calling the AddPermission operation: The statement id provided already exists." >&2
    exit 254 ;;
  *) echo "stub aws: unexpected: $*" >&2; exit 99 ;;
esac
EOF
chmod +x "$TMP/stub/aws"
STUB_ALIAS_ARN="$ALIAS_ARN" PATH="$TMP/stub:$PATH" run "$GRANT" --function-arn "$ALIAS_ARN"
check "ResourceConflictException from add-permission counts as already granted" \
    eval '[[ $RC -eq 0 && "$(grep -c ResourceConflictException <<<"$OUT")" == 2 && "$OUT" == *Verified* ]]'

# ---------------------------------------------------------------- deploy.sh

run "$DEPLOY" --dry-run
check "deploy.sh --dry-run prints a cargo lambda build --release ... --output-format zip command" \
    eval 'grep -qE "^cargo lambda build --release( .*)? --output-format zip( |$)" <<<"$OUT"'
check "deploy.sh --dry-run prints a cargo lambda deploy ... --alias production command" \
    eval '[[ $RC -eq 0 ]] && grep -qE "^cargo lambda deploy .*--alias production( |$)" <<<"$OUT"'
check "deploy.sh --dry-run prints the get-alias command and the grant step" \
    eval 'grep -q "^aws lambda get-alias .*--name production" <<<"$OUT" && [[ "$OUT" == *grant-mparticle-access.sh* ]]'
run "$DEPLOY" --dry-run --arm64 --alias live --function-name partner-fn --region eu-west-1 \
    --memory 512 --timeout 60 --reserved-concurrency 20 --iam-role "arn:aws:iam::$ACCOUNT:role/r"
check "deploy.sh --dry-run honours its options" eval '[[ $RC -eq 0 ]] &&
    grep -qE "^cargo lambda build .*--arm64" <<<"$OUT" &&
    grep -qE "^cargo lambda deploy .*--region eu-west-1 .*--alias live .*--memory 512 --timeout 60 .*--iam-role arn:aws:iam::$ACCOUNT:role/r partner-fn\$" <<<"$OUT" &&
    grep -qE "^aws lambda put-function-concurrency .*--function-name partner-fn --reserved-concurrent-executions 20\$" <<<"$OUT"'
run "$DEPLOY" --dry-run --memory 64
check "deploy.sh rejects an out-of-range --memory" eval '[[ $RC -ne 0 ]]'

finish
