#!/usr/bin/env python3
"""Recording benchmark: Hearth's recorder versus one ffmpeg process per camera.

For each N in --streams, both recorders record N loopback RTSP streams served by
`hearth simcam --file` (a pre-encoded 1080p H.264 file, no re-encoding):

  hearth:  one `hearth serve` with N rtsp cameras (fresh data dir)
  ffmpeg:  N x `ffmpeg -rtsp_transport tcp -i URL -c copy -f segment -segment_time 60 ...`

Each phase gets its own simcam (the file is played once, from the first client on),
waits until every camera is recording, settles a few seconds, then measures over
--seconds:

  CPU    delta of utime+stime in /proc/PID/stat (all threads) of the recorder
         process(es); the simcam's CPU is excluded (shown separately)
  memory PSS and RSS from /proc/PID/smaps_rollup, summed over the recorder
         processes, sampled every few seconds; the table shows the MAXIMUM sample
  data   hearth: /metrics dropped samples, written bytes per camera vs the stream
         bitrate x window; ffmpeg: bytes its files grew by over the window

It is a measurement, not a pass/fail test: it exits 0 when everything ran, whatever
the numbers, and 1 when something could not run. Python 3 standard library only.
"""
import argparse
import atexit
import glob
import json
import os
import re
import shutil
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

CLK_TCK = os.sysconf("SC_CLK_TCK")
CACHE_DIR = "/tmp/hearth-bench-cache"
SETTLE_S = 5.0          # after every camera records, before the window opens
MEM_SAMPLE_S = 5.0      # memory sampling period inside the window
TARGET_RATIO = 0.5
KEEP = False

_children = []          # every Popen we started, killed on exit
_tmpdirs = []           # every temp dir we made, removed on exit


class CannotRun(Exception):
    """Something the benchmark needs did not work (not a slow result)."""


class StartFailed(CannotRun):
    """The recorders did not all start recording; the run is retried once with a
    fresh simcam (seen rarely: all 32 ffmpeg clients of one simcam getting no media)."""


# ---------------------------------------------------------------- processes

def spawn(argv, log_path):
    log = open(log_path, "wb")
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    finally:
        log.close()
    _children.append(p)
    return p


def stop(p, timeout=20.0):
    """SIGTERM, then SIGKILL; only the process we started (its own session)."""
    if p.poll() is None:
        try:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except ProcessLookupError:
            pass
    if p in _children:
        _children.remove(p)
    return p.returncode


def stop_all(procs, timeout=20.0):
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if p in _children:
            _children.remove(p)


def cleanup():
    for p in list(_children):
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except Exception:
                pass
    _children.clear()
    for d in list(_tmpdirs):
        if KEEP:
            print(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)
    _tmpdirs.clear()


