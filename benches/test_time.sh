#!/usr/bin/env bash
# How long the README's test command takes, and the bug matrix in it.
#
#   bash benches/test_time.sh           # clean `cargo test` + default matrix
#   FULL=1 bash benches/test_time.sh    # also the full bugs x cases matrix, as a baseline
#
# 1. A clean `cargo test` in a fresh target directory: the build of the test
#    profile, then every test binary (wall time of each part).
# 2. The matrix alone (`cargo test --test suites`, built already): wall
#    time, trials, and trials per second.
# 3. With FULL=1, the same with SCIMITAR_FULL_MATRIX=1 (every case under
#    every bug), and the ratio of the two. Asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
TARGET=$(mktemp -d)
trap 'rm -rf "$TARGET"' EXIT
export CARGO_TARGET_DIR="$TARGET"

now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

echo "cores: $(nproc)"
t0=$(now)
cargo test --locked --no-run > "$TARGET/build.log" 2>&1
t1=$(now)
cargo test --locked > "$TARGET/test.log" 2>&1
t2=$(now)
echo "clean cargo test: $(secs "$t0" "$t2") s (build $(secs "$t0" "$t1") s, tests $(secs "$t1" "$t2") s)"
grep -E '^     Running|finished in' "$TARGET/test.log" | paste - - |
  awk '{ printf "  %-28s %s\n", $2, $NF }'

matrix() {
  local start end trials
  start=$(now)
  cargo test --locked --test suites > "$TARGET/matrix.log" 2>&1
  end=$(now)
  trials=$(grep -oE '[0-9]+ passed' "$TARGET/matrix.log" | tail -n 1 | cut -d' ' -f1)
  echo "$(secs "$start" "$end") $trials"
}

read -r wall trials < <(matrix)
rate=$(python3 -c "print(f'{$trials / $wall:.1f}')")
echo "matrix (default): $wall s, $trials trials, $rate trials/s"
if [ "${FULL:-0}" = 1 ]; then
  read -r fwall ftrials < <(SCIMITAR_FULL_MATRIX=1 matrix)
  ratio=$(python3 -c "print(f'{$fwall / $wall:.2f}')")
  echo "matrix (full, SCIMITAR_FULL_MATRIX=1): $fwall s, $ftrials trials; full / default = $ratio"
fi
