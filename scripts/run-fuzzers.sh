#!/usr/bin/env bash
# Runs every libFuzzer target in DIR for SECONDS each, JOBS at a time (default: one per
# core), starting from its seed corpus in CORPUS/<name>/. New inputs go to a scratch
# copy; a crash fails the run and leaves the reproducer in the scratch directory.
set -euo pipefail
dir=$1 corpus=$2 seconds=$3 jobs=${4:-$(nproc)}
scratch=$(mktemp -d /tmp/hearth-fuzz-XXXXXX)
export corpus seconds scratch

run_one() {
  local fuzzer=$1 name
  name=$(basename "$fuzzer" _fuzz)
  mkdir -p "$scratch/$name"
  [[ -d "$corpus/$name" ]] && cp -r "$corpus/$name/." "$scratch/$name/"
  if "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$scratch/$name-" \
       "$scratch/$name" >"$scratch/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(ls "$scratch/$name" | wc -l) corpus inputs)"
  else
    echo "fuzz: $name FAILED; log and reproducer in $scratch"
    tail -30 "$scratch/$name.log"
    return 1
  fi
}
export -f run_one

status=0
find "$dir" -maxdepth 1 -name '*_fuzz' -type f -executable -print0 | sort -z |
  xargs -0 -n 1 -P "$jobs" bash -c 'run_one "$0"' || status=1
[[ $status -eq 0 ]] && rm -rf "$scratch"
exit $status
