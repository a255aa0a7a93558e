#!/usr/bin/env bash
# Fuzzes every inbound-payload parser and the config parser for FUZZ_SECONDS each (default 20,
# what CI gives them) and fails if any target finds a crash. See RELIABILITY.md, "Fuzzing".
#
#   host/fuzz/run.sh                          # every target, 20 s each
#   FUZZ_SECONDS=3600 host/fuzz/run.sh config # one target for an hour
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_SANITIZER  cargo-fuzz's --sanitizer: none (default) or address. The targets and the
#                   parsers are safe Rust, so AddressSanitizer finds little the panics don't,
#                   and it makes the instrumented wasmtime build much heavier.
#   FUZZ_JOBS       libFuzzer processes per target (default 1); above 1, libFuzzer's fork mode
#                   runs that many at once, to use more cores on a long run.
#
# Crashing inputs land in host/fuzz/artifacts/<target>/; replay one with
#   cd host/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none <target> <file>
# Corpora grow in host/fuzz/corpus/<target>/ (ignored by git) and are reseeded on every run from
# the golden payloads in host/tests/golden/, ../shared/platforms/golden/ when it sits beside the
# checkout (as in CI), examples/*.toml and host/fuzz/seeds/.
set -euo pipefail

fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$fuzz_dir/../.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-none}"
jobs="${FUZZ_JOBS:-1}"
fork=()
if [ "$jobs" -gt 1 ]; then
    fork=(-fork="$jobs")
fi
all_targets=(biliao_inbound yunhu_inbound minapp_inbound fanbook_frame fanbook_updates structured config)
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=("${all_targets[@]}")
fi

# cargo-fuzz passes nightly-only flags to rustc; this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

# Copies the files matching a glob into a target's corpus, where they exist.
seed() {
    local target="$1" pattern="$2" file
    mkdir -p "$fuzz_dir/corpus/$target"
    for file in $pattern; do
        [ -f "$file" ] && cp "$file" "$fuzz_dir/corpus/$target/"
    done
    return 0
}
for golden in "$repo/host/tests/golden" "$repo/../shared/platforms/golden"; do
    seed biliao_inbound "$golden/biliao/event_*.json"
    seed yunhu_inbound "$golden/yunhu/event_*.json"
    seed minapp_inbound "$golden/minapp/event_*.json"
    seed fanbook_frame "$golden/fanbook/ws_*.json"
    seed fanbook_updates "$golden/fanbook/getupdates_*.json"
    seed fanbook_updates "$golden/fanbook/api_response_*.json"
done
seed config "$repo/examples/*.toml"
seed config "$fuzz_dir/seeds/config/*.toml"

cd "$fuzz_dir"
echo "fuzz: building ${#targets[@]} target(s) (sanitizer: $sanitizer)"
build_start=$SECONDS
# 16 codegen units instead of cargo-fuzz's 1: a much shorter cold build for slightly slower runs.
cargo fuzz build --sanitizer "$sanitizer" --codegen-units 16
echo "fuzz: built in $((SECONDS - build_start)) s"

# libFuzzer prints a line per new input: each target's log goes to a file, and only its final
# figures are shown, or its last lines when it fails.
logs="$fuzz_dir/target/logs"
mkdir -p "$logs"
failed=()
for target in "${targets[@]}"; do
    echo "fuzz: $target for $seconds s (log: host/fuzz/target/logs/$target.log)"
    # -timeout: an input that takes 10 s is a hang worth reporting, not a slow machine.
    if cargo fuzz run --sanitizer "$sanitizer" --codegen-units 16 "$target" -- \
        -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "${fork[@]}" \
        >"$logs/$target.log" 2>&1; then
        grep -E '^(#[0-9]+[[:space:]]+DONE|stat::(number_of_executed_units|average_exec_per_sec))' \
            "$logs/$target.log" || true
    else
        tail -n 60 "$logs/$target.log"
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs in host/fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz: no crash in ${targets[*]}"
