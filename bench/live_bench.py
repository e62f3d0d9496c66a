#!/usr/bin/env python3
"""Live view benchmark: CPU per viewer on Hearth's one-pipeline-per-camera live feed
versus the naive peer, one `ffmpeg -c copy` per viewer pulling its own RTSP connection
from the camera and remuxing to fragmented MP4.

One RTSP camera (the simcam serving a 1080p25 4 Mbit/s H.264 file, no encoding) feeds a
hub; N browser-less viewers watch it, either over the live WebSocket (fMP4, the MSE path)
or over WebRTC (`--transport webrtc`: each viewer is a GStreamer webrtcbin in this process
that depayloads and counts frames, never decodes; needs Debian's python3-gi, so run it
with /usr/bin/python3). For N = 1, 5, 20 the table shows the hub's extra CPU per viewer
over the hub with no viewer, next to one ffmpeg's CPU, both per viewer-minute, measured in
the same run.
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


class WebRtcViewer:
    """A browser-less WebRTC viewer: the hub's signalling over the same WebSocket client,
    a receiving webrtcbin, and a frame counter after the depayloader."""

    loop_thread = None

    def __init__(self, client, camera):
        import json
        from gi.repository import Gst, GstWebRTC, GstSdp  # noqa: F401
        self.Gst, self.GstWebRTC, self.GstSdp, self.json = Gst, GstWebRTC, GstSdp, json
        self.ws = WebSocket(client, f"/api/cameras/{camera}/webrtc", origin=client.url)
        if self.ws.status != 101:
            raise rb.CannotRun(f"WebRTC WebSocket refused: {self.ws.head.splitlines()[0]}")
        self.send_lock = threading.Lock()
        self.frames = 0
        self.bytes = 0
        self.stop = False
        self.pipe = Gst.Pipeline.new()
        self.webrtc = Gst.ElementFactory.make("webrtcbin")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipe.add(self.webrtc)
        # Loopback only, as the hub's ice_networks in this bench.
        self.ice = self.webrtc.get_property("ice-agent")  # held: PyGObject drops a ref
        self.ice.ref()
        self.ice.emit("add-local-ip-address", "127.0.0.1")
        self.webrtc.connect("deep-element-added", self._no_upnp)
        self.webrtc.connect("on-ice-candidate", self._on_candidate)
        self.webrtc.connect("pad-added", self._on_pad)
        self.pipe.set_state(Gst.State.PLAYING)
        self._send({"type": "start"})
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _no_upnp(_bin, _sub, element):
        # As the hub does: libnice must not search the network for routers over SSDP.
        factory = element.get_factory()
        if factory and factory.get_name() in ("nicesrc", "nicesink"):
            element.get_property("agent").set_property("upnp", False)

    def _send(self, message):
        with self.send_lock:
            self.ws.send_text(self.json.dumps(message))

    def _on_candidate(self, _webrtc, mline, candidate):
        self._send({"type": "ice", "candidate": candidate, "sdpMLineIndex": mline})

    def _on_pad(self, _webrtc, pad):
        Gst = self.Gst
        caps = pad.get_current_caps() or pad.query_caps(None)
        media = caps.get_structure(0).get_string("media")
        desc = "rtph264depay ! fakesink name=f sync=false" if media == "video" else \
            "fakesink sync=false"
        bin_ = Gst.parse_bin_from_description(desc, True)
        self.pipe.add(bin_)
        bin_.sync_state_with_parent()
        pad.link(bin_.get_static_pad("sink"))
        if media == "video":
            def count(_pad, info):
                self.frames += 1
                self.bytes += info.get_buffer().get_size()
                return Gst.PadProbeReturn.OK
            bin_.get_by_name("f").get_static_pad("sink").add_probe(
                Gst.PadProbeType.BUFFER, count)

    def _run(self):
        Gst, GstWebRTC, GstSdp = self.Gst, self.GstWebRTC, self.GstSdp
        try:
            while not self.stop:
                kind, payload = self.ws.recv()
                if kind == "close":
                    return
                m = self.json.loads(payload)
                if m["type"] == "offer":
                    _, sdp = GstSdp.SDPMessage.new_from_text(m["sdp"])
                    offer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER,
                                                                  sdp)
                    p = Gst.Promise.new()
                    self.webrtc.emit("set-remote-description", offer, p)
                    p.wait()
                    p = Gst.Promise.new()
                    self.webrtc.emit("create-answer", None, p)
                    p.wait()
                    reply = p.get_reply()
                    if not reply.has_field("answer"):
                        raise rb.CannotRun(f"no WebRTC answer: {reply.to_string()}")
                    answer = reply.get_value("answer")
                    self.webrtc.emit("set-local-description", answer, Gst.Promise.new())
                    self._send({"type": "answer", "sdp": answer.sdp.as_text()})
                elif m["type"] == "ice":
                    self.webrtc.emit("add-ice-candidate", m["sdpMLineIndex"], m["candidate"])
        except OSError:
            pass

    def close(self):
        self.stop = True
        self.ws.close()
        self.pipe.set_state(self.Gst.State.NULL)


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
    ap.add_argument("--transport", choices=["mse", "webrtc"], default="mse")
    args = ap.parse_args()
    make_viewer = Viewer
    if args.transport == "webrtc":
        try:
            import gi
            gi.require_version("Gst", "1.0")
            gi.require_version("GstWebRTC", "1.0")
            gi.require_version("GstSdp", "1.0")
            from gi.repository import Gst
        except (ImportError, ValueError) as e:
            raise rb.CannotRun(f"WebRTC viewers need python3-gi ({e}); run with /usr/bin/python3")
        Gst.init(None)
        make_viewer = WebRtcViewer
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
    config = os.path.join(work, "hearth.toml")
    with open(config, "w") as f:
        f.write('ice_networks = ["127.0.0.0/8"]\nclient_requests_per_second = 0\n')
    srv = rb.spawn([hearth, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                    "--config", config], log)
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
    print(f"Live view over {'WebRTC' if args.transport == 'webrtc' else 'WebSocket fMP4 (MSE)'}:"
          f" {media['desc']}; window {args.seconds} s; {os.cpu_count()} CPUs.")
    idle = cpu_window([srv.pid], args.seconds)
    rows = []
    for n in counts:
        viewers = [make_viewer(client, 1) for _ in range(n)]
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
          "opens its own.\nThe hub's figure includes TLS and WebSocket framing (MSE) or RTP "
          "payloading and DTLS-SRTP (WebRTC) to each viewer; the ffmpeg peer only remuxes to "
          "/dev/null.")
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
