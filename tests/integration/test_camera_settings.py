"""Camera settings over the API: rename and stop/start need the `manage` right and a
fresh proof, answer clearly on bad input and name clashes, take effect on the running
hub, and are audited."""
import json
import os

import harness as h


def test_rename_stop_and_start():
    d = h.tempdir("camsettings")
    hub = h.Hub(os.path.join(d, "data"), demo=True)
    try:
        h.wait_for("camera 1 online", lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)
        def patch(client, body):
            status, _, payload = client.request("PATCH", "/api/cameras/1", body)
            return status, payload

        status, body = patch(hub, {"name": "porch"})
        assert status == 200 and json.loads(body)["name"] == "porch", (status, body)
        assert hub.json("/api/cameras/1")[1]["name"] == "porch"

        for bad, why in [({"name": ""}, "empty"), ({"name": "x" * 65}, "longer"),
                         ({"name": "a\nb"}, "control"), ({"enabled": "no"}, "true or false"),
                         ({"colour": "red"}, "colour"), ({}, "give")]:
            status, body = patch(hub, bad)
            assert status == 400 and why in json.loads(body)["error"], (bad, status, body)
        status, body = patch(hub, {"name": "front-door"})  # camera 2's name
        assert status == 409 and "already exists" in json.loads(body)["error"], (status, body)

        member, _ = hub.add_user("mia", "member", "1=live,recordings")
        status, _ = patch(member, {"enabled": False})
        assert status == 403

        assert patch(hub, {"enabled": False})[0] == 200
        h.wait_for("camera stopped", lambda: hub.json("/api/cameras/1")[1]["state"] in
                   ("stopped", "disabled"), 20)
        assert patch(hub, {"enabled": True})[0] == 200
        h.wait_for("camera running again",
                   lambda: hub.json("/api/cameras/1")[1]["state"] == "online", 30)

        _, log = hub.json("/api/audit?action=camera.update")
        details = [e["detail"] for e in log["entries"]]
        assert "name porch" in details and "stopped" in details and "started" in details, details
    finally:
        assert hub.stop() == 0


if __name__ == "__main__":
    h.run([test_rename_stop_and_start])
