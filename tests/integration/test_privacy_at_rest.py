"""Recordings at rest: nothing under the data directory shows a picture, a video or a
password; a restarted hub keeps the recordings locked until someone logs in; one byte
altered on disk costs exactly one fragment, which is reported, and the rest still plays."""
import json
import os
import re
import struct
import subprocess
import time

import harness as h

# Box types every MP4 holds (ftyp, moov, moof, mdat) and the ones that describe its video.
MP4_BOXES = (b"ftyp", b"moov", b"moof", b"mdat", b"trak", b"avcC", b"hvcC")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_STARTS = tuple(b"\xff\xd8\xff" + bytes([m]) for m in (0xE0, 0xE1, 0xDB, 0xEE))
# The NAL header byte after a 4-byte Annex-B start code for the units every H.264/H.265
# stream must carry: H.264 IDR (5), SPS (7), PPS (8) with any nal_ref_idc; H.265 IDR
# (19, 20), VPS (32), SPS (33), PPS (34) with layer id 0.
NAL_HEADERS = sorted({(ref << 5) | t for ref in range(4) for t in (5, 7, 8)} |
                     {t << 1 for t in (19, 20, 32, 33, 34)})
PARAMETER_NAL = re.compile(b"\x00\x00\x00\x01[" + b"".join(re.escape(bytes([b]))
                                                               for b in NAL_HEADERS) + b"]")


def scan_bytes(data, secrets=()):
    """What in `data` gives away a video, a picture or a secret: counts per kind."""
    return {
        "boxes": {box.decode(): data.count(box) for box in MP4_BOXES if data.count(box)},
        "png": data.count(PNG_SIGNATURE),
        "jpeg": sum(data.count(j) for j in JPEG_STARTS),
        "nal_parameter_sets": len(PARAMETER_NAL.findall(data)),
        "start_codes_3": data.count(b"\x00\x00\x01"),
        "secrets": sum(data.count(s) for s in secrets),
        "bytes": len(data),
    }


SQLITE_MAGICS = (b"SQLite format 3\x00", b"\x37\x7f\x06\x82", b"\x37\x7f\x06\x83")


def is_sqlite(path, data):
    """A SQLite database, write-ahead log or shared-memory index (page structure, not data)."""
    return data.startswith(SQLITE_MAGICS) or path.endswith(("-shm", "-journal"))


def scan_sqlite_values(path, secrets=()):
    """scan_bytes summed over every TEXT and BLOB value of every table of a database (what
    its rows hold, apart from the B-tree page structure around them)."""
    total = scan_bytes(b"", secrets)
    db = h.sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, str):
                        value = value.encode()
                    if not isinstance(value, bytes):
                        continue
                    one = scan_bytes(value, secrets)
                    for key, n in one.items():
                        if key == "boxes":
                            for box, k in n.items():
                                total["boxes"][box] = total["boxes"].get(box, 0) + k
                        else:
                            total[key] += n
    finally:
        db.close()
    return total


