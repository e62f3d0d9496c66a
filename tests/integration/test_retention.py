"""Retention on a running hub: over the disk budget the oldest recordings go first,
files and index rows together, and what remains still plays."""
import os
import time

import harness as h


def test_disk_budget_deletes_oldest_first():
    d = h.tempdir("retention")
    data = os.path.join(d, "data")
    cfg = h.write_config(d, segment_seconds=2)
    for name in ("a", "b"):
        h.hearth("camera", "add", name, "--kind", "sim", "--options",
                 '{"width":1280,"height":720,"fps":15,"kbps":3000}', "--data-dir", data)
    hub = h.Hub(data, config=cfg)
    time.sleep(16)
    assert hub.stop() == 0
    before = h.verify_index_against_files(data)
    total = sum(s["bytes"] for s in before)
    assert len(before) >= 10 and total > 1.3 * 1024 * 1024, (len(before), total)

    shown = h.hearth("retention", "--max-disk-mb", "1", "--data-dir", data).stdout
    assert "max disk: 1 MB" in shown
    hub = h.Hub(data, config=cfg)
    try:
        old_ids = {s["id"] for s in before}

        def old_segments_left():
            db = h.index_db(data)
            ids = {r[0] for r in db.execute("SELECT id FROM segments")}
            db.close()
            return len(ids & old_ids)

        h.wait_for("retention to run", lambda: old_segments_left() < len(before), 20)
    finally:
        assert hub.stop() == 0
    after = h.verify_index_against_files(data)
    # The oldest (by end, across cameras) went first: what is left of the old recording is
    # its newest part.
    by_end = sorted(before, key=lambda s: (s["end_us"], s["id"]))
    kept_before = [s for s in by_end if s["id"] in {a["id"] for a in after}]
    assert kept_before == by_end[len(by_end) - len(kept_before):], (
        [s["id"] for s in by_end], [s["id"] for s in kept_before])
    old_bytes = sum(s["bytes"] for s in kept_before)
    assert old_bytes <= 1024 * 1024, old_bytes
    assert "retention: deleted" in hub.output()


def test_v4l2_camera_where_a_device_exists():
    devices = sorted(f for f in os.listdir("/dev") if f.startswith("video"))
    if not devices:
        raise h.Skip("this machine has no /dev/video* device")
    d = h.tempdir("v4l2")
    data = os.path.join(d, "data")
    h.hearth("camera", "add", "local", "--kind", "v4l2", "--url", f"/dev/{devices[0]}",
             "--data-dir", data)
    hub = h.Hub(data)
    try:
        h.wait_for("a recording from the V4L2 camera",
                   lambda: hub.json("/api/cameras/1/recordings")[1]["ranges"], 40)
    finally:
        assert hub.stop() == 0
    h.verify_index_against_files(data)


if __name__ == "__main__":
    h.run([test_disk_budget_deletes_oldest_first, test_v4l2_camera_where_a_device_exists])
