#!/usr/bin/env bash
# Longer fuzzing than the bounded run of the `fuzz` suite: each libFuzzer target (the agent's
# argument parser and record builder) and the wire decoder's property test run N seconds each,
# with the corpus kept in $KW_CACHE/fuzz-corpus between runs. Same report as test/fuzz/run.sh
# (ends with 'N passed, N failed'); a crash's input lands in build/fuzz/crashes/.
# Usage: scripts/fuzz.sh [--seconds N]        (default 600 per target)
set -euo pipefail
source "$(dirname "$0")/lib/env.sh"
secs=600
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) secs=${2:-}; shift $(( $# > 1 ? 2 : 1 )) ;;
    --seconds=*) secs=${1#*=}; shift ;;
    -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fuzz: unknown argument '$1' (usage: scripts/fuzz.sh [--seconds N])" >&2; exit 2 ;;
  esac
done
[[ "$secs" =~ ^[1-9][0-9]{0,6}$ ]] || { echo "fuzz: --seconds: expected a positive number of seconds, got '$secs'" >&2; exit 2; }
cd "$KW_ROOT"
[ -d node_modules ] || { echo "fuzz: node_modules missing: run scripts/setup.sh first" >&2; exit 1; }
npx tsc -p tsconfig.json # compiles the property test into out/test/fuzz
mkdir -p "$KW_CACHE/fuzz-corpus"
KW_FUZZ_SECONDS=$secs KW_FUZZ_CORPUS=$KW_CACHE/fuzz-corpus exec bash test/fuzz/run.sh
