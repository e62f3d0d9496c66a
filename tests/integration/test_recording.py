"""Two sim cameras and one `hearth simcam` over RTSP with digest auth, recorded
for 30 s: every file validated by ffprobe, playback and downloads by ffmpeg."""
import os
import re
import time
import urllib.parse

import harness as h


def test_record_sim_and_rtsp_cameras_for_30_seconds():
    d = h.tempdir("rec")
    creds = h.make_credentials(d)
    simcam = h.Simcam(credentials_file=creds)
    try:
        data = os.path.join(d, "data")
        cfg = h.write_config(d, segment_seconds=10)
        # A real client reads the fake camera, and only with its credentials.
        user, password = open(creds).read().strip().split(":", 1)
        authed = simcam.url.replace("rtsp://", f"rtsp://{user}:{urllib.parse.quote(password, safe='')}@")
        info = h.ffprobe_json(authed, "-rtsp_transport", "tcp", "-show_streams")
        assert {s["codec_name"] for s in info["streams"]} == {"h264", "aac"}
        refused = h.subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport", "tcp", simcam.url],
                                   capture_output=True, text=True, timeout=30)
        assert refused.returncode != 0 and "401" in refused.stderr, refused.stderr

        h.hearth("camera", "add", "sim-a", "--kind", "sim", "--options",
                 '{"width":640,"height":360,"fps":15}', "--data-dir", data)
        h.hearth("camera", "add", "sim-b", "--kind", "sim", "--options",
                 '{"width":640,"height":360,"fps":15,"audio":false}', "--data-dir", data)
        h.hearth("camera", "add", "door", "--kind", "rtsp", "--url", simcam.url,
                 "--credentials-file", creds, "--data-dir", data)
        h.hearth("camera", "add", "door-udp", "--kind", "rtsp", "--url", simcam.url,
                 "--transport", "udp", "--credentials-file", creds, "--data-dir", data)
        listed = h.hearth("camera", "list", "--data-dir", data).stdout
        assert password not in listed and "(with credentials)" in listed
        # At rest the camera password is sealed under the hub key (0600): no file of the
        # data directory holds it in the clear.
        for root, _, files in os.walk(data):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    assert password.encode() not in f.read(), os.path.join(root, name)
        assert os.stat(os.path.join(data, "hub.key")).st_mode & 0o777 == 0o600

        hub = h.Hub(data, config=cfg)
        started = time.time()
        try:
            status, cams = hub.json("/api/cameras")
            assert status == 200 and len(cams["cameras"]) == 4
            assert all(password not in str(c) for c in cams["cameras"])
            h.wait_for("all cameras online", lambda: all(
                c["state"] == "online" for c in hub.json("/api/cameras")[1]["cameras"]), 30)
            time.sleep(max(0.0, 32 - (time.time() - started)))

            status, _, metrics = hub.get("/metrics")
            text = metrics.decode()
            assert status == 200
            for family in ("hearth_camera_frames_total", "hearth_camera_reconnects_total",
                           "hearth_recording_lag_seconds", "hearth_recording_disk_bytes",
                           "hearth_camera_bitrate_bits_per_second"):
                assert f'{family}{{camera="3",name="door"}}' in text, family
            lag = float(text.split('hearth_recording_lag_seconds{camera="3",name="door"} ')[1].split()[0])
            assert lag < 5, f"recording lag {lag}"
            assert hub.get("/healthz")[0] == 200

            for cam_id, audio in ((1, "aac"), (2, None), (3, "aac"), (4, "aac")):
                status, rec = hub.json(f"/api/cameras/{cam_id}/recordings")
                assert status == 200, rec
                assert len(rec["ranges"]) == 1, f"camera {cam_id}: ranges {rec['ranges']}"
                r = rec["ranges"][0]
                covered = (r["end_ms"] - r["start_ms"]) / 1000
                assert covered >= 25, f"camera {cam_id} recorded only {covered:.1f} s"
                assert len(rec["segments"]) >= 2, "10 s files: expected several"

                # A range across a file boundary downloads as one MP4 that ffmpeg plays.
                start = r["start_ms"] / 1000 + 5
                status, headers, body = hub.get(
                    f"/api/cameras/{cam_id}/download?start={start:.3f}&end={start + 12:.3f}")
                assert status == 200 and headers["Content-Type"] == "video/mp4"
                assert "attachment" in headers["Content-Disposition"]
                path = os.path.join(d, f"download-{cam_id}.mp4")
                open(path, "wb").write(body)
                duration = h.check_playable(path, expect_audio=audio, min_duration=11)
                assert duration < 16, f"download of 12 s lasted {duration}"
                h.ffmpeg_decodes(path)
                # The stream starts at a keyframe at or before the requested time.
                first = h.ffprobe_json(path, "-select_streams", "v:0", "-show_entries",
                                       "packet=flags", "-read_intervals", "%+#1")["packets"][0]
                assert "K" in first["flags"]

            # A time with no recording: a clear 404 naming the nearest recorded ranges.
            status, body = hub.json("/api/cameras/1/stream?start=2020-01-01T00:00:00Z&end=2020-01-01T00:01:00Z")
            assert status == 404 and body["nearest"] and "request_id" in body
            assert hub.json("/api/cameras/99/recordings")[0] == 404
            assert hub.json("/api/cameras/x/recordings")[0] == 400
            assert hub.json("/api/cameras/1/stream?start=yesterday")[0] == 400
            assert hub.json("/api/cameras/1/stream?start=100&end=90")[0] == 400
            assert hub.json("/api/cameras/1/stream?start=0&end=999999")[0] == 400  # > 24 h
        finally:
            assert hub.stop() == 0, hub.output()

        # After a clean stop every file is whole, indexed and playable on its own.
        segs = h.verify_index_against_files(data)
        assert len(segs) >= 12
        for s in segs:
            path = os.path.join(data, s["path"])
            with open(path, "rb") as f:
                assert password.encode() not in f.read()
        assert password not in hub.output()

        # Every camera added, the owner's setup and login, and every download (with who
        # asked) is in the audit log, and the chain holds.
        r = h.hearth("audit-log", "verify", "--data-dir", data)
        assert r.stdout.startswith("audit log intact: 12 entries"), r.stdout
        db = h.sqlite3.connect(os.path.join(data, "hearth.db"))
        actions = [row[0] for row in db.execute("SELECT action FROM audit ORDER BY id")]
        assert actions.count("camera.add") == 4 and actions.count("recording.download") == 4, actions
        assert actions.count("setup.owner_created") == 1 and actions.count("login.success") == 1
        # The household key went to the owner at setup, and the hub opened it at the login.
        assert actions.count("household.key_handed_over") == 1, actions
        assert actions.count("household.unlocked") == 1, actions
        who = {row for row in db.execute(
            "SELECT actor, source FROM audit WHERE action = 'recording.download'")}
        assert who == {(h.OWNER_NAME, "127.0.0.1")}, who
        # Quietly changing history is detected (the triggers are the first fence; drop them).
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET source = 'forged' WHERE id = 6")
        db.commit()
        db.close()
        r = h.hearth("audit-log", "verify", "--data-dir", data, check=False)
        assert r.returncode == 1 and "BROKEN at entry 6" in r.stdout, (r.returncode, r.stdout)
    finally:
        simcam.stop()


