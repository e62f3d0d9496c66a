"""Steering the simulated camera through a real hub: a move changes the live picture
(frames decoded by ffmpeg and compared) and the reported position, a preset returns to
the same view, one person holds the camera at a time (others see who), a member without
the `ptz` right is refused, the camera does not move, and the audit log has it all."""
import json
import os
import subprocess
import time

import harness as h

W, H = 64, 36  # frames are compared small and grey: the view, not the moving details


def grab_frame(hub, camera, seconds=1.2):
    """The last frame of ~1 s of the camera's live view, as W*H grey bytes."""
    ws = h.WebSocket(hub, f"/api/cameras/{camera}/live", origin=hub.url)
    assert ws.status == 101, ws.head
    chunks = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds or len(chunks) < 3:
            kind, payload = ws.recv()
            if kind == "binary":
                chunks.append(payload)
    finally:
        ws.close()
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "-", "-vf", f"scale={W}:{H},format=gray",
         "-f", "rawvideo", "-"], input=b"".join(chunks), capture_output=True, check=True).stdout
    assert len(raw) >= W * H, len(raw)
    return raw[-W * H:]


def difference(a, b):
    """Mean absolute difference of two grey frames, 0-255."""
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a)


def ptz(client, camera, **body):
    status, _, data = client.request("POST", f"/api/cameras/{camera}/ptz", body)
    return status, json.loads(data or b"{}")


def settle(client, camera):
    """Waits until the camera stops moving; returns its state."""
    state = {}

    def still():
        nonlocal state
        status, state = client.json(f"/api/cameras/{camera}/ptz")
        return status == 200 and not state["status"]["moving"]
    h.wait_for("the camera to stop", still, 15, 0.2)
    return state


