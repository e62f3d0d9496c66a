"""Live view over a WebSocket as fragmented MP4 (the browser's MSE path), against a real
hub on simulated cameras: the stream starts at once from the cached keyframe, plays in
ffprobe/ffmpeg, is refused without the `live` right or from another origin, counts its
viewers on one pipeline, and is in the audit log."""
import json
import os
import re
import time

import harness as h


def live_viewers(hub, camera):
    text = hub.get("/metrics")[2].decode()
    m = re.search(r'^hearth_live_viewers\{camera="%d"[^}]*\} (\S+)$' % camera, text, re.M)
    return int(float(m.group(1))) if m else None


def test_live_fmp4_over_websocket():
    d = h.tempdir("live")
    hub = h.Hub(os.path.join(d, "data"), demo=True)
    try:
        h.wait_for("camera 1 online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)
        time.sleep(2.5)  # past the first keyframe interval: the GOP cache is warm

        started = time.monotonic()
        ws = h.WebSocket(hub, "/api/cameras/1/live", origin=hub.url)
        assert ws.status == 101, ws.head
        kind, announce = ws.recv()
        assert kind == "text", (kind, announce)
        mime = json.loads(announce)
        assert mime["type"] == "init" and mime["mime"].startswith('video/mp4; codecs="avc1.'), mime
        kind, init = ws.recv()
        assert kind == "binary" and init[4:8] == b"ftyp"
        kind, first = ws.recv()
        first_ms = (time.monotonic() - started) * 1000
        assert kind == "binary" and first[4:8] == b"moof"
        chunks = [init, first]
        while time.monotonic() - started < 4:
            kind, payload = ws.recv()
            assert kind == "binary"
            chunks.append(payload)
        assert live_viewers(hub, 1) == 1

        others = [h.WebSocket(hub, "/api/cameras/1/live", origin=hub.url) for _ in range(4)]
        assert all(o.status == 101 for o in others)
        h.wait_for("five viewers", lambda: live_viewers(hub, 1) == 5, 10)
        for o in others:
            o.close()
        ws.close()
        h.wait_for("viewers gone", lambda: live_viewers(hub, 1) == 0, 15)

        path = os.path.join(d, "live.mp4")
        with open(path, "wb") as f:
            f.write(b"".join(chunks))
        packets = h.ffprobe_json(path, "-select_streams", "v:0", "-show_entries",
                                 "packet=pts_time,flags")["packets"]
        assert packets and packets[0]["flags"].startswith("K"), packets[:2]
        assert len(packets) >= 30, len(packets)
        h.ffmpeg_decodes(path)
        print(f"live: first fragment {first_ms:.0f} ms after connecting; "
              f"{len(packets)} frames in 4 s; {mime['mime']}")
        assert first_ms < 1500, first_ms

        # Who watched is in the audit log, start and stop.
        status, audit = hub.json("/api/audit?action=live.start")
        assert status == 200 and len(audit["entries"]) == 5
        assert audit["entries"][0]["actor"] == h.OWNER_NAME
        h.wait_for("live.stop entries",
                   lambda: len(hub.json("/api/audit?action=live.stop")[1]["entries"]) == 5, 10)
    finally:
        assert hub.stop() == 0


def test_live_needs_the_right_and_the_same_origin():
    d = h.tempdir("live-rights")
    data = os.path.join(d, "data")
    hub = h.Hub(data, demo=True)
    try:
        guest_pass = h.new_passphrase()
        h.hearth("user", "add", "gina", "--role", "guest", "--rights", "2=live", "--data-dir",
                 data, "--passphrase-stdin", input=guest_pass + "\n")
        gina = hub.client()
        assert gina.login("gina", guest_pass)[0] == 200
        refused = h.WebSocket(gina, "/api/cameras/1/live", origin=hub.url)
        assert refused.status == 403, refused.head
        refused.sock.close()
        h.wait_for("camera 2 online", lambda: hub.json("/api/cameras/2")[1]["state"] == "online", 30)
        allowed = h.WebSocket(gina, "/api/cameras/2/live", origin=hub.url)
        assert allowed.status == 101, allowed.head
        allowed.close()
        hijack = h.WebSocket(hub, "/api/cameras/1/live", origin="https://evil.example")
        assert hijack.status == 403, hijack.head
        hijack.sock.close()
        anonymous = h.WebSocket(hub.client(), "/api/cameras/1/live", origin=hub.url)
        assert anonymous.status == 401, anonymous.head
        anonymous.sock.close()
        status, _, _ = hub.get("/api/cameras/1/live")  # not a WebSocket handshake
        assert status == 400
    finally:
        assert hub.stop() == 0


if __name__ == "__main__":
    h.run([test_live_fmp4_over_websocket, test_live_needs_the_right_and_the_same_origin])
