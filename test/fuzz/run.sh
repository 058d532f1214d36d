#!/usr/bin/env bash
# Fuzz suite: coverage-guided fuzzing of the agent's argument parser, record builder and
# stack-frame symbolizer (libFuzzer + ASan + UBSan, test/fuzz/Makefile), their C unit checks, and
# the property test of the TypeScript wire decoder. Every saved crash under
# test/fuzz/regressions/<target>/ is replayed first; then each target runs for a bounded time from
# generated seeds plus a corpus kept under build/fuzz/corpus/ (or KW_FUZZ_CORPUS) between runs.
# Ends with 'N passed, N failed'.
#
# Time per target: KW_FUZZ_SECONDS (each target and the property test that long), else the CI
# budget of about 75 s: args 10 s (its coverage saturates in seconds), record 25 s, elfsym 8 s,
# property test 10 s, plus ~15 s of unit checks (record ~7 s; elfsym 5-10 s, which builds its C
# and Go programs first). scripts/fuzz.sh --seconds N runs this with a longer time and a corpus
# in the cache.
set -uo pipefail
source "$(dirname "$0")/../../scripts/lib/env.sh"
cd "$KW_ROOT"

OUT=build/fuzz
CORPUS=${KW_FUZZ_CORPUS:-$OUT/corpus}
pass=0
fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

