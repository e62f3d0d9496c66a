"""Share links over real HTTPS: a clip and a live view shown to someone with no account,
with passcode, view limit and revocation, and a revoked link stopping streams already open."""
import json
import os
import time

import harness as h


def anonymous(hub):
    """A client of the same hub with no cookies: the person the link was sent to."""
    c = h.Client(hub.url)
    c.ssl_context = hub.ssl_context
    return c


def open_link(client, token, passcode=None):
    body = {"token": token}
    if passcode is not None:
        body["passcode"] = passcode
    status, _, payload = client.request("POST", "/api/shared/open", body, session=False)
    return status, json.loads(payload or b"{}")


def audit_rows(data, action):
    db = h.sqlite3.connect(os.path.join(data, "hearth.db"))
    rows = db.execute("SELECT actor, source, detail FROM audit WHERE action = ?", (action,)).fetchall()
    db.close()
    return rows


def test_share_links_lifecycle():
    d = h.tempdir("share")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=4)
    h.hearth("camera", "add", "porch", "--kind", "sim", "--options",
             '{"width":320,"height":180,"fps":15}', "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    try:
        h.wait_for("10 s recorded", lambda: (lambda r: r and r[0]["end_ms"] - r[0]["start_ms"] >= 10_000)(
            hub.json("/api/cameras/1/recordings")[1]["ranges"]), 40)
        r = hub.json("/api/cameras/1/recordings")[1]["ranges"][0]
        start, end = r["start_ms"] / 1000 + 1, r["start_ms"] / 1000 + 8

        # Bad requests: clear errors, nothing made.
        for bad in ({"kind": "clip", "label": "x"}, {"kind": "clip", "start": start, "end": end},
                    {"kind": "clip", "label": "x", "start": f"{start}", "end": f"{end}",
                     "expires_in_s": 8 * 86400},
                    {"kind": "video", "label": "x"}, {"kind": "live", "label": "x", "blur_faces": True},
                    {"kind": "live", "label": "x" * 65}):
            status, _, body = hub.request("POST", "/api/cameras/1/shares", bad)
            assert status == 400 and b"error" in body, (bad, status, body)
        assert hub.json("/api/shares")[1]["shares"] == []

        status, _, body = hub.request("POST", "/api/cameras/1/shares", {
            "kind": "clip", "start": f"{start:.3f}", "end": f"{end:.3f}", "label": "Grandma",
            "passcode": "4711-harbour", "max_views": 2})
        assert status == 201, body
        clip = json.loads(body)
        token = clip["token"]
        assert len(token) == 43 and clip["path"] == "/#/shared/" + token
        assert clip["passcode"] is True and clip["max_views"] == 2 and clip["state"] == "open"

        guest = anonymous(hub)
        assert open_link(guest, "A" * 43)[0] == 404
        status, answer = open_link(guest, token)
        assert status == 403 and answer.get("passcode_required") is True, answer
        status, answer = open_link(guest, token, "0000")
        assert status == 403 and "not right" in answer["error"], answer
        status, opened = open_link(guest, token, "4711-harbour")
        assert status == 200, opened
        assert opened["label"] == "Grandma" and opened["camera_name"] == "porch" and opened["views"] == 1
        ticket = opened["ticket"]

        # The clip plays with the ticket and no account, and nothing else comes with it.
        status, headers, video = guest.request("GET", f"/api/shared/clip?ticket={ticket}", session=False)
        assert status == 200 and headers["Content-Type"] == "video/mp4", (status, video[:200])
        path = os.path.join(d, "shared.mp4")
        open(path, "wb").write(video)
        h.check_playable(path, expect_video="h264", min_duration=5)
        assert guest.request("GET", "/api/shared/clip?ticket=nope", session=False)[0] == 404
        assert guest.request("GET", "/api/cameras/1/stream?start=0&end=1", session=False)[0] == 401
        status, _, _ = guest.request("GET", f"/api/shared/live?ticket={ticket}", session=False)
        assert status == 400  # a clip's ticket opens no live view

        assert open_link(guest, token, "4711-harbour")[0] == 200
        status, answer = open_link(guest, token, "4711-harbour")
        assert status == 410 and "used as many times" in answer["error"], answer

        # Every opening is in the audit log and told to the household as a camera event.
        opens = audit_rows(data, "share.open")
        assert len(opens) == 2 and all(a.startswith("link ") and "Grandma" in a for a, _, _ in opens)
        assert {s for _, s, _ in opens} == {"127.0.0.1"}
        assert len(audit_rows(data, "share.refused")) >= 2  # the wrong passcode and the third try
        events = [e for e in hub.json("/api/events?limit=200")[1]["events"] if e["kind"] == "share.opened"]
        assert len(events) == 2 and "Grandma" in events[0]["detail"], events

        # A member with the share right on camera 1 shares; one without it cannot.
        sharer, _ = hub.add_user("max", "member", "1=live,recordings,share")
        watcher, _ = hub.add_user("gus", "member", "1=live,recordings")
        status, _, body = watcher.request("POST", "/api/cameras/1/shares", {"kind": "live", "label": "x"})
        assert status == 403, body
        status, _, body = sharer.request("POST", "/api/cameras/1/shares",
                                         {"kind": "live", "label": "Neighbour", "expires_in_s": 3600})
        assert status == 201, body
        live = json.loads(body)
        assert [s["label"] for s in sharer.json("/api/shares")[1]["shares"]] == ["Neighbour"]
        assert {s["label"] for s in hub.json("/api/shares")[1]["shares"]} == {"Grandma", "Neighbour"}
        assert watcher.json("/api/shares")[1]["shares"] == []
        # Only the sharer or an owner withdraws a link.
        assert watcher.request("DELETE", f"/api/shares/{live['id']}")[0] == 404

        # The live view plays to the link holder, shows in presence, and stops when withdrawn.
        status, opened = open_link(guest, live["token"])
        assert status == 200, opened
        ws = h.WebSocket(guest, f"/api/shared/live?ticket={opened['ticket']}")
        assert ws.status == 101, ws.head
        init = ws.recv_json()
        assert init["type"] == "init" and "avc1" in init["mime"], init
        got = 0
        while got < 3:
            kind, payload = ws.recv()
            got += kind == "binary"
        presence = hub.json("/api/presence")[1]
        assert any("Neighbour" in p["user"] for p in presence["presence"]), presence
        withdrawn = time.time()
        assert sharer.request("DELETE", f"/api/shares/{live['id']}")[0] == 204
        closed = None
        try:
            while time.time() - withdrawn < 15:
                ws.recv()
        except (ConnectionError, OSError):
            closed = time.time() - withdrawn
        assert closed is not None and closed < 12, f"the live view went on after withdrawal: {closed}"
        status, answer = open_link(guest, live["token"])
        assert status == 410 and "withdrawn" in answer["error"], answer
        assert guest.request("GET", f"/api/shared/live?ticket={opened['ticket']}", session=False)[0] == 410

        assert len(audit_rows(data, "share.revoke")) == 1
    finally:
        assert hub.stop() == 0, hub.output()
    # The database holds no token.
    raw = open(os.path.join(data, "hearth.db"), "rb").read()
    assert token.encode() not in raw and live["token"].encode() not in raw


def faces_in(path):
    """`faces count`: how many frames hold a face, by the hub's detector and a plain one."""
    r = h.subprocess.run([os.environ["HEARTH_FACES_TOOL"], "count", path], capture_output=True,
                         text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return dict(kv.split("=") for kv in r.stdout.split())


def grey_band(path, frame, top):
    """One frame's bottom-left band (where the watermark goes) or, for `top`, its top-right
    corner (far from both the watermark and the face), as grey bytes."""
    area = "iw/4:ih/6:iw*3/4:0" if top else "iw/2:ih/6:0:ih*5/6"
    r = h.subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf",
                          f"select=eq(n\\,{frame}),crop={area},format=gray",
                          "-frames:v", "1", "-f", "rawvideo", "-"], capture_output=True, timeout=60)
    assert r.returncode == 0 and r.stdout, r.stderr
    return r.stdout


