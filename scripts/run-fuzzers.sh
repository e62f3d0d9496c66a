#!/usr/bin/env bash
# Runs every libFuzzer target in DIR for SECONDS each, starting from its seed
# corpus in CORPUS/<name>/. New inputs go to a scratch copy; a crash fails the run
# and leaves the reproducer in the scratch directory, named in the output.
set -euo pipefail
dir=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d /tmp/hearth-fuzz-XXXXXX)
status=0
for fuzzer in "$dir"/*_fuzz; do
  [[ -x "$fuzzer" ]] || continue
  name=$(basename "$fuzzer" _fuzz)
  mkdir -p "$scratch/$name"
  [[ -d "$corpus/$name" ]] && cp -r "$corpus/$name/." "$scratch/$name/"
  if "$fuzzer" -max_total_time="$seconds" -rss_limit_mb=2048 -artifact_prefix="$scratch/" \
       "$scratch/$name" >"$scratch/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(grep -c . "$scratch/$name.log") log lines, $(ls "$scratch/$name" | wc -l) corpus inputs)"
  else
    echo "fuzz: $name FAILED; log and reproducer in $scratch"
    tail -30 "$scratch/$name.log"
    status=1
  fi
done
[[ $status -eq 0 ]] && rm -rf "$scratch"
exit $status
