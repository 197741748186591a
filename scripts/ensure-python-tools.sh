#!/usr/bin/env bash
# Make the Python-distributed tools that the registration scripts and their
# tests use available, installing from PyPI only what is missing:
#
#   aws           (awscli)
#   moto_server   (moto with the `server` extra)
#   cargo-lambda  (cargo-lambda, installed with --no-deps: enough for
#                  `cargo lambda build/watch/invoke/deploy` without the
#                  large zig toolchain download)
#
# Missing tools go into a virtualenv at <repo>/.venv, created with
# --system-site-packages so that packages already on the machine are reused.
#
# Usage:
#   source scripts/ensure-python-tools.sh [TOOL...]   # PATH updated in place
#   eval "$(scripts/ensure-python-tools.sh [TOOL...])" # same, via the printed line
#   scripts/ensure-python-tools.sh --help
#
# TOOL is any of: aws moto_server cargo-lambda (default: all three).
# Progress goes to stderr; the only thing printed on stdout is the
# `export PATH=...` line. Works non-interactively (CI=true, no stdin) and
# returns quickly when every tool is already on PATH.

_ept_usage() {
    sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

# The install work runs in a subshell so that `set -euo pipefail` and every
# helper variable stay out of the caller's shell when this file is sourced.
# shellcheck disable=SC2030 # PATH is meant to change only inside the subshell
_ept_main() (
    set -euo pipefail

    local here root venv tool missing=()
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    root="$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/.." && pwd))"
    venv="$root/.venv"

    local tools=("$@")
    if [[ ${#tools[@]} -eq 0 ]]; then
        tools=(aws moto_server cargo-lambda)
    fi

    # The venv's bin goes first so that tools installed there are found.
    PATH="$venv/bin:$PATH"
    export PATH

    have() {
        case "$1" in
            # moto_server can exist without the Flask server dependencies;
            # --help imports them, so it fails when the extra is missing.
            moto_server) command -v moto_server >/dev/null 2>&1 &&
                moto_server --help >/dev/null 2>&1 ;;
            *) command -v "$1" >/dev/null 2>&1 ;;
        esac
    }

    for tool in "${tools[@]}"; do
        case "$tool" in
            aws | moto_server | cargo-lambda) ;;
            *) echo "ensure-python-tools: unknown tool '$tool' (expected aws, moto_server or cargo-lambda)" >&2
               return 2 ;;
        esac
        have "$tool" || missing+=("$tool")
    done

    if [[ ${#missing[@]} -eq 0 ]]; then
        return 0
    fi

    echo "ensure-python-tools: installing ${missing[*]} into $venv" >&2
    if [[ ! -x "$venv/bin/python" ]]; then
        local py
        py="$(command -v python3 || command -v python)" || {
            echo "ensure-python-tools: python3 not found" >&2
            return 1
        }
        "$py" -m venv --system-site-packages "$venv" </dev/null >&2
    fi

    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    local pip=("$venv/bin/python" -m pip install --quiet)
    local deps=()
    for tool in "${missing[@]}"; do
        case "$tool" in
            aws) deps+=(awscli) ;;
            moto_server) deps+=("moto[server]") ;;
        esac
    done
    if [[ ${#deps[@]} -gt 0 ]]; then
        # First whatever dependencies are missing, then the packages themselves
        # again into the venv: with --system-site-packages, pip would otherwise
        # count a copy outside the venv as installed and write no command into
        # .venv/bin.
        # The same versions are reinstalled, so they match their dependencies.
        "${pip[@]}" "${deps[@]}" </dev/null >&2
        local pinned=() dep name
        for dep in "${deps[@]}"; do
            name="${dep%%[*}"
            pinned+=("$name==$("$venv/bin/python" -c \
                'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$name")")
        done
        "${pip[@]}" --no-deps --ignore-installed "${pinned[@]}" </dev/null >&2
    fi
    for tool in "${missing[@]}"; do
        if [[ "$tool" == cargo-lambda ]]; then
            "${pip[@]}" --no-deps "cargo-lambda==1.9.2" </dev/null >&2
        fi
    done

    local still=()
    for tool in "${missing[@]}"; do
        have "$tool" || still+=("$tool")
    done
    if [[ ${#still[@]} -gt 0 ]]; then
        echo "ensure-python-tools: still missing after install: ${still[*]}" >&2
        return 1
    fi
    echo "ensure-python-tools: ready: ${missing[*]}" >&2
)

_ept_venv_bin() {
    local here root
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    root="$(git -C "$here" rev-parse --show-toplevel 2>/dev/null || (cd "$here/.." && pwd))"
    printf '%s/.venv/bin' "$root"
}

# shellcheck disable=SC2031 # the caller's PATH, not the subshell's
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    # Sourced: install what is missing, then put the venv first on PATH.
    if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
        _ept_usage
    elif _ept_main "$@"; then
        _ept_bin="$(_ept_venv_bin)"
        case ":$PATH:" in
            *":$_ept_bin:"*) ;;
            *) PATH="$_ept_bin:$PATH"; export PATH ;;
        esac
        unset _ept_bin
    else
        # Sourced files must not `exit`; leave the failure to the caller.
        false
    fi
else
    set -euo pipefail
    if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
        _ept_usage
        exit 0
    fi
    _ept_main "$@"
    # shellcheck disable=SC2016 # "$PATH" is for the caller's shell to expand
    printf 'export PATH=%q:"$PATH"\n' "$(_ept_venv_bin)"
fi
