#!/usr/bin/env python3
"""Cost of one simulated camera: `hearth serve` recording one 1280x720 15 fps sim
camera, beside a bare GStreamer peer that only encodes a test pattern of the same
size with the same x264 settings (no scene, no audio, no recording), in one run.
Target (the foundation issue): well under a quarter of a core per sim camera."""
import argparse
import os
import re
import signal
import subprocess
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def measure(argv, ready, seconds, settle=3.0):
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        if ready:
            for line in proc.stdout:
                if re.search(ready, line):
                    break
                if time.monotonic() > deadline:
                    raise SystemExit(f"sim bench: {argv[0]} did not start")
        time.sleep(settle)
        start = cpu_seconds(proc.pid)
        time.sleep(seconds)
        return (cpu_seconds(proc.pid) - start) / seconds
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hearth", required=True)
    p.add_argument("--seconds", type=float, default=30)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="hearth-simbench-") as d:
        data = os.path.join(d, "data")
        subprocess.run([args.hearth, "camera", "add", "sim", "--kind", "sim", "--options",
                        '{"width":1280,"height":720,"fps":15}', "--data-dir", data],
                       check=True, capture_output=True)
        hearth = measure([args.hearth, "serve", "--data-dir", data, "--listen", "127.0.0.1:0"],
                         r"listening on", args.seconds)
    peer = measure(["gst-launch-1.0", "-q", "videotestsrc", "is-live=true", "pattern=ball", "!",
                    "video/x-raw,format=I420,width=1280,height=720,framerate=15/1", "!",
                    "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "threads=1",
                    "key-int-max=15", "bitrate=1500", "!", "fakesink"], None, args.seconds)
    print("\nOne sim camera, 1280x720 15 fps, H.264 + AAC, recorded (share of one core):")
    print(f"  hearth serve, 1 sim camera recording   {hearth * 100:6.1f} %")
    print(f"  gst-launch test pattern + x264 only    {peer * 100:6.1f} %")
    print(f"  ratio hearth / peer                    {hearth / peer if peer else float('nan'):6.2f}")
    verdict = "met" if hearth < 0.25 else "NOT met"
    print(f"  target: well under 25 % of a core: {verdict}")


if __name__ == "__main__":
    main()
