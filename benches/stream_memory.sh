#!/usr/bin/env bash
# Peak memory (maximum resident set, /usr/bin/time) of `charter check -` over a JSON Lines stream
# for the document formats (json, sarif, junit on standard output, and a `--report` file), at
# N_SMALL and N_BIG manifests. These formats are written a manifest at a time, so the peak does
# not grow with the run: the N_BIG figure is about the N_SMALL one. The last line is for tools:
#
#   summary: json_small_mb=A json_big_mb=B sarif_small_mb=... junit_... report_... n_small=N n_big=M
#
#   benches/stream_memory.sh                         # 100,000 and 1,000,000 manifests
#   N_SMALL=10000 N_BIG=100000 benches/stream_memory.sh
#   CHARTER=/path/to/charter benches/stream_memory.sh   # another build (e.g. to compare)
#
# Knobs (environment): N_SMALL (100000) N_BIG (1000000; a multiple of N_SMALL: the stream is
# the N_SMALL manifests of benches/gen_manifests.py, repeated) FORMATS ("json sarif junit report")
# SEED (42) WORK (/tmp/charter-stream-memory) CHARTER (default: cargo build --release) SUMMARIES
# (the real-changes summaries gen_manifests.py draws from; default ../shared/data/real-changes).
# benches/compare.sh runs this script with its own N_BIG as N_SMALL.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
N_SMALL=${N_SMALL:-100000}; N_BIG=${N_BIG:-1000000}; SEED=${SEED:-42}
FORMATS=${FORMATS:-json sarif junit report}
WORK=${WORK:-/tmp/charter-stream-memory}
mkdir -p "$WORK"
log() { echo "[$(date +%H:%M:%S)] $*"; }

[ -x /usr/bin/time ] || { echo "na: /usr/bin/time is not installed (apt-get install time)"; exit 1; }
if [ $((N_BIG % N_SMALL)) != 0 ]; then echo "N_BIG must be a multiple of N_SMALL"; exit 1; fi

if [ -z "${CHARTER:-}" ]; then
  log "cargo build --release"
  cargo build --release --quiet --bin charter || { echo "build failed"; exit 1; }
  CHARTER=${CARGO_TARGET_DIR:-$ROOT/target}/release/charter
fi

DATA=$WORK/data-$N_SMALL-$SEED
if [ ! -s "$DATA/manifests.jsonl" ]; then
  log "generate $N_SMALL manifests (seed $SEED)"
  SUMMARIES=${SUMMARIES:-$(ls "$ROOT"/../shared/data/real-changes/*/summary.yaml 2>/dev/null)}
  [ -n "$SUMMARIES" ] || { echo "na: no real-changes summaries (set SUMMARIES)"; exit 1; }
  # shellcheck disable=SC2086
  python3 benches/gen_manifests.py --n "$N_SMALL" --seed "$SEED" --out "$DATA" --formats '' \
    --summaries $SUMMARIES || exit 1
fi

# peak FORMAT N -> prints "FORMAT N manifests: X MB, Y s, output Z MB"; sets PEAK_MB
peak() {
  local format=$1 n=$2 copies=$(( $2 / N_SMALL )) out=$WORK/out.$1 args
  case $format in
    report) args=(--quiet --report "json=$out") ;;
    *) args=(--format "$format") ;;
  esac
  local start end
  start=$(date +%s.%N)
  for _ in $(seq "$copies"); do cat "$DATA/manifests.jsonl"; done \
    | /usr/bin/time -f "%M" -o "$WORK/mem.txt" "$CHARTER" check --policies "$ROOT/policies" "${args[@]}" - \
      > "$WORK/stdout.$format" 2> "$WORK/stderr.txt"
  end=$(date +%s.%N)
  local kb size
  kb=$(tail -1 "$WORK/mem.txt")
  size=$(cat "$WORK/stdout.$format" "$out" 2>/dev/null | wc -c)
  PEAK_MB=$(python3 -c "print(f'{$kb / 1024:.1f}')")
  printf '  %-7s %9d manifests: peak %8s MB, %6.1f s, output %8.1f MB\n' "$format" "$n" "$PEAK_MB" \
    "$(python3 -c "print($end - $start)")" "$(python3 -c "print($size / 1048576)")"
  rm -f "$WORK/stdout.$format" "$out"
}

log "peak memory of charter check - ($CHARTER)"
summary="summary:"
for format in $FORMATS; do
  peak "$format" "$N_SMALL"; small=$PEAK_MB
  peak "$format" "$N_BIG"; big=$PEAK_MB
  summary="$summary ${format}_small_mb=$small ${format}_big_mb=$big"
done
echo "$summary n_small=$N_SMALL n_big=$N_BIG"
