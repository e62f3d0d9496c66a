"""Adding a real IP camera the way people expect, against `hearth simcam` as the camera:
the hub finds it by WS-Discovery, refuses wrong credentials with a clear message and saves
nothing, reads its profiles and stream address over ONVIF, checks that the stream plays,
records it, steers it through ONVIF PTZ (the simcam's position follows), keeps presets on
the camera, and stores the password only sealed. A camera added by its RTSP address works
too, without PTZ. Network only on 127.0.0.1."""
import os
import re
import time

import harness as h


def start_simcam(d):
    creds = h.make_credentials(d)
    cam = h.Simcam(credentials_file=creds, size=(640, 360),
                   extra=("--onvif-listen", "127.0.0.1:0", "--discovery-listen", "0"))

    def line(pattern):
        for text in list(cam.lines):
            m = re.search(pattern, text)
            if m:
                return m.group(1)
        return None
    onvif = h.wait_for("the simcam's ONVIF address",
                       lambda: line(r"onvif listening on (http://\S+)"), 10)
    port = int(h.wait_for("the simcam's discovery port",
                          lambda: line(r"discovery listening on udp port (\d+)"), 10))
    user, password = open(creds).read().strip().split(":", 1)
    return cam, onvif, port, user, password


def ptz(client, camera, **body):
    status, _, data = client.request("POST", f"/api/cameras/{camera}/ptz", body)
    return status, h.json.loads(data or b"{}")


def test_discover_add_record_and_steer_an_onvif_camera():
    d = h.tempdir("onvif-cam")
    cam, onvif, port, user, password = start_simcam(d)
    data = os.path.join(d, "data")
    cfg = h.write_config(d, onvif_discovery=f"127.0.0.1:{port}")
    hub = h.Hub(data, config=cfg)
    try:
        status, found = hub.json("/api/cameras/discover")
        assert status == 200, found
        mine = [c for c in found["cameras"] if c["device_url"] == onvif]
        assert mine and mine[0]["address"] == "127.0.0.1" and not mine[0]["added"], found

        # Wrong credentials: the camera's refusal, in words, and nothing saved.
        status, _, body = hub.request("POST", "/api/cameras", {
            "name": "Door", "onvif": onvif, "username": user, "password": "not-the-password"})
        assert status == 502, body
        assert b"refused the user name or password" in body, body
        assert hub.json("/api/cameras")[1]["cameras"] == []

        started = time.monotonic()
        status, _, body = hub.request("POST", "/api/cameras", {
            "name": "Door", "onvif": onvif, "username": user, "password": password})
        added_s = time.monotonic() - started
        assert status == 201, body
        added = h.json.loads(body)
        assert added["stream"] == "h264 640x360, aac 48000 Hz" and added["ptz"], added
        assert added["url"] == cam.url and password not in body.decode(), added
        cam_id = added["id"]
        h.wait_for("the added camera online",
                   lambda: hub.json(f"/api/cameras/{cam_id}")[1]["state"] == "online", 20)
        assert hub.json("/api/cameras/discover")[1]["cameras"][0]["added"]
        add = hub.json("/api/audit?action=camera.add")[1]["entries"]
        assert add and add[0]["target"] == f"camera {cam_id}" and password not in str(add), add

        # Steering goes to the camera over ONVIF; its own position report follows.
        status, state = hub.json(f"/api/cameras/{cam_id}/ptz")
        assert status == 200 and state["can_steer"], state
        caps = state["capabilities"]
        assert caps["continuous"] and caps["absolute"] and caps["presets"], caps
        status, body = ptz(hub, cam_id, action="absolute", pan=0.5, tilt=-0.25, zoom=0.2)
        assert status == 200, body

        def position():
            return hub.json(f"/api/cameras/{cam_id}/ptz")[1]["status"]["position"]
        h.wait_for("the camera to arrive", lambda: position() == {
            "pan": 0.5, "tilt": -0.25, "zoom": 0.2}, 15, 0.25)
        status, body = ptz(hub, cam_id, action="save_preset", name="Gate")
        assert status == 200 and body["presets"][0]["name"] == "Gate", body
        assert ptz(hub, cam_id, action="home")[0] == 200
        h.wait_for("home", lambda: position() == {"pan": 0, "tilt": 0, "zoom": 0}, 15, 0.25)
        assert ptz(hub, cam_id, action="preset", name="Gate")[0] == 200
        h.wait_for("back at the preset", lambda: position() == {
            "pan": 0.5, "tilt": -0.25, "zoom": 0.2}, 15, 0.25)
        status, body = ptz(hub, cam_id, action="continuous", pan=-1, timeout_ms=500)
        assert status == 200, body
        h.wait_for("the continuous move to run and time out",
                   lambda: position()["pan"] < 0.4 and not hub.json(
                       f"/api/cameras/{cam_id}/ptz")[1]["status"]["moving"], 10, 0.25)
        assert ptz(hub, cam_id, action="remove_preset", name="Gate")[0] == 200

        # The same camera by its RTSP address: recorded, no PTZ to offer.
        status, _, body = hub.request("POST", "/api/cameras", {
            "name": "Door RTSP", "rtsp": cam.url, "username": user, "password": password})
        assert status == 201, body
        rtsp_id = h.json.loads(body)["id"]
        h.wait_for("the RTSP camera online",
                   lambda: hub.json(f"/api/cameras/{rtsp_id}")[1]["state"] == "online", 20)
        assert hub.json(f"/api/cameras/{rtsp_id}/ptz")[1]["capabilities"] is None
        status, _, body = hub.request("POST", "/api/cameras", {
            "name": "In URL", "rtsp": cam.url.replace("rtsp://", f"rtsp://{user}:x@")})
        assert status == 400 and b"not in the address" in body, body
        status, _, body = hub.request("POST", "/api/cameras", {"name": "Door", "rtsp": cam.url,
                                                               "check": False})
        assert status == 409, body

        # Members cannot add cameras; the password is sealed at rest.
        mark, _ = hub.add_user("mark", "member", "1=live")
        status, _, _ = mark.request("POST", "/api/cameras", {"name": "x", "rtsp": cam.url})
        assert status == 403
        for root, _, files in os.walk(data):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    assert password.encode() not in f.read(), name
        print(f"onvif: discovered, checked and added in {added_s:.1f} s")
    finally:
        assert hub.stop() == 0
        cam.stop()


if __name__ == "__main__":
    h.run([test_discover_add_record_and_steer_an_onvif_camera])
