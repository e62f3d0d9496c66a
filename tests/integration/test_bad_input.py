"""Bad input from every side: config files, the command line, cameras that refuse,
reject our credentials or talk garbage, and a disk that fills up. Each gives a
clear error, and the hub keeps serving the other cameras."""
import os
import socket
import subprocess
import threading
import time

import harness as h


def events(hub, kind=None):
    evs = hub.json("/api/events?limit=1000")[1]["events"]
    return [e for e in evs if kind is None or e["kind"] == kind]


def test_bad_config_files_fail_fast_naming_file_line_and_key():
    d = h.tempdir("cfg")
    cases = {
        'listen = "127.0.0.1:8080"\nlisten_port = 9\n': ("hearth.toml:2", "unknown key 'listen_port'"),
        'log_level = "loud"\n': ("hearth.toml:1", "log_level"),
        'data_dir = 5\n': ("hearth.toml:1", "expected a non-empty path string"),
        'listen = "127.0.0.1:99999"\n': ("hearth.toml:1", "0 to 65535"),
        'listen = "unterminated\n': ("hearth.toml:1", ""),
    }
    for text, (where, what) in cases.items():
        path = os.path.join(d, "hearth.toml")
        open(path, "w").write(text)
        r = h.hearth("serve", "--config", path, "--data-dir", os.path.join(d, "data"),
                     "--listen", "127.0.0.1:0", check=False)
        assert r.returncode == 2, (text, r.returncode, r.stderr)
        assert where in r.stderr and what in r.stderr, (text, r.stderr)
    # The documented example parses.
    example = os.path.join(os.path.dirname(__file__), "..", "..", "config", "hearth.example.toml")
    r = h.hearth("camera", "list", "--config", example, "--data-dir", os.path.join(d, "data"))
    assert r.returncode == 0


def test_command_line_refuses_unsafe_or_bad_values():
    d = h.tempdir("cli")
    data = os.path.join(d, "data")
    r = h.hearth("camera", "add", "x", "--kind", "rtsp", "--url",
                 "rtsp://user:secret@127.0.0.1/s", "--data-dir", data, check=False)
    assert r.returncode == 2 and "not in the URL" in r.stderr and "secret" not in r.stderr
    r = h.hearth("camera", "add", "x", "--kind", "rtsp", "--url", "http://127.0.0.1/",
                 "--data-dir", data, check=False)
    assert r.returncode == 2 and "rtsp://" in r.stderr
    r = h.hearth("camera", "add", "x", "--kind", "sim", "--options", '{"fps": 1000}',
                 "--data-dir", data, check=False)
    assert r.returncode == 2 and "fps" in r.stderr
    r = h.hearth("camera", "add", "x", "--kind", "sim", "--options", "not json",
                 "--data-dir", data, check=False)
    assert r.returncode == 2
    h.hearth("camera", "add", "x", "--kind", "sim", "--data-dir", data)
    r = h.hearth("camera", "add", "x", "--kind", "sim", "--data-dir", data, check=False)
    assert r.returncode != 0 and "already exists" in r.stderr
    r = h.hearth("camera", "remove", "nope", "--data-dir", data, check=False)
    assert r.returncode != 0 and "no camera named" in r.stderr
    assert "removed camera x" in h.hearth("camera", "remove", "x", "--data-dir", data).stdout
    r = h.hearth("serve", "--data-dir", data, "--listen", "127.0.0.1:99999", check=False)
    assert r.returncode == 2 and "65535" in r.stderr, r.stderr
    assert h.hearth("version").stdout.startswith("hearth ")
    assert "hearth demo" in h.hearth("--help").stdout


