# shellcheck shell=bash
# The VD_* variables are results for the sourcing script (SC2034).
# shellcheck disable=SC2034
# Argument checks shared by registration/deploy.sh and
# registration/grant-mparticle-access.sh. Source it; it only defines functions
# (and PROG, when the caller has not set it).
#
# A check named vd_is_* is a predicate: it returns 0 or 1 and prints nothing.
# Every other vd_* check takes the option name (for the message) and the value
# and returns only when the value is valid; otherwise it prints
#   PROG: error: ...
# to stderr and exits with status 2 (a usage error), before anything has been
# run or printed on stdout.
#
# The grammars are what AWS and cargo accept. Where a check is stricter, the
# comment says how and why. Matching runs with LC_ALL=C so that character
# ranges such as [a-z] mean ASCII only, whatever the caller's locale.

PROG="${PROG:-$(basename "$0")}"

# die MESSAGE [DETAIL...]: prints the error and exits with $EXIT_CODE (1).
die() {
    printf '%s: error: %s\n' "$PROG" "$1" >&2
    shift
    local line
    for line in "$@"; do printf '  %s\n' "$line" >&2; done
    exit "${EXIT_CODE:-1}"
}

# usage_error MESSAGE [DETAIL...]: the same, with exit status 2.
usage_error() {
    EXIT_CODE=2 die "$@"
}

# vd_show VALUE: the value as it is quoted in messages: in single quotes, or
# with printf %q when it holds quotes or unprintable characters; cut after 80
# characters so that an over-long value does not flood the terminal.
vd_show() {
    local v="$1" more=""
    if [[ ${#v} -gt 80 ]]; then
        more="... (${#v} characters)"
        v="${v:0:80}"
    fi
    if [[ "$v" =~ ^[[:print:]]*$ && "$v" != *"'"* ]]; then
        printf "'%s'%s" "$v" "$more"
    else
        printf '%q%s' "$v" "$more"
    fi
}

# ---------------------------------------------------------------- option values

# vd_printable OPT VALUE: refuses a control character anywhere in the value
# (newline, tab, carriage return, escape, DEL, ...). No valid value has one,
# and a newline would otherwise split the value for line-based tools.
vd_printable() {
    local LC_ALL=C what
    if [[ "$2" == *[[:cntrl:]]* ]]; then
        case "$2" in
            *$'\n'*) what="a newline" ;;
            *$'\r'*) what="a carriage return" ;;
            *$'\t'*) what="a tab" ;;
            *) what="a control character" ;;
        esac
        usage_error "$1 contains $what: $(vd_show "$2")" "(values are single-line printable text)"
    fi
}