def test_moves_change_the_picture_and_presets_return():
    d = h.tempdir("ptz")
    hub = h.Hub(os.path.join(d, "data"), demo=True)
    try:
        h.wait_for("camera 1 online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)
        state = settle(hub, 1)
        caps = state["capabilities"]
        assert caps["continuous"] and caps["absolute"] and caps["presets"] and caps["zoom"], caps
        assert caps["max_presets"] == 32 and state["can_steer"] and state["holder"] is None
        assert state["status"]["position"] == {"pan": 0, "tilt": 0, "zoom": 0}, state

        still_a = grab_frame(hub, 1)
        still_b = grab_frame(hub, 1)
        noise = difference(still_a, still_b)

        started = time.monotonic()
        status, body = ptz(hub, 1, action="absolute", pan=-0.8, tilt=0.4, zoom=0.5)
        assert status == 200, body
        assert body["holder"]["user"] == h.OWNER_NAME and body["holder"]["you"], body
        moving = body["status"]["moving"]
        state = settle(hub, 1)
        travel_s = time.monotonic() - started
        assert moving, "an absolute move takes time, like a real camera's"
        assert state["status"]["position"] == {"pan": -0.8, "tilt": 0.4, "zoom": 0.5}, state
        door = grab_frame(hub, 1)
        moved = difference(still_a, door)
        assert moved > 4 * noise + 5, (moved, noise)

        status, body = ptz(hub, 1, action="save_preset", name="Front door")
        assert status == 200 and body["presets"][0]["name"] == "Front door", body

        # Continuous moves run until stopped (or their timeout), then stay put.
        status, body = ptz(hub, 1, action="continuous", pan=1, tilt=-1, timeout_ms=1500)
        assert status == 200, body
        time.sleep(0.6)
        status, body = ptz(hub, 1, action="stop")
        assert status == 200, body
        after_stop = settle(hub, 1)["status"]["position"]
        time.sleep(0.5)
        assert settle(hub, 1)["status"]["position"] == after_stop
        assert -0.8 < after_stop["pan"] < 0 and after_stop["tilt"] < 0.4, after_stop

        assert ptz(hub, 1, action="home")[0] == 200
        assert settle(hub, 1)["status"]["position"] == {"pan": 0, "tilt": 0, "zoom": 0}
        home = grab_frame(hub, 1)
        assert difference(home, door) > 4 * noise + 5

        status, body = ptz(hub, 1, action="preset", name="Front door")
        assert status == 200, body
        assert settle(hub, 1)["status"]["position"] == {"pan": -0.8, "tilt": 0.4, "zoom": 0.5}
        back = grab_frame(hub, 1)
        returned = difference(back, door)
        assert returned < 2 * noise + 3, (returned, noise)

        status, body = ptz(hub, 1, action="preset", name="Nowhere")
        assert status == 404 and "no preset named" in body["error"], body
        status, body = ptz(hub, 1, action="absolute", pan=0, tilt=0)
        assert status == 400 and "'zoom' is required" in body["error"], body
        print(f"ptz: picture difference still {noise:.1f}, after a move {moved:.1f}, back at "
              f"the preset {returned:.1f} (0-255); absolute move took {travel_s:.1f} s")

        # Holding and letting go are audited, like the preset.
        status, _ = ptz(hub, 1, action="release")
        assert status == 200
        audit = {a: hub.json(f"/api/audit?action={a}")[1]["entries"]
                 for a in ("ptz.control", "ptz.release", "ptz.preset")}
        assert audit["ptz.control"][0]["target"] == "camera 1", audit
        assert audit["ptz.release"][0]["detail"].startswith("released after "), audit
        assert audit["ptz.preset"][0]["detail"] == "save preset Front door", audit
    finally:
        assert hub.stop() == 0


def test_one_controller_at_a_time_and_the_ptz_right():
    d = h.tempdir("ptz-rights")
    hub = h.Hub(os.path.join(d, "data"), demo=True)
    try:
        h.wait_for("camera 1 online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)
        mark, _ = hub.add_user("mark", "member", "1=live,recordings")
        pia, _ = hub.add_user("pia", "member", "1=live,ptz")

        status, state = mark.json("/api/cameras/1/ptz")
        assert status == 200 and not state["can_steer"], state
        status, body = ptz(mark, 1, action="absolute", pan=1, tilt=1, zoom=1)
        assert status == 403, body
        time.sleep(0.5)
        assert settle(hub, 1)["status"]["position"] == {"pan": 0, "tilt": 0, "zoom": 0}
        denied = hub.json("/api/audit?action=access.denied")[1]["entries"]
        assert denied and denied[0]["actor"] == "mark" and denied[0]["target"] == "camera 1", denied
        assert denied[0]["detail"] == "camera:ptz: POST /api/cameras/1/ptz", denied

        # Pia takes the camera; the owner is told who has it, and sees it in presence.
        status, body = ptz(pia, 1, action="continuous", pan=0.5, timeout_ms=500)
        assert status == 200, body
        status, body = ptz(hub, 1, action="absolute", pan=-1, tilt=0, zoom=0)
        assert status == 409 and body["error"] == "pia is steering this camera", body
        status, state = hub.json("/api/cameras/1/ptz")
        assert state["holder"]["user"] == "pia" and not state["holder"]["you"], state
        presence = hub.json("/api/presence")[1]["presence"]
        assert any(p["kind"] == "ptz" and p["user"] == "pia" for p in presence), presence

        # The owner ends pia's steering from presence; then the owner may steer.
        pid = next(p["id"] for p in presence if p["kind"] == "ptz")
        status, _, _ = hub.request("DELETE", f"/api/cameras/1/viewers/{pid}")
        assert status in (200, 204), status
        status, body = ptz(hub, 1, action="absolute", pan=-1, tilt=0, zoom=0)
        assert status == 200, body
        status, body = ptz(pia, 1, action="stop")
        assert status == 409 and body["error"] == f"{h.OWNER_NAME} is steering this camera"
        ended = hub.json("/api/audit?action=ptz.release")[1]["entries"]
        assert ended[0]["actor"] == "pia" and ended[0]["detail"].startswith("ended by another")

        # Commands faster than 10 a second are refused once the burst of 20 is spent. The
        # bucket is the camera's: let the moves above refill it first.
        time.sleep(2.2)
        accepted = 0
        for _ in range(300):
            status, body = ptz(hub, 1, action="stop")
            if status == 429:
                assert "too many camera moves" in body["error"], body
                break
            assert status == 200, body
            accepted += 1
        assert 20 <= accepted < 300, accepted
    finally:
        assert hub.stop() == 0


if __name__ == "__main__":
    h.run([test_moves_change_the_picture_and_presets_return,
           test_one_controller_at_a_time_and_the_ptz_right])