class GarbageServer:
    """Accepts RTSP connections and answers with noise."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            try:
                conn.recv(4096)
                conn.sendall(os.urandom(2048) + b"\r\n\r\nRTSP/9.9 999 ???\r\n\r\n" + os.urandom(512))
            except OSError:
                pass
            conn.close()


def test_failing_cameras_are_reported_and_others_keep_recording():
    d = h.tempdir("bad")
    data = os.path.join(d, "data")
    creds = h.make_credentials(d)
    wrong = os.path.join(d, "wrong")
    open(wrong, "w").write("viewer:not-the-password\n")
    simcam = h.Simcam(credentials_file=creds)
    garbage = GarbageServer()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    refused_port = closed.getsockname()[1]
    closed.close()  # nothing listens here now
    try:
        h.hearth("camera", "add", "good", "--kind", "sim", "--options",
                 '{"width":320,"height":180,"fps":10}', "--data-dir", data)
        # Checked before saving: each is refused with the reason...
        for name, url, extra, reason in (
                ("refused", f"rtsp://127.0.0.1:{refused_port}/stream", (), "connection refused"),
                ("wrong-password", simcam.url, ("--credentials-file", wrong), "(401)"),
                ("garbage", f"rtsp://127.0.0.1:{garbage.port}/stream", (),
                 "malformed RTSP response")):
            r = h.hearth("camera", "add", name, "--kind", "rtsp", "--url", url, *extra,
                         "--data-dir", data, check=False)
            assert r.returncode != 0 and "stream does not play" in r.stderr, r.stderr
            assert reason in r.stderr and "not-the-password" not in r.stderr, r.stderr
        # ...and saved anyway when asked to (a camera that is off now).
        h.hearth("camera", "add", "refused", "--kind", "rtsp", "--url",
                 f"rtsp://127.0.0.1:{refused_port}/stream", "--skip-check", "--data-dir", data)
        h.hearth("camera", "add", "wrong-password", "--kind", "rtsp", "--url", simcam.url,
                 "--credentials-file", wrong, "--skip-check", "--data-dir", data)
        h.hearth("camera", "add", "garbage", "--kind", "rtsp", "--url",
                 f"rtsp://127.0.0.1:{garbage.port}/stream", "--skip-check", "--data-dir", data)
        hub = h.Hub(data)
        try:
            offline = h.wait_for("three offline events", lambda: (
                lambda evs: evs if len({e["camera"] for e in evs}) == 3 else None)(
                    events(hub, "camera.offline")), 40)
            by_camera = {e["camera"]: e["detail"] for e in offline}
            assert "connection refused" in by_camera[2], by_camera
            assert "rejected the credentials (401)" in by_camera[3], by_camera
            assert "malformed RTSP response" in by_camera[4], by_camera
            for detail in by_camera.values():
                assert detail and "not-the-password" not in detail
            assert garbage.hits >= 1
            # Retries back off instead of hammering the camera.
            hits = garbage.hits
            time.sleep(3)
            assert garbage.hits - hits <= 3, f"{garbage.hits - hits} retries in 3 s"
            # The good camera records the whole time, and the API answers.
            h.wait_for("the sim camera's recording", lambda: hub.json(
                "/api/cameras/1/recordings")[1]["ranges"], 20)
            assert hub.get("/healthz")[0] == 200
            states = {c["name"]: c["state"] for c in hub.json("/api/cameras")[1]["cameras"]}
            assert states["good"] == "online", states
            assert states["garbage"] == "offline", states
            metrics = hub.get("/metrics")[2].decode()
            assert 'hearth_camera_reconnects_total{camera="4",name="garbage"}' in metrics
        finally:
            assert hub.stop() == 0
        assert "not-the-password" not in hub.output()
    finally:
        simcam.stop()
        garbage.sock.close()


def test_disk_full_pauses_recording_and_it_resumes():
    d = h.tempdir("full")
    data = os.path.join(d, "data")
    rec = os.path.join(data, "recordings")
    os.makedirs(rec)
    # A tiny filesystem for the recordings (root can mount tmpfs; skip where it cannot).
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", rec],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise h.Skip(f"cannot mount a tmpfs here ({r.stderr.strip()})")
    try:
        h.hearth("camera", "add", "cam", "--kind", "sim", "--options",
                 '{"width":640,"height":360,"fps":15,"kbps":2000}', "--data-dir", data)
        hub = h.Hub(data)
        try:
            err = h.wait_for("a recording.error event", lambda: events(hub, "recording.error"), 40)
            assert "No space left" in err[0]["detail"], err
            # Live state and the API keep working while the disk is full.
            assert hub.get("/healthz")[0] == 200
            assert hub.json("/api/cameras")[1]["cameras"][0]["state"] == "online"
            metrics = hub.get("/metrics")[2].decode()
            errors = float(metrics.split('hearth_recording_write_errors_total{camera="1",name="cam"} ')[1].split()[0])
            assert errors >= 1
            # The error is logged once per outage, not once per fragment.
            time.sleep(4)
            assert len(events(hub, "recording.error")) == 1
            subprocess.run(["mount", "-o", "remount,size=64m", rec], check=True)
            h.wait_for("a recording.resumed event", lambda: events(hub, "recording.resumed"), 30)
        finally:
            assert hub.stop() == 0
            log = hub.output()
        assert "recording paused: cannot write recording: No space left on device" in log
        h.verify_index_against_files(data)
    finally:
        subprocess.run(["umount", "-l", rec])


def test_read_only_recordings_directory_pauses_recording_and_it_resumes():
    d = h.tempdir("ro")
    data = os.path.join(d, "data")
    rec = os.path.join(data, "recordings")
    os.makedirs(rec)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,ro", "tmpfs", rec],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise h.Skip(f"cannot mount a tmpfs here ({r.stderr.strip()})")
    try:
        h.hearth("camera", "add", "cam", "--kind", "sim", "--options",
                 '{"width":320,"height":180,"fps":10}', "--data-dir", data)
        hub = h.Hub(data)
        try:
            err = h.wait_for("a recording.error event", lambda: events(hub, "recording.error"), 30)
            assert "Read-only file system" in err[0]["detail"], err
            assert hub.json("/api/cameras")[1]["cameras"][0]["state"] == "online"
            subprocess.run(["mount", "-o", "remount,rw", rec], check=True)
            h.wait_for("a recording.resumed event", lambda: events(hub, "recording.resumed"), 30)
            h.wait_for("a recording", lambda: hub.json("/api/cameras/1/recordings")[1]["ranges"], 20)
        finally:
            assert hub.stop() == 0
        assert "Read-only file system" in hub.output()
        h.verify_index_against_files(data)
    finally:
        subprocess.run(["umount", "-l", rec])


if __name__ == "__main__":
    h.run([test_bad_config_files_fail_fast_naming_file_line_and_key,
           test_command_line_refuses_unsafe_or_bad_values,
           test_failing_cameras_are_reported_and_others_keep_recording,
           test_disk_full_pauses_recording_and_it_resumes,
           test_read_only_recordings_directory_pauses_recording_and_it_resumes])
