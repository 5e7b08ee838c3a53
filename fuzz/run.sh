#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), on nightly Rust with cargo-fuzz, and
# prints the executions per target. No sanitizer: the crate forbids unsafe code, and without ASan
# the policy target runs several times faster. Seeds come from corpus/<target>/seed-* (committed, made by
# seed.sh); what the fuzzer finds beyond them stays local (fuzz/.gitignore). A crash is saved in
# artifacts/<target>/ and ends the run with its exit code: turn it into a test outside fuzz/.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-60}
JOBS=${JOBS:-1}
# The CLI runs on a 256 MiB stack (deep manifests recurse in serde); libFuzzer runs each input on
# the main thread, whose stack grows to this limit.
ulimit -s 262144
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
targets=(policy manifest fmt_roundtrip stream_split fast_route lsp)
cargo +nightly fuzz build -O -s none
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log=$(mktemp)
  cargo +nightly fuzz run -O -s none "$t" "corpus/$t" -- -dict=charter.dict -max_total_time="$SECONDS_EACH" \
    -rss_limit_mb=2048 -timeout=10 -max_len=16384 -jobs="$JOBS" -workers="$JOBS" \
    -print_final_stats=1 >"$log" 2>&1 || { tail -40 "$log"; echo "fuzz: $t failed" >&2; exit 1; }
  execs=$(grep -h 'stat::number_of_executed_units' "$log" fuzz-*.log 2>/dev/null | awk '{s+=$2} END {print s+0}')
  echo "$t: $execs executions in ${SECONDS_EACH}s, no crash"
  rm -f "$log" fuzz-*.log
done
