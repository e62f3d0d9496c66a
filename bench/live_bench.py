#!/usr/bin/env python3
"""Live view benchmark: CPU per viewer on Hearth's one-pipeline-per-camera live feed
versus the naive peer, one `ffmpeg -c copy` per viewer pulling its own RTSP connection
from the camera and remuxing to fragmented MP4.

One RTSP camera (the simcam serving a 1080p25 4 Mbit/s H.264 file, no encoding) feeds a
hub; N browser-less viewers read the hub's live WebSocket (fMP4, the MSE path) and count
bytes. For N = 1, 5, 20 the table shows the hub's extra CPU per viewer over the hub with
no viewer, next to one ffmpeg's CPU, both per viewer-minute, measured in the same run.
"""
import argparse
import os
import sys
import threading
import time

import record_bench as rb

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from harness import WebSocket  # noqa: E402  (the same minimal client the tests use)


class Viewer:
    """A WebSocket viewer that reads and drops everything, counting bytes."""

    def __init__(self, client, camera):
        self.ws = WebSocket(client, f"/api/cameras/{camera}/live", origin=client.url)
        if self.ws.status != 101:
            raise rb.CannotRun(f"live WebSocket refused: {self.ws.head.splitlines()[0]}")
        self.bytes = 0
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while not self.stop:
                kind, payload = self.ws.recv()
                if kind == "close":
                    return
                self.bytes += len(payload)
        except OSError:
            pass

    def close(self):
        self.stop = True
        self.ws.close()


class Client:
    def __init__(self, url, cookie, context):
        self.url = url.rstrip("/")
        name, _, value = cookie.partition("=")
        self.cookies = {name: value}
        self.ssl_context = context


def cpu_window(pids, seconds):
    c0, t0 = rb.sum_cpu(pids), time.monotonic()
    time.sleep(seconds)
    return (rb.sum_cpu(pids) - c0) * 60 / (time.monotonic() - t0)  # CPU s per minute


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hearth", required=True)
    ap.add_argument("--viewers", default="1,5,20")
    ap.add_argument("--seconds", type=int, default=15, help="measurement window per run")
    args = ap.parse_args()
    counts = [int(v) for v in args.viewers.split(",")]
    hearth = os.path.abspath(args.hearth)
    media = rb.ensure_media(60 + len(counts) * 3 * (args.seconds + 8))
    work = rb.mkdtemp("hearth-live-bench-")
    sims, urls = rb.start_simcams(hearth, media, work, 1)
    data = os.path.join(work, "data")
    r = rb.subprocess.run([hearth, "camera", "add", "cam", "--kind", "rtsp", "--url", urls[0],
                           "--data-dir", data], capture_output=True, text=True)
    if r.returncode != 0:
        raise rb.CannotRun(r.stderr)
    log = os.path.join(work, "serve.log")
    srv = rb.spawn([hearth, "serve", "--data-dir", data, "--listen", "127.0.0.1:0"], log)
    base = rb.wait_for_line(srv, log, r"listening on (https://127\.0\.0\.1:\d+/)", 30,
                            "hearth serve").group(1)
    context = rb.hub_context(data)
    cookie = rb.owner_cookie(hearth, srv, data, base, context, log)
    client = Client(base, cookie, context)
    deadline = time.monotonic() + 30
    while rb.scrape(base, context, cookie).get("hearth_camera_frames_total", {}).get("1", 0) == 0:
        if time.monotonic() > deadline:
            raise rb.CannotRun("the camera did not start")
        time.sleep(0.5)
    time.sleep(3)
    print(f"Live view: {media['desc']}; window {args.seconds} s; {os.cpu_count()} CPUs.")
    idle = cpu_window([srv.pid], args.seconds)
    rows = []
    for n in counts:
        viewers = [Viewer(client, 1) for _ in range(n)]
        time.sleep(3)
        hub = cpu_window([srv.pid], args.seconds)
        got = min(v.bytes for v in viewers)
        for v in viewers:
            v.close()
        # Each peer has its own camera connection; the simcam serves at most a few clients
        # well, so the peers get simcams of their own, all playing the same file.
        peer_sims, peer_urls = rb.start_simcams(hearth, media, work, n)
        peers = [rb.spawn(["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
                           "-i", peer_urls[i], "-c", "copy", "-f", "mp4", "-movflags",
                           "frag_keyframe+empty_moov+default_base_moof", "-y", "/dev/null"],
                          os.path.join(work, f"ffmpeg{n}_{i}.log")) for i in range(n)]
        time.sleep(3)
        peer = cpu_window([p.pid for p in peers], args.seconds)
        running = sum(1 for p in peers if p.poll() is None)
        for p in peers + peer_sims:
            rb.stop(p)
        if running < n:
            print(f"  note: only {running}/{n} ffmpeg peers were still running")
        rows.append((n, (hub - idle) / n, peer / n, got))
    print(f"hub with no viewer: {idle:.3f} CPU s/min (recording included)")
    print("  N | hub CPU s per viewer-min | ffmpeg per viewer | ratio | slowest viewer got")
    print("----+--------------------------+-------------------+-------+-------------------")
    for n, hub, peer, got in rows:
        ratio = hub / peer if peer > 0 else float("nan")
        print(f"{n:3d} | {hub:24.3f} | {peer:17.3f} | {ratio:5.2f} | "
              f"{got / 1e6:.1f} MB")
    print("One camera connection and one pipeline serve every hub viewer; each ffmpeg peer "
          "opens its own.\nThe hub's figure includes TLS and WebSocket framing to each viewer; "
          "the ffmpeg peer only remuxes to /dev/null.")
    rb.stop(srv)
    for s in sims:
        rb.stop(s)
    return 0


if __name__ == "__main__":
    rb.atexit.register(rb.cleanup)
    try:
        sys.exit(main())
    except rb.CannotRun as e:
        print(f"live bench could not run: {e}")
        sys.exit(1)
