"""Talk to IP cameras through the ONVIF RTSP audio backchannel, against a real hub and two
`hearth simcam` processes with digest auth: one offers a backchannel (and keeps what it
hears in a WAV file), the other offers none. The camera list says which camera has one, the
WebRTC offer has a talk line only for that camera, and talking opens the backchannel session
with the camera's credentials (none of them ever shown). That the hub's audio arrives at the
expected level is checked in tests/unit/media/backchannel_test.cc, against the same simcam:
Python here has no WebRTC peer to send audio with."""
import json
import os

import harness as h


def offer_for(client, camera):
    ws = h.WebSocket(client, f"/api/cameras/{camera}/webrtc", origin=client.url)
    assert ws.status == 101, ws.head
    ws.send_text(json.dumps({"type": "start"}))
    while True:
        m = ws.recv_json()
        if m["type"] == "offer":
            return ws, m
        assert m["type"] != "error", m


def recv_until(ws, kind):
    while True:
        m = ws.recv_json()
        if m["type"] == kind:
            return m


def test_talk_reaches_only_cameras_with_a_backchannel():
    d = h.tempdir("backchannel")
    creds = h.make_credentials(d)
    password = open(creds).read().strip().split(":", 1)[1]
    wav = os.path.join(d, "porch-heard.wav")
    small = dict(size=(320, 180), fps=10, kbps=300)
    porch = h.Simcam(credentials_file=creds, extra=["--backchannel-wav", wav], **small)
    garage = h.Simcam(credentials_file=creds, extra=["--no-backchannel"], **small)
    hub = None
    try:
        data = os.path.join(d, "data")
        for name, cam in (("porch", porch), ("garage", garage)):
            h.hearth("camera", "add", name, "--kind", "rtsp", "--url", cam.url,
                     "--credentials-file", creds, "--data-dir", data)
        config = h.write_config(d, ice_networks=["127.0.0.0/8"], client_requests_per_second=0)
        hub = h.Hub(data, config=config)

        def backchannel(camera):
            speaker = hub.json(f"/api/cameras/{camera}")[1].get("speaker") or {}
            return speaker.get("backchannel") or {}

        # The capability, as the app shows it on each camera.
        h.wait_for("both capabilities known", lambda: (
            backchannel(1).get("capability") == "offered"
            and backchannel(2).get("capability") == "not offered"), 30)
        assert backchannel(1)["codec"] == "PCMU", backchannel(1)
        assert backchannel(2)["error"] == "", backchannel(2)  # the capability says it all
        h.wait_for("cameras online", lambda: all(
            c["state"] == "online" for c in hub.json("/api/cameras")[1]["cameras"]), 30)

        # No talk line for the camera that cannot hear.
        ws, offer = offer_for(hub, 2)
        assert offer["talk"] is False, offer
        ws.send_text(json.dumps({"type": "talk", "on": True}))
        assert "may not talk" in recv_until(ws, "error")["error"]
        ws.close()

        # Talking to the porch opens its backchannel, with its digest credentials.
        ws, offer = offer_for(hub, 1)
        assert offer["talk"] is True, offer
        ws.send_text(json.dumps({"type": "talk", "on": True}))
        assert recv_until(ws, "talk")["on"] is True
        h.wait_for("backchannel open", lambda: backchannel(1).get("link") == "open", 15)
        status, cam = hub.json("/api/cameras/1")
        assert cam["speaker"]["talker"] == h.OWNER_NAME, cam
        assert backchannel(1)["error"] == "", backchannel(1)
        ws.send_text(json.dumps({"type": "talk", "on": False}))
        assert recv_until(ws, "talk")["on"] is False
        # The session lingers for the next press of push-to-talk.
        assert backchannel(1)["link"] == "open", backchannel(1)
        ws.close()

        for camera in (1, 2):
            assert password not in json.dumps(hub.json(f"/api/cameras/{camera}")[1])
        assert password not in hub.output()
    finally:
        if hub:
            assert hub.stop() == 0
        porch.stop()
        garage.stop()


if __name__ == "__main__":
    h.run([test_talk_reaches_only_cameras_with_a_backchannel])