def test_demo_creates_two_sim_cameras_and_records():
    d = h.tempdir("demo")
    hub = h.Hub(os.path.join(d, "data"), demo=True)
    try:
        status, cams = hub.json("/api/cameras")
        assert status == 200
        assert [c["kind"] for c in cams["cameras"]] == ["sim", "sim"]
        h.wait_for("a first fragment", lambda: hub.json("/api/cameras/2/recordings")[1]["ranges"], 30)

        # The live branch beside the recorder holds the current GOP for new viewers.
        def live_cache():
            text = hub.get("/metrics")[2].decode()
            return [float(v) for v in re.findall(r'^hearth_live_cache_bytes\{[^}]*\} (\S+)$',
                                                 text, re.M)]
        h.wait_for("both live caches", lambda: len(live_cache()) == 2 and min(live_cache()) > 0, 20)
    finally:
        assert hub.stop() == 0


def test_rtsp_codecs_h265_g711_opus():
    """H.265 with G.711, and H.264 with Opus, recorded as they came."""
    d = h.tempdir("codecs")
    data = os.path.join(d, "data")
    cams = [h.Simcam(video_codec="h265", audio_codec="pcmu"),
            h.Simcam(video_codec="h264", audio_codec="opus"),
            h.Simcam(video_codec="h264", audio_codec="pcma")]
    expected = [("hevc", "pcm_mulaw"), ("h264", "opus"), ("h264", "pcm_alaw")]
    try:
        for i, cam in enumerate(cams):
            h.hearth("camera", "add", f"cam{i}", "--kind", "rtsp", "--url", cam.url,
                     "--data-dir", data)
        hub = h.Hub(data)
        try:
            for i in range(len(cams)):
                h.wait_for(f"camera {i + 1} recording", lambda: (
                    lambda r: r and (r[0]["end_ms"] - r[0]["start_ms"]) > 6000)(
                        hub.json(f"/api/cameras/{i + 1}/recordings")[1]["ranges"]), 40)
            for i, (video, audio) in enumerate(expected):
                r = hub.json(f"/api/cameras/{i + 1}/recordings")[1]["ranges"][0]
                status, _, body = hub.get(f"/api/cameras/{i + 1}/download?"
                                          f"start={r['start_ms'] / 1000}&end={r['end_ms'] / 1000}")
                assert status == 200, body[:200]
                path = os.path.join(d, f"cam{i}.mp4")
                open(path, "wb").write(body)
                h.check_playable(path, expect_video=video, expect_audio=audio, min_duration=4)
                h.ffmpeg_decodes(path)
        finally:
            assert hub.stop() == 0
        h.verify_index_against_files(data)
    finally:
        for cam in cams:
            cam.stop()


if __name__ == "__main__":
    h.run([test_record_sim_and_rtsp_cameras_for_30_seconds,
           test_demo_creates_two_sim_cameras_and_records,
           test_rtsp_codecs_h265_g711_opus])