def _on_signal(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def mkdtemp(prefix):
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    _tmpdirs.append(d)
    return d


def tail(path, n=20):
    try:
        with open(path, "r", errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def wait_for_line(p, log_path, pattern, timeout, what):
    rx = re.compile(pattern)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(log_path, "r", errors="replace") as f:
                m = rx.search(f.read())
            if m:
                return m
        except OSError:
            pass
        if p.poll() is not None:
            break
        time.sleep(0.1)
    raise CannotRun(f"{what} did not start (exit {p.poll()}):\n{tail(log_path)}")


# ---------------------------------------------------------------- /proc

def cpu_ticks(pid):
    """utime+stime of the whole process (all threads), in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def mem_kb(pid):
    """(pss_kb, rss_kb) from smaps_rollup."""
    pss = rss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    return pss, rss


def sum_cpu(pids):
    return sum(cpu_ticks(pid) for pid in pids) / CLK_TCK


def sum_mem(pids):
    pss = rss = 0
    for pid in pids:
        a, b = mem_kb(pid)
        pss += a
        rss += b
    return pss, rss


def has_children(pid):
    kids = []
    for t in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(t) as f:
                kids += f.read().split()
        except OSError:
            pass
    return kids


# ---------------------------------------------------------------- media

def ensure_media(seconds, width=1920, height=1080, fps=25, kbps=4000, gop=50):
    os.makedirs(CACHE_DIR, exist_ok=True)
    name = f"testsrc2_{width}x{height}_{fps}fps_{kbps}k_g{gop}_{seconds}s.mp4"
    path = os.path.join(CACHE_DIR, name)
    if not os.path.exists(path):
        print(f"encoding {name} once (cached in {CACHE_DIR}) ...", flush=True)
        tmp = f"{path}.{os.getpid()}.part.mp4"
        cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
               "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}",
               "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
               "-tune", "zerolatency", "-g", str(gop), "-b:v", f"{kbps}k",
               "-maxrate", f"{kbps}k", "-bufsize", f"{kbps // 2}k", "-pix_fmt", "yuv420p",
               "-an", tmp]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                raise CannotRun(f"ffmpeg could not encode the test file:\n{r.stderr}")
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                        "-show_entries", "stream=codec_name,width,height,avg_frame_rate,bit_rate:"
                        "format=duration,size", "-of", "json", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise CannotRun(f"ffprobe failed on {path}:\n{r.stderr}")
    info = json.loads(r.stdout)
    st = info["streams"][0]
    duration = float(info["format"]["duration"])
    bitrate = float(st.get("bit_rate") or 0) or int(info["format"]["size"]) * 8 / duration
    num, den = st["avg_frame_rate"].split("/")
    return {"path": path, "bitrate": bitrate, "duration": duration,
            "fps": float(num) / float(den),
            "desc": f"{st['codec_name']} {st['width']}x{st['height']} "
                    f"{float(num) / float(den):g} fps, {bitrate / 1e6:.2f} Mbit/s, "
                    f"{duration:.0f} s"}


CLIENTS_PER_SIMCAM = 8  # gst-rtsp-server stalls when dozens of clients join one shared media


def start_simcams(hearth, media, workdir, n):
    """One simcam per CLIENTS_PER_SIMCAM cameras; returns (processes, url for camera i)."""
    procs, urls = [], []
    for k in range((n + CLIENTS_PER_SIMCAM - 1) // CLIENTS_PER_SIMCAM):
        log = os.path.join(workdir, f"simcam{k}.log")
        p = spawn([hearth, "simcam", "--listen", "127.0.0.1:0", "--file", media["path"]], log)
        m = wait_for_line(p, log, r"rtsp listening on (rtsp://127\.0\.0\.1:\d+/\S+)", 20,
                          "simcam")
        procs.append(p)
        urls.append(m.group(1))
    return procs, [urls[i % len(urls)] for i in range(n)]


# ---------------------------------------------------------------- hearth

METRIC_RX = re.compile(r'^(\w+)\{([^}]*)\}\s+(\S+)\s*$')


def hub_context(data_dir):
    """Trusts exactly the certificate the hub made in its data directory (HTTPS only)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cafile=os.path.join(data_dir, "tls", "cert.pem"))
    return ctx


def owner_cookie(hearth, srv, data, base, context, log):
    """Creates the owner with the printed one-time setup code and logs in (metrics are
    the owner's); returns the session cookie. The passphrase is random per run."""
    code = wait_for_line(srv, log, r"(?m)^\s+setup code: (\S+)$", 10, "setup code").group(1)
    passphrase = "-".join(secrets.token_urlsafe(6) for _ in range(4))
    r = subprocess.run([hearth, "setup", "--data-dir", data, "--username", "bench", "--code",
                        code, "--passphrase-stdin"], input=passphrase + "\n",
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise CannotRun(f"hearth setup failed:\n{r.stdout}{r.stderr}")
    body = json.dumps({"username": "bench", "password": passphrase}).encode()
    req = urllib.request.Request(base + "api/login", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30, context=context) as resp:
        for cookie in resp.headers.get_all("Set-Cookie") or []:
            if cookie.startswith("__Host-hearth-session="):
                return cookie.split(";", 1)[0]
    raise CannotRun("login as the bench owner gave no session cookie")


def scrape(base, context, cookie):
    req = urllib.request.Request(base + "metrics", headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=10, context=context) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = METRIC_RX.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
        if "camera" in labels:
            out.setdefault(m.group(1), {})[labels["camera"]] = float(m.group(3))
    return out


def run_hearth(hearth, n, media, seconds, args):
    work = mkdtemp("hearth-bench-h-")
    sims, urls = start_simcams(hearth, media, work, n)
    data = os.path.join(work, "data")
    for i in range(1, n + 1):
        r = subprocess.run([hearth, "camera", "add", f"cam{i}", "--kind", "rtsp", "--url", urls[i - 1],
                            "--data-dir", data], capture_output=True, text=True)
        if r.returncode != 0:
            raise CannotRun(f"hearth camera add failed:\n{r.stdout}{r.stderr}")
    log = os.path.join(work, "serve.log")
    srv = spawn([hearth, "serve", "--data-dir", data, "--listen", "127.0.0.1:0"], log)
    base = wait_for_line(srv, log, r"listening on (https://127\.0\.0\.1:\d+/)", 30,
                         "hearth serve").group(1)
    context = hub_context(data)
    try:
        cookie = owner_cookie(hearth, srv, data, base, context, log)
        deadline = time.monotonic() + args.start_timeout + n
        while True:
            met = scrape(base, context, cookie)
            frames = met.get("hearth_camera_frames_total", {})
            started = sum(1 for v in frames.values() if v > 0)
            if started >= n:
                break
            if srv.poll() is not None or time.monotonic() > deadline:
                raise StartFailed(f"hearth: only {started}/{n} cameras received frames "
                                f"within {args.start_timeout + n} s:\n{tail(log)}")
            time.sleep(0.5)
        kids = has_children(srv.pid)
        if kids:
            print(f"  note: hearth has child processes {kids}; their CPU is not counted")
        time.sleep(SETTLE_S)
        res = measure([srv.pid], [x.pid for x in sims], seconds, before=lambda: scrape(base, context, cookie),
                      alive=lambda: srv.poll() is None)
        m0, m1 = res.pop("before"), res.pop("after")
        res["cameras"] = per_camera_hearth(m0, m1, n, res["elapsed"], media)
        res["log_warnings"] = [l for l in tail(log, 400).splitlines()
                               if " warning " in l or " error " in l][-5:]
    finally:
        rc_srv = stop(srv)
        for x in sims:
            stop(x)
    if rc_srv not in (0, None):
        res["log_warnings"].append(f"hearth serve exited with {rc_srv} on SIGTERM")
    return res


def per_camera_hearth(m0, m1, n, elapsed, media):
    def d(name, cam):
        return m1.get(name, {}).get(cam, 0.0) - m0.get(name, {}).get(cam, 0.0)
    expected = media["bitrate"] / 8 * elapsed
    cams = []
    for cam in sorted(m1.get("hearth_camera_frames_total", {}), key=int)[:n]:
        cams.append({
            "bytes_ratio": d("hearth_recording_written_bytes_total", cam) / expected,
            "frames_ratio": d("hearth_camera_frames_total", cam) / (media["fps"] * elapsed),
            "dropped": m1.get("hearth_recording_dropped_samples_total", {}).get(cam, 0.0),
            "write_errors": m1.get("hearth_recording_write_errors_total", {}).get(cam, 0.0),
            "reconnects": d("hearth_camera_reconnects_total", cam),
            "lag": m1.get("hearth_recording_lag_seconds", {}).get(cam, 0.0),
        })
    return cams


# ---------------------------------------------------------------- ffmpeg

def ff_bytes(work, i):
    total = 0
    for f in glob.glob(os.path.join(work, f"ff{i}_*.mp4")):
        try:
            total += os.path.getsize(f)
        except OSError:
            pass
    return total


def run_ffmpeg(hearth, n, media, seconds, args):
    work = mkdtemp("hearth-bench-f-")
    sims, urls = start_simcams(hearth, media, work, n)
    procs = []
    try:
        for i in range(1, n + 1):
            procs.append(spawn(["ffmpeg", "-nostdin", "-loglevel", args.ffmpeg_loglevel,
                                "-rtsp_transport", "tcp", "-i", urls[i - 1], "-c", "copy",
                                "-f", "segment", "-segment_time", "60", "-reset_timestamps", "1",
                                os.path.join(work, f"ff{i}_%03d.mp4")],
                               os.path.join(work, f"ff{i}.log")))
        deadline = time.monotonic() + args.start_timeout + n
        while True:
            started = sum(1 for i in range(1, n + 1) if ff_bytes(work, i) > 64 * 1024)
            if started >= n:
                break
            dead = [i + 1 for i, p in enumerate(procs) if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                which = dead[0] if dead else 1
                raise StartFailed(f"ffmpeg: only {started}/{n} recorders wrote data "
                                  f"(exited: {dead}):\n{tail(os.path.join(work, f'ff{which}.log'))}")
            time.sleep(0.5)
        time.sleep(SETTLE_S)
        pids = [p.pid for p in procs]
        res = measure(pids, [x.pid for x in sims], seconds,
                      before=lambda: [ff_bytes(work, i) for i in range(1, n + 1)],
                      alive=lambda: all(p.poll() is None for p in procs))
        b0, b1 = res.pop("before"), res.pop("after")
        expected = media["bitrate"] / 8 * res["elapsed"]
        res["cameras"] = [{"bytes_ratio": (b1[i] - b0[i]) / expected, "dropped": 0.0,
                           "alive": procs[i].poll() is None} for i in range(n)]
        errs = [tail(os.path.join(work, f"ff{i}.log"), 3).strip() for i in range(1, n + 1)]
        res["log_warnings"] = [e for e in errs if e][:5]
    finally:
        stop_all(procs)
        for x in sims:
            stop(x)
    return res


# ---------------------------------------------------------------- measurement

def measure(pids, sim_pids, seconds, before, alive):
    """The window: CPU delta of pids, memory sampled every MEM_SAMPLE_S, and the
    caller's own before/after snapshots (metrics, file sizes) at its ends."""
    snap0 = before()
    cpu0, sim0 = sum_cpu(pids), sum_cpu(sim_pids)
    t0 = time.monotonic()
    load0 = os.getloadavg()[0]
    samples = [sum_mem(pids)]
    end = t0 + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        time.sleep(min(MEM_SAMPLE_S, end - now))
        if not alive():
            raise CannotRun("a recorder process exited during the window")
        if time.monotonic() < end - 0.5:
            samples.append(sum_mem(pids))
    cpu1, sim1 = sum_cpu(pids), sum_cpu(sim_pids)
    elapsed = time.monotonic() - t0
    samples.append(sum_mem(pids))
    snap1 = before()
    return {"elapsed": elapsed, "cpu": cpu1 - cpu0, "sim_cpu": sim1 - sim0,
            "pss_max_kb": max(s[0] for s in samples),
            "pss_mean_kb": sum(s[0] for s in samples) / len(samples),
            "rss_max_kb": max(s[1] for s in samples),
            "samples": len(samples), "load": (load0, os.getloadavg()[0]),
            "before": snap0, "after": snap1}


# ---------------------------------------------------------------- report

def kept_up(res, hearth):
    """Every camera: no dropped samples, no write errors/reconnects, and at least
    90% of the stream's bytes written over the window (fragments are flushed every
    few seconds, so the window's ends cut a fragment or two)."""
    for c in res["cameras"]:
        if c["dropped"] > 0 or c["bytes_ratio"] < 0.90:
            return False
        if hearth and (c["write_errors"] > 0 or c["reconnects"] > 0):
            return False
        if not hearth and not c["alive"]:
            return False
    return True


def fmt_ratio(x):
    return "   n/a" if x is None else f"{x:6.2f}"


def report(rows, media, seconds):
    print()
    print(f"Recording {media['desc']} per stream; window {seconds} s per run; "
          f"{os.cpu_count()} CPUs.")
    print("CPU = utime+stime of the recorder process(es) per stream-minute; "
          "PSS/RSS = max of samples, MB (MiB) per stream;")
    print("data = hearth bytes written per camera / (stream bitrate x window), "
          "min..max over cameras; dropped = hearth dropped samples.")
    hdr = (f"{'N':>3} | {'CPU s/stream-min':^19} | {'CPU':>5} | {'PSS MB/stream':^15} | {'PSS':>5} "
           f"| {'RSS MB/stream':^15} | {'hearth data':^22} | {'ffmpeg data':^11}")
    sub = (f"{'':>3} | {'hearth':>9} {'ffmpeg':>9} | {'ratio':>5} | {'hearth':>7} {'ffmpeg':>7} "
           f"| {'ratio':>5} | {'hearth':>7} {'ffmpeg':>7} | {'bytes':>11} {'dropped':>7} {'ok':>2} "
           f"| {'bytes':>8} {'ok':>2}")
    print(hdr)
    print(sub)
    print("-" * len(sub))
    for r in rows:
        n, h, f = r["n"], r.get("hearth"), r.get("ffmpeg")

        def per_min(x):
            return x["cpu"] / (n * x["elapsed"] / 60) if x else None

        def pss(x):
            return x["pss_max_kb"] / 1024 / n if x else None

        def rss(x):
            return x["rss_max_kb"] / 1024 / n if x else None

        hc, fc, hp, fp = per_min(h), per_min(f), pss(h), pss(f)
        r["cpu_ratio"] = hc / fc if hc is not None and fc else None
        r["mem_ratio"] = hp / fp if hp is not None and fp else None

        def num(x, w, p=2):
            return f"{x:{w}.{p}f}" if x is not None else f"{'FAIL':>{w}}"
        if h:
            br = [c["bytes_ratio"] for c in h["cameras"]]
            hdata = f"{min(br):.3f}..{max(br):.3f}"
            hdrop = int(sum(c["dropped"] for c in h["cameras"]))
            hok = "y" if kept_up(h, True) else "N"
        else:
            hdata, hdrop, hok = "FAIL", "-", "N"
        if f:
            fb = [c["bytes_ratio"] for c in f["cameras"]]
            fdata = f"{min(fb):.3f}"
            fok = "y" if kept_up(f, False) else "N"
        else:
            fdata, fok = "FAIL", "N"
        print(f"{n:>3} | {num(hc, 9, 3)} {num(fc, 9, 3)} | {fmt_ratio(r['cpu_ratio'])[1:]} | "
              f"{num(hp, 7)} {num(fp, 7)} | {fmt_ratio(r['mem_ratio'])[1:]} | "
              f"{num(rss(h), 7)} {num(rss(f), 7)} | {hdata:>11} {hdrop:>7} {hok:>2} | "
              f"{fdata:>8} {fok:>2}")
    print()
    print("Details (per run): total CPU s, simcam CPU s, PSS mean MB, load average start->end")
    for r in rows:
        for kind in ("hearth", "ffmpeg"):
            x = r.get(kind)
            if x is None:
                print(f"  N={r['n']:<3} {kind:6}: did not run: {r.get(kind + '_error', '?')}")
                continue
            line = (f"  N={r['n']:<3} {kind:6}: cpu {x['cpu']:.2f} s over {x['elapsed']:.1f} s "
                    f"({100 * x['cpu'] / x['elapsed']:.0f}% of a core), simcam {x['sim_cpu']:.2f} s, "
                    f"PSS mean {x['pss_mean_kb'] / 1024:.1f} MB total ({x['samples']} samples), "
                    f"load {x['load'][0]:.2f}->{x['load'][1]:.2f}")
            if x.get("attempt", 1) > 1:
                line += f" [2nd attempt; 1st did not start: {r.get(kind + '_error', '?')}]"
            if kind == "hearth":
                c = x["cameras"]
                line += (f", frames {min(k['frames_ratio'] for k in c):.3f}..."
                         f"{max(k['frames_ratio'] for k in c):.3f} of expected"
                         f", max lag {max(k['lag'] for k in c):.2f} s"
                         f", reconnects {int(sum(k['reconnects'] for k in c))}"
                         f", write errors {int(sum(k['write_errors'] for k in c))}")
            print(line)
            for w in x.get("log_warnings", []):
                print(f"      log: {w[:200]}")
    print()
    cpu_ok = [r for r in rows if r["cpu_ratio"] is not None]
    mem_ok = [r for r in rows if r["mem_ratio"] is not None]

    def verdict(ok):
        return "met" if ok else "NOT met"
    print(f"Targets: hearth CPU per stream <= {TARGET_RATIO} x ffmpeg's, hearth PSS per stream "
          f"<= {TARGET_RATIO} x ffmpeg's, {max(r['n'] for r in rows)} streams without dropping data.")
    for r in rows:
        parts = []
        parts.append(f"CPU ratio {fmt_ratio(r['cpu_ratio']).strip()}: "
                     f"{verdict(r['cpu_ratio'] is not None and r['cpu_ratio'] <= TARGET_RATIO)}")
        parts.append(f"PSS ratio {fmt_ratio(r['mem_ratio']).strip()}: "
                     f"{verdict(r['mem_ratio'] is not None and r['mem_ratio'] <= TARGET_RATIO)}")
        parts.append("hearth kept up: " + verdict(r.get("hearth") is not None and
                                                    kept_up(r["hearth"], True)))
        print(f"  N={r['n']:<3} " + "; ".join(parts))
    all_met = (len(cpu_ok) == len(rows) and len(mem_ok) == len(rows)
               and all(r["cpu_ratio"] <= TARGET_RATIO and r["mem_ratio"] <= TARGET_RATIO
                       and kept_up(r["hearth"], True) for r in rows))
    print(f"Overall: targets {'met' if all_met else 'NOT met'} in this run.")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hearth", required=True, help="path to the hearth binary")
    ap.add_argument("--streams", default="1,8,32", help="comma-separated N values (1,8,32)")
    ap.add_argument("--seconds", type=int, default=60, help="measurement window per run (60)")
    ap.add_argument("--quick", action="store_true", help="try it: --streams 1,4 --seconds 15")
    ap.add_argument("--start-timeout", type=int, default=30,
                    help="seconds (+1 per stream) for every camera to start recording")
    ap.add_argument("--only", choices=["hearth", "ffmpeg"], help="run one recorder only")
    ap.add_argument("--ffmpeg-loglevel", default="error", help="ffmpeg -loglevel (error)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directories")
    args = ap.parse_args()
    global KEEP
    KEEP = args.keep
    if args.quick:
        args.streams, args.seconds = "1,4", 15
    streams = [int(s) for s in args.streams.split(",") if s.strip()]
    hearth = os.path.abspath(args.hearth)
    if not os.access(hearth, os.X_OK):
        raise CannotRun(f"no hearth binary at {hearth}")
    for tool in ("ffmpeg", "ffprobe"):
        if shutil.which(tool) is None:
            raise CannotRun(f"{tool} not found on PATH")

    # Played once in real time from the first client: longer than start-up + settle +
    # window + stop, with room for N=32 connecting on a busy machine.
    media = ensure_media(args.seconds + 60)
    print(f"test stream: {media['desc']} ({media['path']})")
    print(f"hearth: {hearth}; ffmpeg: {shutil.which('ffmpeg')}; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)

    rows, failed = [], False
    for n in streams:
        row = {"n": n}
        for kind, fn in (("hearth", run_hearth), ("ffmpeg", run_ffmpeg)):
            if args.only and kind != args.only:
                continue
            for attempt in (1, 2):
                print(f"N={n}: {kind} ...", end=" ", flush=True)
                try:
                    row[kind] = fn(hearth, n, media, args.seconds, args)
                    x = row[kind]
                    x["attempt"] = attempt
                    print(f"cpu {x['cpu']:.2f} s / {x['elapsed']:.1f} s, "
                          f"PSS {x['pss_max_kb'] / 1024:.1f} MB", flush=True)
                    break
                except StartFailed as e:
                    print(f"did not start: {e}", flush=True)
                    row[kind + "_error"] = str(e).splitlines()[0]
                    if attempt == 2:
                        failed = True
                    else:
                        print(f"N={n}: {kind}: retrying once with a fresh simcam", flush=True)
                except CannotRun as e:
                    failed = True
                    row[kind + "_error"] = str(e).splitlines()[0]
                    print(f"could not run: {e}", flush=True)
                    break
                finally:
                    cleanup()
        rows.append(row)
    report(rows, media, args.seconds)
    return 1 if failed else 0


if __name__ == "__main__":
    atexit.register(cleanup)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    try:
        sys.exit(main())
    except CannotRun as e:
        print(f"bench: cannot run: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nbench: interrupted; stopped everything it started", file=sys.stderr)
        cleanup()
        sys.exit(130)