make -s -C test/fuzz || { echo "fuzz: building the fuzz targets failed (clang with libFuzzer: apt package libclang-rt-dev)"; echo "0 passed, 1 failed"; exit 1; }
rm -rf "$OUT/seeds" && "$OUT/write-seeds" "$OUT/seeds" || { echo "fuzz: writing the seeds failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$OUT/crashes"
# ASan's quarantine of freed memory would otherwise hold 256 MiB; leaks are checked.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# The first problem libFuzzer/ASan/UBSan or a harness check reported in a log.
reason() {
  grep -a -m1 -E 'fuzz_(args|record|elfsym): |ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$1" | cut -c1-300
}

# replay TARGET: every regression input once (each is a crash that was fixed).
replay() {
  local t=$1 log=$OUT/$1-replay.log
  shopt -s nullglob
  local files=(test/fuzz/regressions/"$t"/*)
  shopt -u nullglob
  if [ ${#files[@]} -eq 0 ]; then ok "$t: no regression inputs yet"; return; fi
  if "$OUT/fuzz-$t" -runs=1 "${files[@]}" >"$log" 2>&1; then
    ok "$t: ${#files[@]} regression inputs replay clean"
  else
    bad "$t: a regression input fails again: $(reason "$log") (log: $log)"
  fi
}

# fuzz TARGET SECONDS EXTRA_FLAGS...: bounded run; a crash leaves its input in build/fuzz/crashes/.
fuzz() {
  local t=$1 secs=$2 log=$OUT/$1.log
  shift 2
  mkdir -p "$CORPUS/$t"
  rm -f "$OUT/crashes/$t-"*
  local t0=$SECONDS
  timeout -s KILL $((secs + 120)) "$OUT/fuzz-$t" -max_total_time="$secs" -print_final_stats=1 -timeout=20 \
    -artifact_prefix="$OUT/crashes/$t-" "$@" "$CORPUS/$t" "$OUT/seeds/$t" test/fuzz/regressions/"$t" >"$log" 2>&1
  local rc=$? took=$((SECONDS - t0))
  local execs rate cov
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -a -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1)
  if [ "$rc" = 0 ]; then
    ok "$t: fuzzed ${took}s, ${execs:-?} inputs, ${rate:-?} execs/s, $cov, no crash"
  else
    local saved
    saved=$(ls "$OUT/crashes/$t-"* 2>/dev/null | head -1)
    bad "$t: exit $rc after ${took}s: $(reason "$log")"
    echo "     input: ${saved:-none saved}; log: $log"
    echo "     once fixed, keep it: cp ${saved:-INPUT} test/fuzz/regressions/$t/<what-it-found>"
  fi
}

ARGS_S=${KW_FUZZ_SECONDS:-10}
RECORD_S=${KW_FUZZ_SECONDS:-25}
ELFSYM_S=${KW_FUZZ_SECONDS:-8}
PROP_S=${KW_FUZZ_SECONDS:-10}

echo "--- fuzz-args: native/args.c"
replay args
fuzz args "$ARGS_S" -dict=test/fuzz/args.dict -max_len=512

echo "--- fuzz-record: native/enrich.c + emit.c"
replay record
fuzz record "$RECORD_S" -max_len=8192

echo "--- record builder unit checks (ASan)"
if "$OUT/record-unit" >"$OUT/record-unit.log" 2>&1; then
  sed 's/^/     /' "$OUT/record-unit.log"
  ok "record-unit: $(grep -c '^ok' "$OUT/record-unit.log") checks"
else
  sed 's/^/     /' "$OUT/record-unit.log" | tail -20
  bad "record-unit: $(grep -a -m1 -E '^FAIL|ERROR' "$OUT/record-unit.log")"
fi

echo "--- symbolizer unit checks (ASan): native/elfsym.c + gopclntab.c + dwarfline.c against gcc, binutils, go"
# Builds its C and Go programs under build/fuzz/elfsym-work (Go's caches under $KW_CACHE/go);
# every 'ok'/'FAIL' line it prints counts here. A missing go or gcc is a failure, not a skip.
ELFSYM_WORK=$OUT/elfsym-work
KW_ELFSYM_WORK=$ELFSYM_WORK "$OUT/elfsym-unit" >"$OUT/elfsym-unit.log" 2>&1
urc=$?
while IFS= read -r line; do
  case "$line" in
    "ok "*) ok "elfsym-unit: ${line#ok }" ;;
    "FAIL "*) bad "elfsym-unit: ${line#FAIL }" ;;
  esac
done <"$OUT/elfsym-unit.log"
if [ "$urc" != 0 ] && ! grep -q '^FAIL ' "$OUT/elfsym-unit.log"; then
  tail -20 "$OUT/elfsym-unit.log" | sed 's/^/     /'
  bad "elfsym-unit: exit $urc: $(reason "$OUT/elfsym-unit.log") (log: $OUT/elfsym-unit.log)"
fi

echo "--- fuzz-elfsym: native/elfsym.c + gopclntab.c + dwarfline.c"
# Seeds: small synthetic files (Go pclntab 1.16/1.18/1.20, symbols, notes) and real binaries,
# copied at run time (never committed). Inputs stop at 64 KiB (~10k execs/s; a whole Go binary
# would take 20x longer per run): the Go binary seeds its headers, the synthetic ones its tables.
mkdir -p "$OUT/seeds/elfsym" test/fuzz/regressions/elfsym
"$OUT/elfsym-unit" --seeds "$OUT/seeds/elfsym" || bad "elfsym: writing the synthetic seeds failed"
for f in /bin/true "$ELFSYM_WORK/c-0-strip" "$ELFSYM_WORK/go-exe"; do
  [ -f "$f" ] && cp "$f" "$OUT/seeds/elfsym/$(basename "$f")"
done
replay elfsym
fuzz elfsym "$ELFSYM_S" -max_len=65536

echo "--- property test: src/core/wire/decoder.ts"
shopt -s nullglob
props=(out/test/fuzz/*.test.js)
shopt -u nullglob
if [ ${#props[@]} -eq 0 ]; then
  bad "property test: nothing compiled under out/test/fuzz (run scripts/build.sh)"
else
  plog=$OUT/property.log
  KW_FUZZ_PROPERTY_SECONDS=$PROP_S bash scripts/run-node-tests.sh "${props[@]}" >"$plog" 2>&1
  grep -E '^\s*(✔|✖|ℹ)' "$plog" | grep -vE 'ℹ (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ' | sed 's/^/     /' | head -20
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$plog" | tail -1)
  p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
  pass=$((pass + ${p:-0}))
  fail=$((fail + ${f:-1}))
  [ "${f:-1}" = 0 ] || { grep -E -A15 '✖' "$plog" | head -40; }
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