# vd_take "$@": reads the value of the option in $1, given either as
# `--opt VALUE` (two arguments) or as `--opt=VALUE` (one). Sets VD_OPT (the
# option's name), VD_VALUE and VD_SHIFT (how many arguments it used).
# Refuses a missing or empty value, a value that starts with '-' (an option
# where a value belongs; no valid value of these scripts starts with '-'),
# and control characters.
vd_take() {
    if [[ "$1" == *=* ]]; then
        VD_OPT="${1%%=*}"
        VD_VALUE="${1#*=}"
        VD_SHIFT=1
        [[ -n "$VD_VALUE" ]] || usage_error "$VD_OPT= has an empty value (see --help)"
    else
        VD_OPT="$1"
        VD_SHIFT=2
        [[ $# -ge 2 ]] || usage_error "$VD_OPT needs a value (see --help)"
        VD_VALUE="$2"
        [[ -n "$VD_VALUE" ]] || usage_error "$VD_OPT has an empty value (see --help)"
    fi
    if [[ "$VD_VALUE" == -* ]]; then
        usage_error "$VD_OPT needs a value, but got $(vd_show "$VD_VALUE"), which looks like an option" \
            "(no valid value starts with '-')"
    fi
    vd_printable "$VD_OPT" "$VD_VALUE"
}

# vd_flag ARG: refuses `--flag=VALUE` for an option that takes no value.
vd_flag() {
    usage_error "${1%%=*} takes no value (see --help)"
}

# vd_unknown ARG: refuses an argument that is not an option of the script.
vd_unknown() {
    usage_error "unknown argument: $(vd_show "$1") (see --help)"
}

# vd_list OPT VALUE: splits a comma-separated list into the array VD_LIST.
# Refuses an empty element, including a leading or a trailing comma.
vd_list() {
    local rest="$2" i last
    VD_LIST=()
    while [[ "$rest" == *,* ]]; do
        VD_LIST+=("${rest%%,*}")
        rest="${rest#*,}"
    done
    VD_LIST+=("$rest")
    last=$((${#VD_LIST[@]} - 1))
    for i in "${!VD_LIST[@]}"; do
        [[ -z "${VD_LIST[i]}" ]] || continue
        if [[ $i -eq $last ]]; then
            usage_error "$1 ends with a comma: $(vd_show "$2")" "(remove the trailing ',')"
        fi
        usage_error "$1 has an empty element (number $((i + 1))): $(vd_show "$2")" \
            "(a comma-separated list without empty elements)"
    done
}

# ---------------------------------------------------------------- numbers

# vd_int OPT VALUE MIN MAX UNIT: a whole number in MIN..MAX, written in plain
# decimal. Leading zeros are refused, not normalized: 0999 is octal to some
# tools and decimal to others, so the scripts do not guess which was meant.
vd_int() {
    local LC_ALL=C opt="$1" v="$2" min="$3" max="$4" unit="$5"
    if [[ "$v" =~ ^0[0-9]+$ ]]; then
        usage_error "invalid $opt $(vd_show "$v"): leading zeros are not accepted" \
            "(write the number in plain decimal, $min-$max $unit)"
    fi
    # At most 9 digits, so that the range test cannot overflow.
    if [[ ! "$v" =~ ^(0|[1-9][0-9]{0,8})$ ]]; then
        usage_error "invalid $opt $(vd_show "$v"): expected a whole number, $min-$max $unit"
    fi
    if ((v < min || v > max)); then
        usage_error "invalid $opt $v: out of range, expected $min-$max $unit"
    fi
}

# ---------------------------------------------------------------- AWS names

# The AWS partitions (arn:PARTITION:...): the commercial, China and GovCloud
# partitions and the isolated ones.
vd_is_partition() {
    case "$1" in
        aws | aws-cn | aws-us-gov | aws-iso | aws-iso-b | aws-iso-e | aws-iso-f) return 0 ;;
        *) return 1 ;;
    esac
}
VD_PARTITIONS="aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f"

# A region: lower case, e.g. us-east-1, ap-southeast-2, us-gov-west-1,
# us-isob-east-1.
vd_is_region() {
    local LC_ALL=C
    [[ ${#1} -le 32 && "$1" =~ ^[a-z]{2}(-[a-z]+){1,2}-[1-9][0-9]?$ ]]
}

# A 12-digit AWS account id.
vd_is_account() {
    local LC_ALL=C
    [[ "$1" =~ ^[0-9]{12}$ ]]
}

# A Lambda function name: 1-64 of A-Z a-z 0-9 - _. Stricter than Lambda: a
# leading '-' is refused, since the aws CLI and cargo-lambda would read such a
# name as an option.
vd_is_function_name() {
    local LC_ALL=C
    [[ "$1" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$ ]]
}

# A Lambda alias name: 1-128 of A-Z a-z 0-9 - _, not all digits (that would
# be a version) and so never $LATEST. Case-sensitive: Production and
# production are two aliases. A leading '-' is refused, as for function names.
vd_is_alias() {
    local LC_ALL=C
    [[ "$1" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$ && ! "$1" =~ ^[0-9]+$ ]]
}

vd_region() {
    vd_is_region "$2" ||
        usage_error "invalid $1 $(vd_show "$2") (expected a region in lower case, e.g. us-east-1)"
}

vd_account() {
    vd_is_account "$2" ||
        usage_error "invalid $1 $(vd_show "$2") (expected a 12-digit AWS account id)"
}

vd_function_name() {
    vd_is_function_name "$2" ||
        usage_error "invalid $1 $(vd_show "$2") (1-64 of A-Z a-z 0-9 - _, not starting with '-')"
}

vd_alias() {
    vd_is_alias "$2" ||
        usage_error "invalid $1 $(vd_show "$2") (1-128 of A-Z a-z 0-9 - _, not all digits, not starting with '-')"
}

# vd_function_arn OPT VALUE: a Lambda function ARN,
#   arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
# Sets VD_ARN_PARTITION, VD_ARN_REGION, VD_ARN_ACCOUNT, VD_ARN_FUNCTION and
# VD_ARN_QUALIFIER (empty when there is none). The qualifier is only split
# off, not judged: whether a version, $LATEST or an alias is acceptable is the
# caller's decision (see vd_alias). A trailing ':' is refused.
vd_function_arn() {
    local opt="$1" arn="$2" rest fields=() expected
    expected="expected arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME:ALIAS,"
    expected+=" e.g. arn:aws:lambda:us-east-1:123456789012:function:my-integration:production"
    # Split on every ':', keeping empty fields (read -a would drop a trailing one).
    rest="$arn"
    while [[ "$rest" == *:* ]]; do
        fields+=("${rest%%:*}")
        rest="${rest#*:}"
    done
    fields+=("$rest")

    if [[ ${#fields[@]} -lt 7 || "${fields[0]}" != arn || "${fields[2]}" != lambda ||
        "${fields[5]}" != function ]]; then
        usage_error "$opt is not a Lambda function ARN: $(vd_show "$arn")" "$expected"
    fi
    if [[ "$arn" == *: ]]; then
        usage_error "$opt ends with ':': $(vd_show "$arn")" "$expected"
    fi
    if [[ ${#fields[@]} -gt 8 ]]; then
        usage_error "$opt has unexpected text after the qualifier: $(vd_show "$arn")" "$expected"
    fi
    VD_ARN_PARTITION="${fields[1]}"
    VD_ARN_REGION="${fields[3]}"
    VD_ARN_ACCOUNT="${fields[4]}"
    VD_ARN_FUNCTION="${fields[6]}"
    VD_ARN_QUALIFIER="${fields[7]:-}"
    vd_is_partition "$VD_ARN_PARTITION" ||
        usage_error "$opt has an invalid partition $(vd_show "$VD_ARN_PARTITION"): $(vd_show "$arn")" \
            "(expected one of $VD_PARTITIONS)"
    vd_is_region "$VD_ARN_REGION" ||
        usage_error "$opt has an invalid region $(vd_show "$VD_ARN_REGION"): $(vd_show "$arn")" \
            "(expected a region in lower case, e.g. us-east-1)"
    vd_is_account "$VD_ARN_ACCOUNT" ||
        usage_error "$opt has an invalid account id $(vd_show "$VD_ARN_ACCOUNT"): $(vd_show "$arn")" \
            "(expected 12 digits)"
    vd_is_function_name "$VD_ARN_FUNCTION" ||
        usage_error "$opt has an invalid function name $(vd_show "$VD_ARN_FUNCTION"): $(vd_show "$arn")" \
            "(1-64 of A-Z a-z 0-9 - _, not starting with '-')"
}

# IAM names and paths, as Lambda accepts them in a role ARN: a name is 1-64
# of A-Z a-z 0-9 and + = , . @ _ -; a path is '/' or '/SEGMENT/.../' with
# the same characters, at most 512 characters in all. (IAM itself allows any
# printable ASCII in paths; Lambda's role pattern does not.)
vd_is_iam_name() {
    local LC_ALL=C
    [[ "$1" =~ ^[A-Za-z0-9+=,.@_-]{1,64}$ ]]
}
# vd_is_iam_path_name VALUE: VALUE is [SEGMENT/...]NAME (what follows role/
# or user/ in an ARN).
vd_is_iam_path_name() {
    local LC_ALL=C name="${1##*/}" path="/"
    if [[ "$1" == */* ]]; then path="/${1%/*}/"; fi
    vd_is_iam_name "$name" && [[ ${#path} -le 512 && "$path" =~ ^/([A-Za-z0-9+=,.@_-]+/)*$ ]]
}

# vd_role_arn OPT VALUE: an IAM role ARN,
#   arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME
vd_role_arn() {
    local LC_ALL=C opt="$1" arn="$2" hint partition account rest
    hint="(expected arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, e.g. arn:aws:iam::123456789012:role/my-lambda-role;"
    hint+=" NAME is 1-64 of A-Z a-z 0-9 + = , . @ _ -)"
    if [[ ! "$arn" =~ ^arn:([^:]*):iam::([^:]*):role/(.*)$ ]]; then
        usage_error "$opt is not an IAM role ARN: $(vd_show "$arn")" "$hint"
    fi
    partition="${BASH_REMATCH[1]}" account="${BASH_REMATCH[2]}" rest="${BASH_REMATCH[3]}"
    vd_is_partition "$partition" ||
        usage_error "$opt has an invalid partition $(vd_show "$partition"): $(vd_show "$arn")" \
            "(expected one of $VD_PARTITIONS)"
    vd_is_account "$account" ||
        usage_error "$opt has an invalid account id $(vd_show "$account"): $(vd_show "$arn")" \
            "(expected 12 digits)"
    vd_is_iam_path_name "$rest" ||
        usage_error "$opt has an invalid role path or name: $(vd_show "$arn")" "$hint"
}

# vd_principal OPT VALUE: a principal that may be granted lambda:InvokeFunction:
# a 12-digit account id, or an IAM principal ARN
#   arn:PARTITION:iam::ACCOUNT:root
#   arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME
#   arn:PARTITION:iam::ACCOUNT:user/[PATH/]NAME
# Sets VD_PRINCIPAL: the account id for an account id or a :root ARN (Lambda
# stores both as the account's root), else the ARN; and VD_PRINCIPAL_PARTITION
# (empty for a bare account id). Wildcards, service principals, groups and
# assumed-role sessions are refused.
vd_principal() {
    local LC_ALL=C opt="$1" v="$2" partition account rest hint
    hint="(expected a 12-digit account id or an IAM principal ARN: arn:PARTITION:iam::ACCOUNT:root,"
    hint+=" arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME or arn:PARTITION:iam::ACCOUNT:user/[PATH/]NAME)"
    VD_PRINCIPAL_PARTITION=""
    if vd_is_account "$v"; then
        VD_PRINCIPAL="$v"
        return 0
    fi
    if [[ "$v" == *"*"* ]]; then
        usage_error "$opt must not contain a wildcard: $(vd_show "$v")" "(it would let any matching caller invoke the alias)"
    fi
    if [[ ! "$v" =~ ^arn:([^:]*):iam::([^:]*):(.*)$ ]]; then
        usage_error "invalid principal $(vd_show "$v") in $opt" "$hint"
    fi
    partition="${BASH_REMATCH[1]}" account="${BASH_REMATCH[2]}" rest="${BASH_REMATCH[3]}"
    vd_is_partition "$partition" ||
        usage_error "$opt has an invalid partition $(vd_show "$partition"): $(vd_show "$v")" \
            "(expected one of $VD_PARTITIONS)"
    vd_is_account "$account" ||
        usage_error "$opt has an invalid account id $(vd_show "$account"): $(vd_show "$v")" "(expected 12 digits)"
    VD_PRINCIPAL_PARTITION="$partition"
    case "$rest" in
        root) VD_PRINCIPAL="$account" ;;
        role/* | user/*)
            vd_is_iam_path_name "${rest#*/}" ||
                usage_error "$opt has an invalid ${rest%%/*} path or name: $(vd_show "$v")" \
                    "(NAME is 1-64 of A-Z a-z 0-9 + = , . @ _ -; PATH segments the same, not empty)"
            VD_PRINCIPAL="$v"
            ;;
        *) usage_error "invalid principal $(vd_show "$v") in $opt" "$hint" ;;
    esac
}

# ---------------------------------------------------------------- cargo

# vd_cargo_name OPT VALUE WHAT: a cargo package or binary target name: 1-64
# characters, ASCII letters, digits, '-' and '_', not starting with a digit
# or '-'. (cargo also allows non-ASCII letters; this project's names are
# ASCII, and the 64-character limit is the registry's.)
vd_cargo_name() {
    local LC_ALL=C
    [[ "$2" =~ ^[A-Za-z_][A-Za-z0-9_-]{0,63}$ ]] ||
        usage_error "invalid $1 $(vd_show "$2") (a cargo $3 name: 1-64 of A-Z a-z 0-9 - _, starting with a letter or _)"
}

# vd_compiler OPT VALUE: a compiler backend of 'cargo lambda build --compiler'.
# cargo-lambda reads any other word as cargo-zigbuild without a warning, so a
# typo would silently pick zig: only the exact names are accepted.
vd_compiler() {
    case "$2" in
        cargo | cargo-zigbuild | cross) ;;
        *) usage_error "invalid $1 $(vd_show "$2") (expected cargo, cargo-zigbuild or cross)" ;;
    esac
}

# ---------------------------------------------------------------- URLs

# vd_http_url OPT VALUE: an absolute http or https URL:
#   http[s]://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]
# HOST is a DNS name, an IPv4 address or a bracketed IPv6 address; PORT is
# 1-65535. Stricter than RFC 3986, on purpose: the scheme must be lower case;
# user:password@ is refused (keep credentials out of environment variables
# shown in the console); and of the characters after the host only
#   A-Z a-z 0-9 - . _ ~ / : @ + = & ? # and %XX escapes
# are accepted. The comma is refused because cargo-lambda splits --env-var
# values on commas; the other RFC sub-delimiters (! $ ' ( ) * ;) have no place
# in a partner API base URL and are shell syntax.
vd_http_url() {
    local LC_ALL=C opt="$1" url="$2" host="" port rest
    local hint="(expected http://HOST[:PORT][/PATH] or https://..., e.g. https://api.partner.example/v1)"
    if [[ ${#url} -gt 2048 ]]; then
        usage_error "$opt is too long (${#url} characters, at most 2048): $(vd_show "$url")"
    fi
    if [[ "$url" == *,* ]]; then
        usage_error "$opt must not contain a comma (cargo lambda deploy --env-var splits on commas): $(vd_show "$url")"
    fi
    if [[ ! "$url" =~ ^https?:// ]]; then
        usage_error "$opt is not an http or https URL (scheme in lower case): $(vd_show "$url")" "$hint"
    fi
    rest="${url#*://}"
    if [[ "$rest" =~ ^([^/?#]*)(.*)$ ]]; then
        host="${BASH_REMATCH[1]}"
        rest="${BASH_REMATCH[2]}"
    fi
    if [[ "$host" == *@* ]]; then
        usage_error "$opt must not contain user:password@: $(vd_show "$url")" \
            "(pass credentials another way, not in the URL)"
    fi
    port=""
    if [[ "$host" =~ ^(.*):([^]:]*)$ ]]; then
        host="${BASH_REMATCH[1]}"
        port="${BASH_REMATCH[2]}"
        if [[ ! "$port" =~ ^[1-9][0-9]{0,4}$ ]] || ((port > 65535)); then
            usage_error "$opt has an invalid port $(vd_show "$port"): $(vd_show "$url")" "(1-65535)"
        fi
    fi
    local label='[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?' host_ok=0
    if [[ "$host" =~ ^\[[0-9A-Fa-f:.]+\]$ ]]; then
        host_ok=1
    elif [[ ${#host} -le 253 && "$host" =~ ^$label(\.$label)*$ ]]; then
        host_ok=1
    fi
    [[ $host_ok -eq 1 ]] ||
        usage_error "$opt has an invalid host $(vd_show "$host"): $(vd_show "$url")" "$hint"
    if [[ ! "$rest" =~ ^([A-Za-z0-9._~/:@+=\&?#-]|%[0-9A-Fa-f]{2})*$ ]]; then
        usage_error "$opt has characters that are not accepted in a URL path or query: $(vd_show "$url")" \
            "(accepted: A-Z a-z 0-9 - . _ ~ / : @ + = & ? # and %XX escapes)"
    fi
}
