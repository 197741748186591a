#!/usr/bin/env bash
# Grant (or revoke) mParticle's AWS accounts, or other principals, permission
# to invoke one alias of a Lambda function, the way mParticle Firehose
# integrations are registered.
set -euo pipefail

PROG="$(basename "$0")"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/validate.sh
source "$HERE/lib/validate.sh"
DEFAULT_PRINCIPALS="338661164609,457804467337"
ACTION="lambda:InvokeFunction"

usage() {
    cat <<EOF
Usage: $PROG --function-arn ARN [--principal P]... [--region R] [--dry-run] [--revoke]
       $PROG --function-arn ARN --print-policy

Allow mParticle's AWS accounts, or other callers such as a stream processor
that invokes by ARN, to invoke an alias of your Lambda function
(lambda:InvokeFunction via 'aws lambda add-permission'), then verify the
resulting resource policy and print what to send to mParticle.

Options:
  --function-arn ARN   Alias-qualified function ARN, e.g.
                       arn:aws:lambda:us-east-1:123456789012:function:my-integration:production
  --principal P        A principal to grant; repeat it for more. P is a 12-digit AWS account id
                       or an IAM principal ARN in the function's partition:
                         arn:aws:iam::ACCOUNT:root
                         arn:aws:iam::ACCOUNT:role/[PATH/]NAME
                         arn:aws:iam::ACCOUNT:user/[PATH/]NAME
                       (default: 338661164609 and 457804467337, mParticle's accounts)
  --principals LIST    The same, comma-separated (a role or user name with a comma needs
                       --principal); may be combined with --principal
  --region R           AWS region for the API calls (default: the ARN's region)
  --dry-run            Print the aws commands that would run (shell-quoted); make no AWS calls
  --revoke             Remove the permissions instead of adding them
  --print-policy       Print, as JSON on stdout, the identity policy that an IAM role or user
                       needs besides this grant to invoke the alias; make no AWS calls
  -h, --help           Show this help

Both directions are idempotent: statements that already allow a principal to
invoke the alias are left alone, and revoking permissions that are not there
succeeds. Each statement gets the id mparticle-<account>-<alias> for an account
(an account's :root ARN is the same principal) and
mparticle-<account>-role|user-<checksum of the ARN>-<alias> for a role or user.
A principal named twice is granted once.
The aws CLI's usual configuration applies (AWS_PROFILE, AWS_ENDPOINT_URL, ...).

Each value may also be given as --option=VALUE. Every value is checked before
anything runs; a malformed one (a value starting with '-', a control
character, an empty list element, a trailing ':' or ',', ...) is refused with
exit status 2.
EOF
}

# ---------------------------------------------------------------- arguments

function_arn=""
principals=()
region=""
principal_opts=() # for messages: the option and the value each principal came from
principal_given=()
principal_partitions=()
dry_run=0
revoke=0
print_policy=0

# Every value is checked as it is read, so that a malformed one is refused
# even when a later repetition of the option would override it.
while [[ $# -gt 0 ]]; do
    case "$1" in
        --function-arn | --function-arn=*)
            vd_take "$@"
            [[ -z "$function_arn" ]] ||
                usage_error "$VD_OPT is given more than once (one alias per run)"
            vd_function_arn "$VD_OPT" "$VD_VALUE"
            function_arn="$VD_VALUE"
            shift "$VD_SHIFT"
            ;;
        --principal | --principal=* | --principals | --principals=*)
            vd_take "$@"
            if [[ "$VD_OPT" == --principals ]]; then
                vd_list "$VD_OPT" "$VD_VALUE"
            else
                VD_LIST=("$VD_VALUE")
            fi
            for p in "${VD_LIST[@]}"; do
                vd_principal "$VD_OPT" "$p"
                principals+=("$VD_PRINCIPAL")
                principal_opts+=("$VD_OPT")
                principal_given+=("$p")
                principal_partitions+=("$VD_PRINCIPAL_PARTITION")
            done
            shift "$VD_SHIFT"
            ;;
        --region | --region=*)
            vd_take "$@"
            vd_region "$VD_OPT" "$VD_VALUE"
            region="$VD_VALUE"
            shift "$VD_SHIFT"
            ;;
        --dry-run) dry_run=1; shift ;;
        --revoke) revoke=1; shift ;;
        --print-policy) print_policy=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --dry-run=* | --revoke=* | --print-policy=* | --help=*) vd_flag "$1" ;;
        *) vd_unknown "$1" ;;
    esac
