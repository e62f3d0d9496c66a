"""WebRTC signalling against a real hub and its real webrtcbin: the offer forwards the
camera's H.264 (no transcode) with the talk line only for those with the `talk` right, ICE
candidates stay inside `ice_networks`, bad messages get clear errors, guests without the
`live` right get nothing, and viewing and talking are in presence and the audit log. The
media path itself is exercised by the browser test (tests/e2e)."""
import json
import os
import socket
import time

import harness as h


def offer_for(client, camera=1):
    ws = h.WebSocket(client, f"/api/cameras/{camera}/webrtc", origin=client.url)
    assert ws.status == 101, ws.head
    ws.send_text(json.dumps({"type": "start"}))
    offer = ws.recv_json()
    assert offer["type"] == "offer", offer
    return ws, offer


def recv_until(ws, kind):
    """The next message of `kind` ("error", "talk", ...), skipping ice and state messages."""
    while True:
        m = ws.recv_json()
        if m["type"] == kind:
            return m


def candidates(ws, count):
    out = []
    while len(out) < count:
        m = ws.recv_json()
        if m["type"] == "ice":
            out.append(m["candidate"])
    return out


def udp_sockets(pid):
    """(address, port) of every UDP socket the process holds, from /proc."""
    import glob
    inodes = set()
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    out = []
    for table, v6 in (("/proc/net/udp", False), ("/proc/net/udp6", True)):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                if fields[9] not in inodes:
                    continue
                addr, port = fields[1].split(":")
                raw = bytes.fromhex(addr)
                if v6:  # four little-endian 32-bit words
                    raw = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    text = socket.inet_ntop(socket.AF_INET6, raw)
                else:
                    text = socket.inet_ntop(socket.AF_INET, raw[::-1])
                out.append((text, int(port, 16)))
    return out


