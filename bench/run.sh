#!/usr/bin/env bash
# make bench: encryption at rest vs plaintext, the sim camera, live view, then Hearth's
# recorder vs one ffmpeg process per camera (see bench/README.md).
# Usage: bench/run.sh [BUILD_DIR] [record_bench.py options, e.g. --quick | --streams 1,8 --seconds 30]
# (--quick also shortens the encryption bench.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-build}"
[ $# -gt 0 ] && shift
hearth="$build/src/app/hearth"
if [ ! -x "$hearth" ]; then
    echo "bench: no hearth binary at $hearth (run make build first)" >&2
    exit 1
fi
encryption_bench="$build/bench/encryption_bench"
if [ ! -x "$encryption_bench" ]; then
    echo "bench: no encryption_bench at $encryption_bench (run make build first)" >&2
    exit 1
fi
for tool in ffmpeg ffprobe python3 curl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "bench: $tool is needed and was not found on PATH" >&2
        exit 1
    fi
done
quick=()
for arg in "$@"; do
    if [ "$arg" = --quick ]; then
        quick=(--quick)
    fi
done
"$encryption_bench" --hearth "$hearth" "${quick[@]}"
python3 "$here/sim_bench.py" --hearth "$hearth"
python3 "$here/live_bench.py" --hearth "$hearth"
# WebRTC viewers are GStreamer webrtcbins driven through Debian's python3-gi.
/usr/bin/python3 "$here/live_bench.py" --hearth "$hearth" --transport webrtc
exec python3 "$here/record_bench.py" --hearth "$hearth" "$@"