done

[[ -n "$function_arn" ]] || usage_error "--function-arn is required (see --help)"
if [[ $print_policy -eq 1 && $revoke -eq 1 ]]; then
    usage_error "--print-policy and --revoke do not go together (see --help)"
fi

# ---------------------------------------------------------------- the ARN
# arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME:QUALIFIER, already
# checked by vd_function_arn while reading the arguments.

arn_partition="$VD_ARN_PARTITION"
arn_region="$VD_ARN_REGION"
arn_account="$VD_ARN_ACCOUNT"
fn_name="$VD_ARN_FUNCTION"
qualifier="$VD_ARN_QUALIFIER"

unqualified_arn="arn:$arn_partition:lambda:$arn_region:$arn_account:function:$fn_name"
fix_hint="publish a version and point an alias at it, then pass $unqualified_arn:production"

if [[ -z "$qualifier" ]]; then
    usage_error "--function-arn is not qualified with an alias: $function_arn" \
        "mParticle invokes your function through an alias, and the permission must be granted on that alias." \
        "To fix: $fix_hint" \
        "(registration/deploy.sh does both and prints the alias ARN.)"
fi
# shellcheck disable=SC2016 # a literal $LATEST
if [[ "$qualifier" == '$LATEST' ]]; then
    usage_error "--function-arn: refusing to grant access to \$LATEST: $function_arn" \
        "\$LATEST is the unpublished, mutable code; mParticle must invoke a stable alias." \
        "To fix: $fix_hint" \
        "(registration/deploy.sh does both and prints the alias ARN.)"
fi
if [[ "$qualifier" =~ ^[0-9]+$ ]]; then
    usage_error "--function-arn is qualified with version $qualifier, not an alias: $function_arn" \
        "A grant on a version would not follow later deploys." \
        "To fix: point an alias at version $qualifier (or at a new one), then pass $unqualified_arn:production"
fi
vd_is_alias "$qualifier" ||
    usage_error "--function-arn has an invalid alias name $(vd_show "$qualifier"): $function_arn" \
        "(1-128 of A-Z a-z 0-9 - _, not all digits, not starting with '-')"

alias_arn="$unqualified_arn:$qualifier"
region="${region:-$arn_region}"
if [[ "$region" != "$arn_region" ]]; then
    printf '%s: warning: --region %s differs from the ARN'"'"'s region %s\n' \
        "$PROG" "$region" "$arn_region" >&2
fi

# ---------------------------------------------------------------- principals

# Already checked while reading the arguments; a principal ARN must be in the
# function's partition.
for i in "${!principals[@]}"; do
    if [[ -n "${principal_partitions[i]}" && "${principal_partitions[i]}" != "$arn_partition" ]]; then
        usage_error "${principal_opts[i]} ${principal_given[i]} is in partition ${principal_partitions[i]}, but the function is in $arn_partition"
    fi
done

# ---------------------------------------------------------------- print the policy

# The identity policy a role or user attaches to be allowed to call the alias
# (the resource policy granted below is the function's side of it). The ARN
# holds no character that needs escaping in JSON.
if [[ $print_policy -eq 1 ]]; then
    printf '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"%s","Resource":"%s"}]}\n' \
        "$ACTION" "$alias_arn"
    exit 0
fi

