"""Detection on the simulated camera's scripted scene, through the real hub: the walker
enters at every multiple of 20 s of the wall clock and walks for 12 s, the chirp sounds at
every multiple of 10 s. Motion, person and sound events are dated within a second of the
script, masks and zones are respected, snapshots are encrypted on disk and served to the
household, the app's live channel announces events, and bad settings are refused."""
import json
import os
import threading
import time

import harness as h

PERIOD_S = 20
WALK_S = 12
CLOCK_MASK = [[0, 0], [1, 0], [1, 0.35], [0, 0.35]]  # the burnt-in clock changes every frame


def events(hub, kind):
    status, _, body = hub.request("GET", f"/api/events?camera=1&kind={kind}&limit=200")
    assert status == 200, body
    return sorted(json.loads(body)["events"], key=lambda e: e["at_ms"])


def walks_between(start_s, end_s):
    first = int(start_s // PERIOD_S + 1) * PERIOD_S
    return [t for t in range(first, int(end_s), PERIOD_S) if t + WALK_S <= end_s]


def near(value_s, targets_s, tolerance_s):
    return min(abs(value_s - t) for t in targets_s) <= tolerance_s


def wait_until_wall(t_s):
    time.sleep(max(0.0, t_s - time.time()))


def test_scripted_scene():
    d = h.tempdir("detect")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=4)
    h.hearth("camera", "add", "garden", "--kind", "sim", "--options",
             json.dumps({"width": 640, "height": 360, "fps": 15, "traffic": False,
                         "person_every_s": PERIOD_S}), "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    try:
        # Bad settings: clear errors, the stored settings untouched.
        huge = {"zones": [[[0.5, 0.5]] * 10_000]}
        status, _, body = hub.request("PUT", "/api/cameras/1/detection", huge)
        assert status in (400, 413) and (b"larger than" in body or b"too large" in body), (status, body)
        many = {"masks": [[[0.1, 0.1]] * 100]}
        status, _, body = hub.request("PUT", "/api/cameras/1/detection", many)
        assert status == 400 and b"100 points" in body, body
        status, _, body = hub.request("PUT", "/api/cameras/1/detection", {"sensitivity": 500})
        assert status == 400 and b"sensitivity" in body, body
        assert hub.json("/api/cameras/1/detection")[1]["masks"] == []

        status, _, body = hub.request("PUT", "/api/cameras/1/detection", {"masks": [CLOCK_MASK]})
        assert status == 200, body
        updates = h.WebSocket(hub, "/api/updates", origin=hub.url, timeout=120)
        heard = []

        def listen():  # reads all along, which also answers the hub's pings
            try:
                while True:
                    kind, payload = updates.recv()
                    if kind == "close":
                        return
                    if kind == "text":
                        heard.append(json.loads(payload))
            except (OSError, ConnectionError, AssertionError):
                return
        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        since = time.time()
        # Two walks: the first full one after the settings took effect, and the next.
        walks = walks_between(since + 2, since + 2 + 3 * PERIOD_S)[:2]
        wait_until_wall(walks[-1] + WALK_S + 4)
        until = time.time()

        motion = [e for e in events(hub, "motion") if e["at_ms"] / 1000 >= walks[0] - 2]
        person = [e for e in events(hub, "person") if e["at_ms"] / 1000 >= walks[0] - 2]
        print("walks", walks, "motion", [(e["at_ms"] / 1000 - w, e.get("end_ms", 0) / 1000 - w) for e in motion for w in walks if abs(e["at_ms"] / 1000 - w) < PERIOD_S / 2],
              "person", [(e["at_ms"] / 1000 - w, e.get("end_ms", 0) / 1000 - w, e.get("confidence")) for e in person for w in walks if abs(e["at_ms"] / 1000 - w) < PERIOD_S / 2])
        for w in walks:
            m = [e for e in motion if w - 1 <= e["at_ms"] / 1000 <= w + WALK_S]
            assert m, f"no motion event for the walk at {w}"
            assert abs(m[0]["at_ms"] / 1000 - w) <= 1.0, (w, m[0])
            assert abs(m[-1]["end_ms"] / 1000 - (w + WALK_S)) <= 1.0, (w, m[-1])
            p = [e for e in person if w - 1 <= e["at_ms"] / 1000 <= w + WALK_S]
            assert p, f"no person event for the walk at {w}"
            assert abs(p[0]["at_ms"] / 1000 - w) <= 1.0, (w, p[0])
            assert abs(p[-1]["end_ms"] / 1000 - (w + WALK_S)) <= 1.5, (w, p[-1])
            assert 0.5 < p[0]["confidence"] <= 1.0
        # Nothing moved outside the walks (the clock is masked, there is no traffic).
        for e in motion + person:
            assert near(e["at_ms"] / 1000, walks, WALK_S), e

        # Sound: the chirp at each multiple of 10 s.
        sound = [e for e in events(hub, "sound") if since + 3 <= e["at_ms"] / 1000 <= until]
        chirps = list(range(int(since + 3) // 10 * 10 + 10, int(until) - 1, 10))
        assert len(sound) >= len(chirps) - 1, (sound, chirps)
        for e in sound:
            assert near(e["at_ms"] / 1000, chirps, 1.0), e

        # The app heard them live.
        live = [m for m in heard if m.get("type") == "event"]
        assert {"person", "motion"} <= {m["event"]["kind"] for m in live}, heard[-5:]
        assert all(m["event"]["camera"] == 1 and m["phase"] in ("started", "updated", "ended") for m in live)
        assert any(m["phase"] == "started" and m["event"]["kind"] == "person" for m in live)
        updates.close()

        # The snapshot: a JPEG for the household, encrypted on disk.
        snap = person[0]["snapshot"]
        status, headers, jpeg = hub.request("GET", snap)
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and jpeg[:2] == b"\xff\xd8", status
        files = [os.path.join(r, f) for r, _, fs in os.walk(os.path.join(data, "snapshots")) for f in fs]
        assert files and all(f.endswith(".jpg.enc") for f in files), files
        for f in files:
            h.check_unreadable(f)
        assert hub.request("GET", "/api/events/999999/snapshot")[0] == 404

        # A zone on the right half only: the next walk's motion starts when the walker
        # reaches it, about halfway.
        zone = [[0.5, 0.4], [1, 0.4], [1, 1], [0.5, 1]]
        status, _, body = hub.request("PUT", "/api/cameras/1/detection", {"masks": [CLOCK_MASK], "zones": [zone]})
        assert status == 200, body
        w = walks_between(time.time() + 1, time.time() + 2 * PERIOD_S + WALK_S)[0]
        wait_until_wall(w + WALK_S + 4)
        m = [e for e in events(hub, "motion") if w - 1 <= e["at_ms"] / 1000 <= w + WALK_S]
        assert m, "no motion in the zone"
        assert 4.0 <= m[0]["at_ms"] / 1000 - w <= 7.5, m[0]
    finally:
        hub.stop()


if __name__ == "__main__":
    h.run([test_scripted_scene])