def mean_diff(a, b):
    n = min(len(a), len(b))
    return sum(abs(x - y) for x, y in zip(a[:n], b[:n])) / n


def test_shared_clips_carry_the_watermark_and_blur_faces():
    if "HEARTH_FACES_TOOL" not in os.environ:
        raise h.Skip("the faces tool was not built (OpenCV missing)")
    d = h.tempdir("faces")
    data = os.path.join(d, "data")
    face = os.path.join(d, "face.png")
    h.subprocess.run([os.environ["HEARTH_FACES_TOOL"], "draw", face], check=True, timeout=30)
    movie = os.path.join(d, "face.mp4")
    h.subprocess.run(["ffmpeg", "-v", "error", "-loop", "1", "-i", face, "-t", "20", "-r", "15",
                      "-vf", "format=yuv420p", "-c:v", "libx264", "-bf", "0", "-g", "15", movie],
                     check=True, timeout=120)
    simcam = h.Simcam(extra=("--file", movie))
    try:
        h.hearth("camera", "add", "hall", "--kind", "rtsp", "--url", simcam.url, "--data-dir", data)
        hub = h.Hub(data)
        try:
            h.wait_for("8 s recorded", lambda: (lambda r: r and r[0]["end_ms"] - r[0]["start_ms"] >= 8000)(
                hub.json("/api/cameras/1/recordings")[1]["ranges"]), 40)
            r = hub.json("/api/cameras/1/recordings")[1]["ranges"][0]
            start, end = r["start_ms"] / 1000 + 1, r["start_ms"] / 1000 + 7

            # The household's own copy: the face is there, and no watermark.
            status, _, plain = hub.get(f"/api/cameras/1/download?start={start:.3f}&end={end:.3f}")
            assert status == 200, plain[:200]
            plain_path = os.path.join(d, "plain.mp4")
            open(plain_path, "wb").write(plain)
            before = faces_in(plain_path)
            assert int(before["frames_with_faces"]) >= int(before["frames"]) * 0.7, before
            assert int(before["default_frames_with_faces"]) >= int(before["frames"]) * 0.9, before

            # Shared with faces blurred: not one frame shows a face to either detector.
            status, _, body = hub.request("POST", "/api/cameras/1/shares", {
                "kind": "clip", "start": f"{start:.3f}", "end": f"{end:.3f}", "label": "Aunt May",
                "blur_faces": True})
            assert status == 201, body
            token = json.loads(body)["token"]
            guest = anonymous(hub)
            status, opened = open_link(guest, token)
            assert status == 200, opened
            status, _, video = guest.request("GET", f"/api/shared/clip?ticket={opened['ticket']}",
                                             session=False)
            assert status == 200, video[:200]
            shared_path = os.path.join(d, "shared.mp4")
            open(shared_path, "wb").write(video)
            h.check_playable(shared_path, expect_video="h264", min_duration=4)
            after = faces_in(shared_path)
            assert int(after["frames"]) >= int(before["frames"]) * 0.8, (before, after)
            assert after["frames_with_faces"] == "0" and after["default_frames_with_faces"] == "0", after

            # The recipient's name is burned in: the bottom band changed, the top did not.
            bottom = mean_diff(grey_band(plain_path, 20, False), grey_band(shared_path, 20, False))
            top = mean_diff(grey_band(plain_path, 20, True), grey_band(shared_path, 20, True))
            # (A flat 4-level shift everywhere comes from the re-encode's colour conversion.)
            assert bottom > 15 and top < 8 and bottom > 3 * top, (bottom, top)

            # An export with a watermark and no blur keeps the face and carries the name.
            status, _, marked = hub.get(f"/api/cameras/1/download?start={start:.3f}&end={end:.3f}"
                                        "&watermark=For%20the%20insurer")
            assert status == 200, marked[:200]
            marked_path = os.path.join(d, "marked.mp4")
            open(marked_path, "wb").write(marked)
            kept = faces_in(marked_path)
            assert int(kept["default_frames_with_faces"]) >= int(kept["frames"]) * 0.9, kept
            assert mean_diff(grey_band(plain_path, 20, False), grey_band(marked_path, 20, False)) > 15
            assert hub.get(f"/api/cameras/1/download?start={start:.3f}&end={end:.3f}"
                           "&watermark=%01bad")[0] == 400
        finally:
            assert hub.stop() == 0, hub.output()
        exports = audit_rows(data, "recording.download")
        assert any('watermark "For the insurer"' in detail for _, _, detail in exports), exports
    finally:
        simcam.stop()


if __name__ == "__main__":
    h.run([test_share_links_lifecycle, test_shared_clips_carry_the_watermark_and_blur_faces])
