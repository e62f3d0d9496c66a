"""Deleting recordings by crypto-shredding, through the API and the CLI, and the factory
reset: keys are destroyed first, and a copy of the files taken before is worth nothing."""
import base64
import os
import shutil
import time

import harness as h


def all_bytes(data_dir):
    """Every byte of every file under the data directory, by path."""
    out = {}
    for root, _, files in os.walk(data_dir):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                out[path] = f.read()
    return out


def segment_rows(data_dir, camera=None):
    db = h.index_db(data_dir)
    rows = db.execute("SELECT id, camera_id, path, start_us, end_us, sealed_key FROM segments "
                      "WHERE ?1 IS NULL OR camera_id = ?1 ORDER BY start_us", (camera,)).fetchall()
    db.close()
    return [dict(r) for r in rows]


def test_deleting_a_range_destroys_its_keys_before_its_files():
    d = h.tempdir("shred")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=2)
    for name in ("porch", "hall"):
        h.hearth("camera", "add", name, "--kind", "sim", "--options",
                 '{"width":320,"height":180,"fps":10,"audio":false}', "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    try:
        h.wait_for("10 s recorded on both cameras", lambda: all(
            (lambda r: r and r[0]["end_ms"] - r[0]["start_ms"] >= 10_000)(
                hub.json(f"/api/cameras/{c}/recordings")[1]["ranges"]) for c in (1, 2)), 40)
        before = [s for s in segment_rows(data, 1) if s["end_us"] > s["start_us"]]
        assert len(before) >= 4, before
        # An attacker copies the files before the household deletes them.
        stolen = os.path.join(d, "stolen")
        os.makedirs(stolen)
        for s in before:
            shutil.copy(os.path.join(data, s["path"]), stolen)

        # Delete the middle of camera 1: whole files overlapping the range go, and the
        # answer says exactly which times were destroyed.
        start_s = before[1]["start_us"] / 1e6 + 0.5
        end_s = before[2]["end_us"] / 1e6 - 0.5
        status, _, body = hub.request("POST", "/api/recordings/delete",
                                      {"camera": 1, "start": f"{start_s:.3f}", "end": f"{end_s:.3f}"})
        assert status == 200, body
        report = h.json.loads(body)
        assert report["deleted_files"] == 2 and report["keys_destroyed"] == 2, report
        assert report["files_left"] == 0
        assert report["from"] and report["to"] and "files" in report["summary"], report
        remaining = {s["path"] for s in segment_rows(data, 1)}
        gone = [s for s in before if s["path"] not in remaining]
        assert len(gone) == 2 and [s["path"] for s in gone] == [s["path"] for s in before[1:3]], (
            [s["path"] for s in gone], [s["path"] for s in before])
        for s in gone:
            assert not os.path.exists(os.path.join(data, s["path"])), s["path"]
        ranges = hub.json("/api/cameras/1/recordings")[1]["ranges"]
        assert len(ranges) >= 2, f"a gap where the deleted files were: {ranges}"
        assert hub.json("/api/cameras/2/recordings")[1]["ranges"][0]["end_ms"] - \
            hub.json("/api/cameras/2/recordings")[1]["ranges"][0]["start_ms"] >= 10_000

        # Bad requests change nothing.
        for bad in ({"camera": 1}, {"camera": 1, "start": "x", "end": "y"},
                    {"camera": 1, "all": True, "start": "1"}, {"camera": 99, "all": True},
                    {"camera": 1, "start": "100", "end": "50"}, {"everything": True}):
            status, _, body = hub.request("POST", "/api/recordings/delete", bad)
            assert status in (400, 404), (bad, status, body)
            assert b"error" in body
        # A member may not delete, even with the recordings right.
        member, _ = hub.add_user("max", "member", "all=live,recordings")
        kept = len(segment_rows(data, 1))
        status, _, _ = member.request("POST", "/api/recordings/delete", {"camera": 1, "all": True})
        assert status == 403
        assert len(segment_rows(data, 1)) >= kept

        # Everything of camera 2 (it keeps recording, in new files).
        cam2_before = segment_rows(data, 2)
        status, _, body = hub.request("POST", "/api/recordings/delete", {"camera": 2, "all": True})
        assert status == 200 and h.json.loads(body)["deleted_files"] >= 5, body
        time.sleep(1)
    finally:
        assert hub.stop() == 0, hub.output()

    # No byte of the data directory holds a destroyed key: not the database, not its WAL.
    files = all_bytes(data)
    for s in gone:
        key = bytes(s["sealed_key"])
        holders = [p for p, b in files.items() if key in b]
        assert not holders, f"the key of {s['path']} survives in {holders}"
    # The stolen copies stay ciphertext: put back, the hub does not know them, and no key
    # anywhere opens them (`recordings verify` sees only what is still indexed).
    for s in gone:
        shutil.copy(os.path.join(stolen, os.path.basename(s["path"])), os.path.join(data, s["path"]))
        h.check_unreadable(os.path.join(data, s["path"]))
    summary = h.verify_recordings(data)
    assert summary.startswith(f"{len(segment_rows(data))} segments"), summary
    old = {s["path"] for s in cam2_before}
    assert not old & {s["path"] for s in segment_rows(data, 2)}, "camera 2 kept nothing old"
    assert not any(os.path.exists(os.path.join(data, s["path"])) for s in cam2_before)

    # The audit log says who deleted what.
    db = h.sqlite3.connect(os.path.join(data, "hearth.db"))
    deletions = db.execute("SELECT actor, detail FROM audit WHERE action = 'recording.delete'").fetchall()
    db.close()
    assert len(deletions) == 2 and all(a == h.OWNER_NAME for a, _ in deletions), deletions
    assert all("keys destroyed" in detail for _, detail in deletions)


def test_cli_delete_and_factory_reset():
    d = h.tempdir("reset")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=2)
    h.hearth("camera", "add", "porch", "--kind", "sim", "--options",
             '{"width":320,"height":180,"fps":10,"audio":false}', "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    try:
        h.wait_for("5 s recorded", lambda: (lambda r: r and r[0]["end_ms"] - r[0]["start_ms"] >= 5000)(
            hub.json("/api/cameras/1/recordings")[1]["ranges"]), 30)
    finally:
        assert hub.stop() == 0, hub.output()
    db = h.index_db(data)
    old_public = db.execute("SELECT value FROM settings WHERE key = 'household_public_key'").fetchone()[0]
    db.close()

    refused = h.hearth("recordings", "delete", "porch", "--all", "--data-dir", data, check=False,
                       input="")
    assert refused.returncode != 0 and "--yes" in refused.stderr, refused.stderr
    assert segment_rows(data), "nothing deleted without confirmation"
    r = h.hearth("recordings", "delete", "porch", "--all", "--yes", "--data-dir", data)
    assert "keys destroyed first" in r.stdout, r.stdout
    assert not segment_rows(data)
    assert not any(n.endswith(".enc") for _, _, fs in os.walk(data) for n in fs)

    r = h.hearth("factory-reset", "--yes", "--data-dir", data)
    assert "factory reset" in r.stdout, r.stdout
    left = [os.path.relpath(os.path.join(root, n), data) for root, _, fs in os.walk(data) for n in fs]
    assert not [p for p in left if p.endswith(".key") or p.startswith("hearth.db") or
                p.startswith("recordings")], left
    # A fresh start: a new setup code and a new household key.
    h._OWNERS.pop(os.path.realpath(data), None)
    hub = h.Hub(data, config=cfg, login=False)
    try:
        assert hub.setup_code(), "a new setup code is printed"
        assert hub.json("/api/setup")[1]["needed"] is True
    finally:
        assert hub.stop() == 0, hub.output()
    db = h.index_db(data)
    new_public = db.execute("SELECT value FROM settings WHERE key = 'household_public_key'").fetchone()[0]
    db.close()
    assert new_public != old_public and len(base64.urlsafe_b64decode(new_public + "=")) == 32


if __name__ == "__main__":
    h.run([test_deleting_a_range_destroys_its_keys_before_its_files,
           test_cli_delete_and_factory_reset])