# A principal named twice is granted once.
if [[ ${#principals[@]} -eq 0 ]]; then
    vd_list --principals "$DEFAULT_PRINCIPALS"
    principals=("${VD_LIST[@]}")
fi
unique=()
for p in "${principals[@]}"; do
    case " ${unique[*]} " in
        *" $p "*) ;;
        *) unique+=("$p") ;;
    esac
done
principals=("${unique[@]}")

# Deterministic statement id, of [A-Za-z0-9_-] as Lambda requires:
# mparticle-<account>-<alias> for an account (the id grants have always had),
# mparticle-<account>-<role|user>-<checksum of the ARN>-<alias> for a role or a
# user. Statement ids are at most 100 characters; a very long alias is
# shortened with a checksum.
statement_id() {
    local sid sum kind account
    if vd_is_account "$1"; then
        sid="mparticle-$1-$qualifier"
    else
        account="$(cut -d: -f5 <<<"$1")"
        kind="$(cut -d: -f6 <<<"$1")"
        kind="${kind%%/*}"
        sum="$(printf '%s' "$1" | cksum | cut -d' ' -f1)"
        sid="mparticle-$account-$kind-$(printf '%08x' "$sum")-$qualifier"
    fi
    if [[ ${#sid} -gt 100 ]]; then
        sum="$(printf '%s' "$sid" | cksum | cut -d' ' -f1)"
        sid="${sid:0:90}-$(printf '%08x' "$sum")"
    fi
    printf '%s' "$sid"
}

# ---------------------------------------------------------------- aws helpers

export AWS_PAGER=""
# The function is named by its unqualified ARN plus --qualifier: real Lambda
# accepts both forms, and moto ignores a qualifier embedded in the ARN.
fn_args=(--region "$region" --function-name "$unqualified_arn" --qualifier "$qualifier")

quote_cmd() {
    local out="" arg
    for arg in "$@"; do out+="${out:+ }$(printf '%q' "$arg")"; done
    printf '%s\n' "$out"
}

aws_err=""
aws_out=""
# Runs an aws command, capturing stdout in aws_out and stderr in aws_err.
# Returns the command's exit status.
run_aws() {
    local errfile rc=0
    errfile="$(mktemp)"
    aws_out="$(aws "$@" 2>"$errfile")" || rc=$?
    aws_err="$(cat "$errfile")"
    rm -f "$errfile"
    return "$rc"
}

# Prints the alias's policy document (JSON text), or {} when it has none.
fetch_policy() {
    if run_aws lambda get-policy "${fn_args[@]}" --output json; then
        printf '%s' "$aws_out"
    elif [[ "$aws_err" == *ResourceNotFoundException* ]]; then
        printf '{}'
    else
        die "aws lambda get-policy failed for $alias_arn:" "$aws_err"
    fi
}

# Reads get-policy output on stdin; prints one line per statement that allows
# one of the principals (account ids or role/user ARNs) to call
# lambda:InvokeFunction on the alias ARN:
#   <principal> <sid> <conditional: 0|1>
matching_statements() {
    python3 -c '
import json, re, sys

alias_arn, action, principals = sys.argv[1], sys.argv[2].lower(), sys.argv[3:]
raw = sys.stdin.read().strip() or "{}"
outer = json.loads(raw)
policy = outer.get("Policy", {})
if isinstance(policy, str):  # get-policy returns the document as a string
    policy = json.loads(policy)
statements = policy.get("Statement", [])
if isinstance(statements, dict):
    statements = [statements]

def as_list(v):
    return v if isinstance(v, list) else [v]

# The principals a statement names: an account as its id (whether written as
# the id or as its :root ARN), a role or user as its ARN.
def named(principal):
    values = []
    if isinstance(principal, dict):
        for v in principal.values():
            values += as_list(v)
    else:
        values = as_list(principal)
    found = set()
    for v in values:
        if not isinstance(v, str):
            continue
        m = re.fullmatch(r"arn:aws[a-z-]*:iam::([0-9]{12}):root", v)
        found.add(m.group(1) if m else v)
    return found

for st in statements:
    if st.get("Effect") != "Allow":
        continue
    if action not in [str(a).lower() for a in as_list(st.get("Action", []))]:
        continue
    if alias_arn not in as_list(st.get("Resource", [])):
        continue
    who = named(st.get("Principal", {}))
    conditional = 1 if st.get("Condition") else 0
    for p in principals:
        if p in who:
            print(p, st.get("Sid", ""), conditional)
' "$alias_arn" "$ACTION" "${principals[@]}"
}

# True when policy $2 (get-policy output) unconditionally grants principal $1.
is_granted() {
    local p="$1" policy="$2"
    matching_statements <<<"$policy" | awk -v p="$p" '$1 == p && $3 == 0 { f = 1 } END { exit !f }'
}

# ---------------------------------------------------------------- dry run

if [[ $dry_run -eq 1 ]]; then
    echo "# dry run: no AWS calls are made. The commands below would run in this order;"
    if [[ $revoke -eq 1 ]]; then
        echo "# every statement found granting a principal on $alias_arn would be removed."
    else
        echo "# add-permission is skipped for a principal that the policy already allows."
    fi
    quote_cmd aws lambda get-alias --region "$region" --function-name "$unqualified_arn" --name "$qualifier"
    quote_cmd aws lambda get-policy "${fn_args[@]}" --output json
    for p in "${principals[@]}"; do
        if [[ $revoke -eq 1 ]]; then
            quote_cmd aws lambda remove-permission "${fn_args[@]}" --statement-id "$(statement_id "$p")"
        else
            quote_cmd aws lambda add-permission "${fn_args[@]}" --statement-id "$(statement_id "$p")" \
                --action "$ACTION" --principal "$p"
        fi
    done
    quote_cmd aws lambda get-policy "${fn_args[@]}" --output json
    exit 0
fi

# ---------------------------------------------------------------- for real

command -v aws >/dev/null 2>&1 ||
    die "the aws CLI is not on PATH" "Install it (e.g. scripts/ensure-python-tools.sh) and retry."

if ! run_aws lambda get-alias --region "$region" --function-name "$unqualified_arn" \
        --name "$qualifier" --output json; then
    if [[ "$aws_err" == *ResourceNotFoundException* ]]; then
        die "alias '$qualifier' of function '$fn_name' was not found in $region (account $arn_account)." \
            "To fix: publish a version and point alias '$qualifier' at it (registration/deploy.sh --alias $qualifier does both), then rerun." \
            "$aws_err"
    fi
    die "aws lambda get-alias failed for $alias_arn:" "$aws_err"
fi

policy="$(fetch_policy)"

if [[ $revoke -eq 1 ]]; then
    removed=0
    while read -r p sid _; do
        [[ -n "$sid" ]] || continue
        cmd=(lambda remove-permission "${fn_args[@]}" --statement-id "$sid")
        echo "+ $(quote_cmd aws "${cmd[@]}")"
        if run_aws "${cmd[@]}"; then
            removed=$((removed + 1))
        elif [[ "$aws_err" == *ResourceNotFoundException* ]]; then
            echo "  already gone: $sid"
        else
            die "removing statement $sid for $p failed:" "$aws_err"
        fi
    done < <(matching_statements <<<"$policy" | awk '!seen[$2]++')

    policy="$(fetch_policy)"
    left="$(matching_statements <<<"$policy")"
    if [[ -n "$left" ]]; then
        die "these statements still grant access to $alias_arn after revoking:" "$left"
    fi
    echo "Revoked: ${principals[*]} can no longer invoke $alias_arn ($removed statement(s) removed)."
    exit 0
fi

for p in "${principals[@]}"; do
    sid="$(statement_id "$p")"
    if is_granted "$p" "$policy"; then
        echo "already granted: $p may invoke $alias_arn"
        continue
    fi
    cmd=(lambda add-permission "${fn_args[@]}" --statement-id "$sid" --action "$ACTION" --principal "$p")
    echo "+ $(quote_cmd aws "${cmd[@]}")"
    if run_aws "${cmd[@]}" --output json; then
        :
    elif [[ "$aws_err" == *ResourceConflictException* ]]; then
        echo "  statement $sid already exists (ResourceConflictException): treated as done"
    else
        die "aws lambda add-permission failed for principal $p:" "$aws_err"
    fi
done

# Verify from the policy itself rather than trusting the add-permission calls.
policy="$(fetch_policy)"
missing=()
for p in "${principals[@]}"; do
    is_granted "$p" "$policy" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    die "verification failed: the policy of $alias_arn does not allow ${missing[*]} to call $ACTION" \
        "(a statement with the same id but other content, or with a Condition, may be in the way;" \
        " inspect it with: $(quote_cmd aws lambda get-policy "${fn_args[@]}"))"
fi

printf '\nVerified: the resource policy of %s allows\n' "$alias_arn"
for p in "${principals[@]}"; do printf '  %s  %s\n' "$p" "$ACTION"; done

# mParticle's accounts get the registration instructions; any other caller
# also needs an identity policy on its own side.
mparticle=0
others=()
for p in "${principals[@]}"; do
    case ",$DEFAULT_PRINCIPALS," in
        *",$p,"*) mparticle=1 ;;
        *) others+=("$p") ;;
    esac
done
if [[ $mparticle -eq 1 ]]; then
    cat <<EOF

Send this ARN to mParticle to finish the integration setup:

  $alias_arn

mParticle will then send a registration request to this alias (your
integration answers it with its module registration), and after that
the event batches.
EOF
fi
if [[ ${#others[@]} -gt 0 ]]; then
    cat <<EOF

The roles and users that call the alias for ${others[*]} also need an
identity policy that allows it; print that policy with:

  $(quote_cmd "$PROG" --function-arn "$alias_arn" --print-policy)
EOF
fi