def test_webrtc_signalling():
    d = h.tempdir("webrtc")
    config = h.write_config(d, ice_networks=["127.0.0.0/8"], client_requests_per_second=0)
    hub = h.Hub(os.path.join(d, "data"), config=config, demo=True)
    try:
        h.wait_for("camera 1 online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)

        # The owner: video as the camera sent it, the camera's microphone, and talk.
        ws, offer = offer_for(hub)
        sdp = offer["sdp"]
        assert offer["talk"] is True and offer["audio"] is True, offer
        video = sdp[sdp.index("m=video"):sdp.index("m=audio")]
        assert "H264/90000" in video and "a=sendonly" in video, video
        assert "packetization-mode=1" in video
        audio = sdp[sdp.index("m=audio"):]
        assert "OPUS/48000/2" in audio and "a=sendrecv" in audio, audio
        assert "a=fingerprint:sha-256" in sdp  # DTLS-SRTP, nothing in the clear
        # Only the networks the household allowed are ever offered.
        for c in candidates(ws, 1):
            assert c.split()[4].startswith("127."), c
        status, presence = hub.json("/api/presence")
        assert [p["kind"] for p in presence["presence"]] == ["live"], presence
        # ICE opened ports on the allowed networks only, and nothing asked a router over
        # UPnP (SSDP, port 1900) to open the hub to the internet.
        sockets = udp_sockets(hub.proc.pid)
        assert sockets and all(a.startswith("127.") or a == "::1" for a, _ in sockets), sockets
        assert not any(port == 1900 for _, port in sockets), sockets

        # Malformed signalling gets a clear error and the socket is closed.
        ws.send_text("{not json")
        m = recv_until(ws, "error")
        assert "JSON" in m["error"], m
        h.wait_for("presence cleared", lambda: hub.json("/api/presence")[1]["presence"] == [], 10)

        ws, _ = offer_for(hub)
        ws.send_text(json.dumps({"type": "answer", "sdp": "v=0 garbage"}))
        m = recv_until(ws, "error")
        assert "SDP" in m["error"], m
        ws.close()

        # A member who may watch but not talk: no talk line, and asking to talk is refused.
        member, _ = hub.add_user("mia", "member", "1=live")
        ws, offer = offer_for(member)
        assert offer["talk"] is False and offer["audio"] is True, offer
        ws.send_text(json.dumps({"type": "talk", "on": True}))
        m = recv_until(ws, "error")
        assert "may not talk" in m["error"], m
        ws.close()

        # A member talking whose talk right is taken away stops talking within seconds.
        talker, _ = hub.add_user("tia", "member", "1=live,talk")
        ws, offer = offer_for(talker)
        assert offer["talk"] is True
        ws.send_text(json.dumps({"type": "talk", "on": True}))
        m = recv_until(ws, "talk")
        assert m["on"] is True
        assert hub.json("/api/cameras/1")[1]["speaker"]["talker"] == "tia"
        _, users = hub.json("/api/users")
        tia = [u for u in users["users"] if u["name"] == "tia"][0]
        status, _, body = hub.request("PATCH", f"/api/users/{tia['id']}",
                                      {"rights": {"1": ["live"]}})
        assert status in (200, 204), (status, body)
        m = recv_until(ws, "error")
        assert "withdrawn" in m["error"], m
        assert hub.json("/api/cameras/1")[1]["speaker"]["talker"] == ""
        ws.close()

        # A guest with no right on camera 2 gets no stream at all.
        guest, _ = hub.add_user("gus", "guest", "1=live")
        ws = h.WebSocket(guest, "/api/cameras/2/webrtc", origin=guest.url)
        assert ws.status in (403, 404), ws.head
        # And a page from another origin cannot open it with the owner's cookies.
        ws = h.WebSocket(hub, "/api/cameras/1/webrtc", origin="https://attacker.example")
        assert ws.status == 403, ws.head

        def audited():
            _, log = hub.json("/api/audit?limit=200")
            return [(e["actor"], e["action"]) for e in log["entries"]]
        h.wait_for("audit", lambda: ("mia", "talk.refused") in audited(), 10)
        entries = audited()
        assert ("tester", "live.start") in entries and ("tester", "live.stop") in entries
        assert ("mia", "live.start") in entries
    finally:
        assert hub.stop() == 0


def test_updates_push_presence_to_every_member():
    d = h.tempdir("updates")
    config = h.write_config(d, ice_networks=["127.0.0.0/8"], client_requests_per_second=0)
    hub = h.Hub(os.path.join(d, "data"), config=config, demo=True)
    try:
        h.wait_for("camera 1 online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)
        member, _ = hub.add_user("dad", "member", "1=live,recordings")
        updates = h.WebSocket(member, "/api/updates", origin=member.url)
        assert updates.status == 101, updates.head
        assert updates.recv_json_except("event") == {"type": "presence", "presence": []}

        started = time.monotonic()
        viewer, _ = offer_for(hub)
        m = updates.recv_json_except("event")
        seen_after = time.monotonic() - started
        assert m["type"] == "presence" and len(m["presence"]) == 1, m
        entry = m["presence"][0]
        assert (entry["user"], entry["camera"], entry["kind"]) == (h.OWNER_NAME, 1, "live")
        assert "source" not in entry  # addresses are for owners only
        assert seen_after < 2.0, seen_after
        print(f"presence reached another member in {seen_after * 1000:.0f} ms")
        viewer.close()
        assert updates.recv_json_except("event")["presence"] == []

        # Odd messages get an error, never the hub: a number for a type, a number for a kind,
        # and a message too large to be one the app sends.
        for odd in ({"type": 1}, {"type": "watching", "camera": 1, "kind": 5}, [1, 2],
                    {"type": "watching", "pad": "x" * 5000}):
            updates.send_text(json.dumps(odd))
            m = updates.recv_json_except("event")
            assert m["type"] == "error", (odd, m)
        # A viewer whose browser sends bytes that are not UTF-8 as its User-Agent.
        odd_viewer = h.WebSocket(hub, "/api/cameras/1/live", origin=hub.url,
                                 headers={"User-Agent": b"Evil\xff\xfe/1.0"})
        assert odd_viewer.status == 101, odd_viewer.head
        m = updates.recv_json_except("event")
        assert m["type"] == "presence" and m["presence"][0]["device"] == "Evil??/1.0", m
        odd_viewer.close()
        assert updates.recv_json_except("event")["presence"] == []
        assert hub.json("/healthz")[0] == 200

        # The app declares a playback on the same socket; it ends with the socket.
        updates.send_text(json.dumps({"type": "watching", "camera": 1, "kind": "playback"}))
        m = updates.recv_json_except("event")
        assert [(p["user"], p["kind"]) for p in m["presence"]] == [("dad", "playback")], m
        status, presence = hub.json("/api/presence")
        assert presence["presence"][0]["kind"] == "playback"
        updates.send_text(json.dumps({"type": "watching", "camera": 2, "kind": "playback"}))
        m = recv_until(updates, "error")
        assert "may not" in m["error"], m
        updates.close()
        h.wait_for("playback presence cleared",
                   lambda: hub.json("/api/presence")[1]["presence"] == [], 10)
        _, log = hub.json("/api/audit?actor=dad")
        actions = {e["action"] for e in log["entries"]}
        assert {"playback.start", "playback.stop"} <= actions, actions

        # Removing the account (here from the CLI, another process) ends its open views.
        viewer, _ = offer_for(member)
        updates = h.WebSocket(member, "/api/updates", origin=member.url)
        h.hearth("user", "remove", "dad", "--data-dir", hub.data_dir)
        started = time.monotonic()
        for ws in (viewer, updates):
            while True:
                try:
                    kind, _ = ws.recv()
                except (OSError, ConnectionError):
                    break
                if kind == "close":
                    break
        closed_after = time.monotonic() - started
        assert closed_after < 12, closed_after
        print(f"a removed account's live view and updates closed {closed_after:.1f} s later")
    finally:
        assert hub.stop() == 0


def test_h265_camera_is_shown_as_h264():
    """Browsers play H.265 neither over WebRTC nor in MSE, and WebRTC carries no AAC: one
    shared conversion per camera gives them H.264 and Opus, and both paths say so; the
    recording keeps the camera's H.265 and AAC."""
    d = h.tempdir("h265")
    data = os.path.join(d, "data")
    config = h.write_config(d, ice_networks=["127.0.0.0/8"], client_requests_per_second=0)
    h.hearth("camera", "add", "attic", "--kind", "sim", "--options",
             json.dumps({"video_codec": "h265", "width": 640, "height": 360, "fps": 15}),
             "--data-dir", data)
    hub = h.Hub(data, config=config)
    try:
        h.wait_for("camera online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)
        ws, offer = offer_for(hub)
        assert "H.265" in offer["video"] and "H264/90000" in offer["sdp"], offer["video"]
        # The camera's AAC microphone comes back as Opus, which WebRTC carries.
        assert offer["audio"] is True and "OPUS/48000" in offer["sdp"], offer
        ws.close()

        live = h.WebSocket(hub, "/api/cameras/1/live", origin=hub.url)
        init = live.recv_json()
        assert init["mime"].startswith('video/mp4; codecs="avc1.'), init
        assert "H.265" in init["video"], init
        chunks, started = [], time.monotonic()
        while time.monotonic() - started < 4:
            kind, payload = live.recv()
            assert kind == "binary"
            chunks.append(payload)
        live.close()
        path = os.path.join(d, "fallback.mp4")
        with open(path, "wb") as f:
            f.write(b"".join(chunks))
        streams = h.ffprobe_json(path, "-show_entries", "stream=codec_name")["streams"]
        assert sorted(s["codec_name"] for s in streams) == ["h264", "opus"], streams
        h.ffmpeg_decodes(path)

        def recorded_codecs():
            _, rec = hub.json("/api/cameras/1/recordings")
            return rec
        h.wait_for("a recording", lambda: recorded_codecs().get("ranges"), 30)
    finally:
        assert hub.stop() == 0
    db = h.index_db(data)
    codecs = {row[0] for row in db.execute("SELECT codecs FROM segments")}
    assert codecs and all(c == "h265,aac" for c in codecs), codecs


if __name__ == "__main__":
    h.run([test_webrtc_signalling, test_updates_push_presence_to_every_member,
           test_h265_camera_is_shown_as_h264])