def scan_tree(root, secrets=()):
    """scan_bytes over every file under `root` (everything: databases, WAL, keys, media),
    as {relative path: counts}. A database is also scanned value by value, as
    "<path> (values)": its pages are full of 00 00 01 by structure (a B-tree page with one
    cell starts 00 00 00 01), so 3-byte start codes are counted in what its rows hold."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            rel = os.path.relpath(path, root)
            out[rel] = scan_bytes(data, secrets)
            out[rel]["sqlite"] = is_sqlite(path, data)
            if data.startswith(SQLITE_MAGICS[0]):
                out[rel + " (values)"] = scan_sqlite_values(path, secrets)
    return out


def random_expectation(n_bytes, pattern_len, patterns=1):
    """How often `patterns` fixed byte strings occur by chance in n uniformly random bytes."""
    return max(0, n_bytes - pattern_len + 1) * patterns / 256 ** pattern_len


def assert_nothing_recognisable(found):
    """`found` (scan_tree) holds no video, picture or secret beyond what chance allows."""
    total = sum(c["bytes"] for p, c in found.items() if not p.endswith(" (values)"))
    assert total > 0, "nothing was scanned"

    def where(key):
        return {p: c[key] for p, c in found.items() if c[key]}

    boxes = {p: c["boxes"] for p, c in found.items() if c["boxes"]}
    hits = sum(sum(b.values()) for b in boxes.values())
    expected = sum(random_expectation(c["bytes"], 4, len(MP4_BOXES)) for c in found.values())
    if expected <= 0.01:
        assert hits == 0, f"MP4 boxes ({expected:.4f} expected by chance): {boxes}"
    else:
        assert hits <= expected * 3 + 5, f"MP4 boxes: {boxes}, {expected:.2f} expected by chance"
    assert not where("png"), f"PNG pictures: {where('png')}"
    assert not where("jpeg"), f"JPEG pictures: {where('jpeg')}"
    assert not where("nal_parameter_sets"), (
        f"H.264/H.265 start codes before SPS/PPS/IDR units: {where('nal_parameter_sets')}")
    assert not where("secrets"), f"a password in the clear: {where('secrets')}"
    # 3-byte start codes: in a raw H.264 stream there is one per NAL unit, dozens a second.
    counted = {p: c for p, c in found.items() if not c.get("sqlite")}
    starts = sum(c["start_codes_3"] for c in counted.values())
    expected3 = sum(random_expectation(c["bytes"], 3) for c in counted.values())
    assert starts <= expected3 * 3 + 5, (
        f"{starts} Annex-B start codes (00 00 01), {expected3:.2f} expected by chance: "
        f"{ {p: c['start_codes_3'] for p, c in counted.items() if c['start_codes_3']} }")
    return total


def camera_ranges(hub, cam_id):
    status, rec = hub.json(f"/api/cameras/{cam_id}/recordings")
    assert status == 200, rec
    return rec["ranges"]


def recorded_seconds(hub, cam_id):
    """The longest recorded range of the camera, in seconds."""
    return max(((r["end_ms"] - r["start_ms"]) / 1000 for r in camera_ranges(hub, cam_id)),
               default=0)


def longest_range(hub, cam_id):
    return max(camera_ranges(hub, cam_id), key=lambda r: r["end_ms"] - r["start_ms"])


def audit_actions(data):
    db = h.sqlite3.connect(f"file:{os.path.join(data, 'hearth.db')}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT action FROM audit ORDER BY id")]
    finally:
        db.close()


def seconds(us):
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def top_level_boxes(data):
    """[(offset, size, type)] of the top-level MP4 boxes of `data`, which must tile it."""
    boxes, at = [], 0
    while at < len(data):
        assert at + 8 <= len(data), f"a box header is cut at {at}"
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
        assert size >= 8 and at + size <= len(data), f"box {kind!r} at {at} has size {size}"
        boxes.append((at, size, kind.decode("latin-1")))
        at += size
    return boxes


def video_dts(path):
    packets = h.ffprobe_json(path, "-select_streams", "v:0", "-show_entries",
                             "packet=dts_time")["packets"]
    return [float(p["dts_time"]) for p in packets if "dts_time" in p]


def test_data_directory_holds_no_video_no_picture_no_password():
    d = h.tempdir("privacy")
    creds = h.make_credentials(d)
    _, password = open(creds).read().strip().split(":", 1)
    simcam = h.Simcam(credentials_file=creds)
    try:
        data = os.path.join(d, "data")
        cfg = h.write_config(d, segment_seconds=5)
        h.hearth("camera", "add", "yard", "--kind", "sim", "--options",
                 '{"width":640,"height":360,"fps":15}', "--data-dir", data)
        h.hearth("camera", "add", "door", "--kind", "rtsp", "--url", simcam.url,
                 "--credentials-file", creds, "--data-dir", data)
        hub = h.Hub(data, config=cfg)
        try:
            h.wait_for("both cameras online", lambda: all(
                c["state"] == "online" for c in hub.json("/api/cameras")[1]["cameras"]), 30)
            h.wait_for("15 s recorded by both cameras",
                       lambda: min(recorded_seconds(hub, 1), recorded_seconds(hub, 2)) >= 15, 45)
            door = longest_range(hub, 2)
            # While it records: open files, the write-ahead log with the latest rows.
            live = h.wait_for("a write-ahead log with rows in it", lambda: (lambda found: any(
                p.endswith("-wal") and c["bytes"] for p, c in found.items()) and found)(
                    scan_tree(data, (password.encode(), hub.owner_passphrase().encode()))), 10)
            assert_nothing_recognisable(live)
        finally:
            assert hub.stop() == 0, hub.output()
        owner_passphrase = hub.owner_passphrase()

        segs = h.verify_index_against_files(data)  # every segment encrypted, and it all decrypts
        assert len(segs) >= 5 and all(s["sealed_key"] is not None for s in segs), (
            [(s["path"], s["sealed_key"] is None) for s in segs])
        media = []
        for dirpath, _, files in os.walk(os.path.join(data, "recordings")):
            media += [os.path.join(dirpath, f) for f in files]
        assert media and all(p.endswith(".mp4.enc") for p in media), media
        for path in media:
            h.check_unreadable(path)

        # Setup handed the household key to the owner: the key that held it is gone.
        assert not os.path.exists(os.path.join(data, "setup.key"))
        secrets = (password.encode(), owner_passphrase.encode())
        found = scan_tree(data, secrets)
        assert any(p.startswith("recordings" + os.sep) for p in found), sorted(found)
        assert "hearth.db" in found and found["hearth.db (values)"]["bytes"] > 1000, sorted(found)
        scanned = assert_nothing_recognisable(found)
        media_bytes = sum(c["bytes"] for p, c in found.items() if p.startswith("recordings"))
        assert media_bytes > 500_000, f"only {media_bytes} bytes of recordings were scanned"
        print(f"scanned {len(found)} files, {scanned} bytes ({media_bytes} of recordings)")

        # The scan has teeth: the same recording exported in the clear is found at once.
        before = audit_actions(data)
        out_dir = h.tempdir("privacy-export")
        exported = os.path.join(out_dir, "door.mp4")
        start_us, end_us = door["start_ms"] * 1000 + 1_000_000, door["end_ms"] * 1000 - 1_000_000
        r = h.hearth("recordings", "export", "door", "--start", seconds(start_us),
                     "--end", seconds(end_us), "--out", exported, "--user", h.OWNER_NAME,
                     "--stdin", "--data-dir", data, input=owner_passphrase + "\n")
        assert "exported" in r.stdout, r.stdout
        h.check_playable(exported, expect_video="h264", expect_audio="aac",
                         min_duration=(end_us - start_us) / 1e6 - 2.5)
        h.ffmpeg_decodes(exported)
        plain = scan_tree(out_dir, secrets)["door.mp4"]
        assert {"ftyp", "moov", "moof", "mdat", "avcC"} <= set(plain["boxes"]), plain
        try:
            assert_nothing_recognisable({"door.mp4": plain})
        except AssertionError as e:
            assert "MP4 boxes" in str(e), e
        else:
            raise AssertionError("the scan did not notice a plain MP4")
        # ... and the pictures, H.264 in Annex-B form and passwords it looks for.
        subprocess.run(["ffmpeg", "-v", "error", "-i", exported, "-frames:v", "1",
                          os.path.join(out_dir, "frame.png"), "-frames:v", "1",
                          os.path.join(out_dir, "frame.jpg"), "-map", "0:v", "-c", "copy",
                          "-bsf:v", "h264_mp4toannexb", "-f", "h264",
                          os.path.join(out_dir, "door.h264")], check=True, timeout=60)
        with open(creds, "rb") as f:
            creds_bytes = f.read()
        with open(os.path.join(out_dir, "door.h264"), "rb") as f:
            annexb_head = f.read(200_000)
        blobs = h.sqlite3.connect(os.path.join(out_dir, "blobs.db"))
        blobs.execute("CREATE TABLE t (v BLOB)")
        blobs.execute("INSERT INTO t VALUES (?)", (annexb_head,))
        blobs.commit()
        blobs.close()
        teeth = scan_tree(out_dir, secrets)
        in_db = teeth["blobs.db (values)"]
        assert teeth["blobs.db"]["sqlite"] and in_db["nal_parameter_sets"] >= 3, in_db
        assert in_db["start_codes_3"] > random_expectation(in_db["bytes"], 3) * 3 + 5, in_db
        assert teeth["frame.png"]["png"] == 1, teeth["frame.png"]
        assert teeth["frame.jpg"]["jpeg"] == 1, teeth["frame.jpg"]
        annexb = teeth["door.h264"]
        assert annexb["nal_parameter_sets"] >= 3, annexb  # SPS, PPS, IDR at least
        assert annexb["start_codes_3"] > random_expectation(annexb["bytes"], 3) * 3 + 5, annexb
        assert scan_bytes(creds_bytes, secrets)["secrets"] == 1

        # The export was logged, once, as the owner's.
        after = audit_actions(data)
        assert after[:len(before)] == before and after[len(before):] == ["recording.export"], (
            after[len(before):])
        assert h.hearth("audit-log", "verify", "--data-dir", data).returncode == 0
        # The export left nothing in the clear behind in the data directory.
        assert_nothing_recognisable(scan_tree(data, secrets))
    finally:
        simcam.stop()


def test_a_restarted_hub_is_locked_until_a_login():
    d = h.tempdir("locked")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=3)
    h.hearth("camera", "add", "hall", "--kind", "sim", "--options",
             '{"width":320,"height":180,"fps":15}', "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    try:
        h.wait_for("4 s recorded", lambda: recorded_seconds(hub, 1) >= 4, 30)
        r = longest_range(hub, 1)
        query = f"start={r['start_ms'] / 1000:.3f}&end={r['end_ms'] / 1000:.3f}"
        status, _, before = hub.get(f"/api/cameras/1/stream?{query}")
        assert status == 200 and before[4:8] == b"ftyp", (status, before[:200])
    finally:
        assert hub.stop() == 0, hub.output()
    cookies, csrf = dict(hub.cookies), hub.csrf
    passphrase = hub.owner_passphrase()

    hub = h.Hub(data, config=cfg, login=False)
    try:
        # The owner's browser from before the restart: its session is still good...
        browser = hub.client()
        browser.cookies, browser.csrf = dict(cookies), csrf
        status, cams = browser.json("/api/cameras")
        assert status == 200 and [c["name"] for c in cams["cameras"]] == ["hall"], (status, cams)
        # ... the list of recordings still answers, but nothing plays: the key is not open.
        status, listed = browser.json("/api/cameras/1/recordings")
        assert status == 200, listed
        assert any(x["start_ms"] == r["start_ms"] for x in listed["ranges"]), listed
        for route in ("stream", "download"):
            status, headers, body = browser.get(f"/api/cameras/1/{route}?{query}")
            assert status == 423, (route, status, body[:300])
            assert headers["Content-Type"].startswith("application/json"), headers
            answer = json.loads(body)
            assert answer["code"] == "locked" and "locked" in answer["error"], answer
            assert answer["request_id"], answer
            assert b"ftyp" not in body and b"mdat" not in body

        # A member added from the console holds no copy of the household key: their login
        # works, but does not unlock anything either.
        member, _ = hub.add_user("kid", "member", "1=live,recordings")
        status, listed = member.json("/api/cameras/1/recordings")
        assert status == 200 and listed["ranges"], listed
        status, _, body = member.get(f"/api/cameras/1/stream?{query}")
        assert status == 423 and json.loads(body)["code"] == "locked", (status, body[:300])
        status, _, body = browser.get(f"/api/cameras/1/stream?{query}")
        assert status == 423, (status, body[:300])

        # The owner logs in: the household key opens and the same request plays.
        status, answer = hub.login(h.OWNER_NAME, passphrase)
        assert status == 200, answer
        status, headers, body = hub.get(f"/api/cameras/1/stream?{query}")
        assert status == 200 and headers["Content-Type"] == "video/mp4", (status, body[:300])
        assert int(headers["Content-Length"]) == len(body)
        assert body == before, "the recording plays differently after the restart"
        path = os.path.join(d, "after-login.mp4")
        open(path, "wb").write(body)
        h.check_playable(path, expect_video="h264", min_duration=3)
        h.ffmpeg_decodes(path)
        # The key is the household's: the other sessions play now too.
        for client in (browser, member):
            status, _, other = client.get(f"/api/cameras/1/stream?{query}")
            assert status == 200 and other == body, status
    finally:
        assert hub.stop() == 0, hub.output()
    actions = audit_actions(data)
    assert actions.count("household.unlocked") == 2, actions  # the first login, then this one
    # Refused requests are not playbacks: one before the restart, three after the login.
    assert actions.count("recording.play") == 4 and "recording.download" not in actions, actions

    # Offline, only the right passphrase opens the recordings.
    wrong = h.hearth("recordings", "verify", "--data-dir", data, "--user", h.OWNER_NAME,
                     "--stdin", input=h.new_passphrase() + "\n", check=False)
    assert wrong.returncode != 0, (wrong.returncode, wrong.stdout, wrong.stderr)
    assert "damaged" not in wrong.stdout and "wrong passphrase" in wrong.stderr, (
        wrong.stdout, wrong.stderr)
    summary = h.verify_recordings(data)
    m = re.match(r"(\d+) segments \((\d+) encrypted\), (\d+) fragments, 0 damaged$", summary)
    assert m and int(m.group(1)) >= 2 and m.group(1) == m.group(2) and int(m.group(3)) >= 4, summary


def test_one_altered_byte_is_detected_and_the_rest_plays():
    d = h.tempdir("tamper")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=4)
    h.hearth("camera", "add", "porch", "--kind", "sim", "--options",
             '{"width":320,"height":180,"fps":15}', "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    try:
        h.wait_for("12 s recorded", lambda: recorded_seconds(hub, 1) >= 12, 40)
    finally:
        assert hub.stop() == 0, hub.output()

    db = h.index_db(data)
    segs = db.execute("SELECT * FROM segments WHERE camera_id = 1 ORDER BY start_us").fetchall()
    assert len(segs) >= 2, [dict(s) for s in segs]
    first, second = segs[0], segs[1]
    frags = db.execute("SELECT * FROM fragments WHERE segment_id = ? ORDER BY seq",
                       (first["id"],)).fetchall()
    db.close()
    assert len(frags) >= 3, [dict(f) for f in frags]
    victim = frags[len(frags) // 2]  # not the first: the range starts before it
    # The whole first file and the next one.
    query = f"start={seconds(first['start_us'])}&end={seconds(second['end_us'] - 1000)}"

    hub = h.Hub(data, config=cfg)
    try:
        status, headers, reference = hub.get(f"/api/cameras/1/download?{query}")
        assert status == 200, (status, reference[:300])
    finally:
        assert hub.stop() == 0, hub.output()
    ref_path = os.path.join(d, "reference.mp4")
    open(ref_path, "wb").write(reference)
    h.check_playable(ref_path, expect_video="h264", min_duration=6)

    # One byte in the middle of one fragment of the first file.
    path = os.path.join(data, first["path"])
    at = victim["offset"] + victim["bytes"] // 2
    with open(path, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0x01]))

    hub = h.Hub(data, config=cfg)
    try:
        status, headers, body = hub.get(f"/api/cameras/1/download?{query}")
        assert status == 200, (status, body[:300])
        assert int(headers["Content-Length"]) == len(body) == len(reference), (
            headers["Content-Length"], len(body), len(reference))
        # Exactly the altered fragment is missing, replaced by a 'free' box of its size.
        frees = [b for b in top_level_boxes(body) if b[2] == "free"]
        assert len(frees) == 1, frees
        start, size, _ = frees[0]
        assert body[:start] == reference[:start] and body[start + size:] == reference[start + size:]
        assert body[start + 8:start + size] == bytes(size - 8)
        replaced = [b for b in top_level_boxes(reference) if start <= b[0] < start + size]
        assert [b[2] for b in replaced] == ["moof", "mdat"], replaced
        assert sum(b[1] for b in replaced) == size, (replaced, size)
        assert top_level_boxes(body)[:2] == top_level_boxes(reference)[:2]

        damaged = os.path.join(d, "damaged.mp4")
        open(damaged, "wb").write(body)
        h.ffmpeg_decodes(damaged)
        ref_dts, dts = video_dts(ref_path), video_dts(damaged)
        fps = 15
        missing = len(ref_dts) - len(dts)
        frames = victim["duration_us"] / 1e6 * fps
        assert abs(missing - frames) <= 1.5, (missing, frames)
        gaps = [b - a for a, b in zip(dts, dts[1:])]
        worst = max(gaps)  # from the frame before the fragment to the one after it
        assert abs(worst - (victim["duration_us"] / 1e6 + 1 / fps)) <= 1.5 / fps, (
            worst, victim["duration_us"])
        assert sorted(gaps)[-2] <= 1.6 / fps, gaps  # one gap, the rest is smooth
        assert all(b > a for a, b in zip(dts, dts[1:]))

        # Reported once, for this camera, at the fragment's time.
        def damage_events():
            status, answer = hub.json("/api/events?limit=1000")
            assert status == 200, answer
            return [e for e in answer["events"] if e["kind"] == "recording.damaged"]
        events = h.wait_for("a recording.damaged event", damage_events, 10, 0.2)
        assert len(events) == 1 and events[0]["camera"] == 1, events
        assert hub.get(f"/api/cameras/1/stream?{query}")[0] == 200  # played again: no new event
        time.sleep(0.5)
        assert len(damage_events()) == 1, damage_events()
    finally:
        assert hub.stop() == 0, hub.output()
    db = h.index_db(data)
    rows = db.execute("SELECT camera_id, at_us, detail FROM events WHERE kind = 'recording.damaged'"
                      ).fetchall()
    db.close()
    assert [(r["camera_id"], r["at_us"]) for r in rows] == [(1, victim["start_us"])], (
        [dict(r) for r in rows], victim["start_us"])
    assert str(victim["offset"]) in rows[0]["detail"], rows[0]["detail"]
    assert events[0]["at"] in rows[0]["detail"], (events[0], rows[0]["detail"])

    # Offline, the check names that one fragment and nothing else.
    r = h.hearth("recordings", "verify", "--data-dir", data, "--user", h.OWNER_NAME, "--stdin",
                 input=hub.owner_passphrase() + "\n", check=False)
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    lines = [line for line in r.stdout.splitlines() if line.startswith("DAMAGED")]
    assert len(lines) == 1, r.stdout
    assert lines[0].startswith(f"DAMAGED {first['path']} fragment {victim['seq']} at "), lines
    assert r.stdout.strip().splitlines()[-1].endswith(", 1 damaged"), r.stdout


def flip_byte(path, at):
    with open(path, "r+b") as f:
        f.seek(at)
        byte = f.read(1)
        f.seek(at)
        f.write(bytes([byte[0] ^ 0x01]))


def test_a_damaged_start_or_file_header_leaves_out_only_that_part():
    """The range's very first fragment and a later file's header (init segment) are
    altered: both are reported, and everything else in the range still plays."""
    d = h.tempdir("tamper2")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=3)
    h.hearth("camera", "add", "porch", "--kind", "sim", "--options",
             '{"width":320,"height":180,"fps":15,"audio":false}', "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    try:
        h.wait_for("10 s recorded", lambda: recorded_seconds(hub, 1) >= 10, 40)
    finally:
        assert hub.stop() == 0, hub.output()
    db = h.index_db(data)
    segs = db.execute("SELECT * FROM segments WHERE camera_id = 1 ORDER BY start_us").fetchall()
    assert len(segs) >= 3, [dict(s) for s in segs]
    first_frag = db.execute("SELECT * FROM fragments WHERE segment_id = ? ORDER BY seq LIMIT 1",
                            (segs[0]["id"],)).fetchone()
    db.close()
    flip_byte(os.path.join(data, segs[0]["path"]), first_frag["offset"] + first_frag["bytes"] // 2)
    flip_byte(os.path.join(data, segs[1]["path"]), segs[1]["init_bytes"] // 2)
    query = f"start={seconds(segs[0]['start_us'])}&end={seconds(segs[2]['end_us'] - 1000)}"

    hub = h.Hub(data, config=cfg)
    try:
        status, headers, body = hub.get(f"/api/cameras/1/download?{query}")
        assert status == 200, (status, body[:300])
        assert int(headers["Content-Length"]) == len(body)
        path = os.path.join(d, "partial.mp4")
        open(path, "wb").write(body)
        h.ffmpeg_decodes(path)
        dts = video_dts(path)
        kept = (segs[0]["end_us"] - first_frag["start_us"] - first_frag["duration_us"]) / 1e6 + \
            (segs[2]["end_us"] - segs[2]["start_us"]) / 1e6
        played = len(dts) / 15
        assert abs(played - kept) <= 1.2, (played, kept)  # the second file is left out whole
        events = h.wait_for("two recording.damaged events", lambda: (lambda e: e if len(e) == 2 else None)(
            [e for e in hub.json("/api/events?limit=1000")[1]["events"]
             if e["kind"] == "recording.damaged"]), 10, 0.2)
        details = " | ".join(e["detail"] for e in events)
        assert "byte 0 " in details or "at byte 0" in details, details
    finally:
        assert hub.stop() == 0, hub.output()


if __name__ == "__main__":
    h.run([test_data_directory_holds_no_video_no_picture_no_password,
           test_a_restarted_hub_is_locked_until_a_login,
           test_one_altered_byte_is_detected_and_the_rest_plays,
           test_a_damaged_start_or_file_header_leaves_out_only_that_part])
