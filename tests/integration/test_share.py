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


if __name__ == "__main__":
    h.run([test_share_links_lifecycle])
