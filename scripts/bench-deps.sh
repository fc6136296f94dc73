#!/usr/bin/env bash
# Make sure the tools `make bench` compares goshift against are installed (Debian packages, apt only
# when something is missing): mydumper/myloader (package mydumper) and redis-benchmark (redis-tools).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

missing=()
{ have mydumper && have myloader; } || missing+=(mydumper)
have redis-benchmark || missing+=(redis-tools)
((${#missing[@]} == 0)) || apt_install "${missing[@]}"
