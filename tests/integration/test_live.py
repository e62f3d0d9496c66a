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
        gina, _ = hub.add_user("gina", "guest", "2=live")
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


def test_presence_shows_who_watches_and_manage_can_end_it():
    d = h.tempdir("presence")
    data = os.path.join(d, "data")
    hub = h.Hub(data, demo=True)
    try:
        gina, _ = hub.add_user("gina", "guest", "1=live")
        h.wait_for("camera 1 online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)

        owner_view = h.WebSocket(hub, "/api/cameras/1/live", origin=hub.url)
        assert owner_view.status == 101
        started = time.monotonic()

        def seen_by_gina():
            status, body = gina.json("/api/presence")
            return status == 200 and [p for p in body["presence"] if p["user"] == h.OWNER_NAME]
        entries = h.wait_for("the owner in gina's presence list", seen_by_gina, 5, 0.1)
        print(f"presence: the owner's viewing reached another member in "
              f"{time.monotonic() - started:.2f} s")
        assert entries[0]["camera"] == 1 and entries[0]["kind"] == "live"
        assert "source" not in entries[0]  # a guest does not learn where the owner is

        gina_view = h.WebSocket(gina, "/api/cameras/1/live", origin=hub.url)
        assert gina_view.status == 101
        status, body = hub.json("/api/presence")
        mine = [p for p in body["presence"] if p["user"] == "gina"]
        assert len(mine) == 1 and mine[0]["source"] == "127.0.0.1", body
        # A guest has no `manage` right: she cannot end the owner's viewing.
        owner_entry = entries[0]["id"]
        status, _, _ = gina.request("DELETE", f"/api/cameras/1/viewers/{owner_entry}")
        assert status == 403
        # The owner can end hers; her connection closes and the entry goes.
        status, _, _ = hub.request("DELETE", f"/api/cameras/1/viewers/{mine[0]['id']}")
        assert status == 204
        deadline = time.monotonic() + 10
        closed = False
        while time.monotonic() < deadline and not closed:
            kind, _ = gina_view.recv()
            closed = kind == "close"
        assert closed
        h.wait_for("gina gone from presence",
                   lambda: not [p for p in hub.json("/api/presence")[1]["presence"]
                                if p["user"] == "gina"], 10)
        owner_view.close()
        h.wait_for("presence empty", lambda: hub.json("/api/presence")[1]["presence"] == [], 10)
        status, audit = hub.json("/api/audit?action=live.ended")
        assert len(audit["entries"]) == 1 and audit["entries"][0]["actor"] == h.OWNER_NAME
    finally:
        assert hub.stop() == 0


if __name__ == "__main__":
    h.run([test_live_fmp4_over_websocket, test_live_needs_the_right_and_the_same_origin,
           test_presence_shows_who_watches_and_manage_can_end_it])
