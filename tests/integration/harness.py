"""Drives the real `hearth` binary, ffprobe and ffmpeg for integration tests.

Everything talks to 127.0.0.1 only; every hub and simcam gets port 0 and a
fresh temporary directory, so tests run side by side.
"""
import argparse
import json
import os
import re
import secrets
import signal
import sqlite3
import ssl
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HEARTH = None


def parse_args():
    global HEARTH
    p = argparse.ArgumentParser()
    p.add_argument("--hearth", required=True)
    args = p.parse_args()
    HEARTH = os.path.abspath(args.hearth)
    return args


class Process:
    """A child process whose output is collected; the first line matching
    `ready` gives the value the test needs (an URL)."""

    def __init__(self, argv, ready, env=None, timeout=30):
        self.argv = argv
        self.lines = []
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env, start_new_session=True)
        self._ready = re.compile(ready)
        self.match = None
        self._event = threading.Event()
        threading.Thread(target=self._pump, daemon=True).start()
        if not self._event.wait(timeout) or self.match is None:
            self.kill()
            raise AssertionError(f"{argv[1]} did not start:\n" + "\n".join(self.lines[-30:]))

    def _pump(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            if self.match is None:
                m = self._ready.search(line)
                if m:
                    self.match = m
                    self._event.set()
        self._event.set()

    def output(self):
        return "\n".join(self.lines)

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"{self.argv[1]} did not stop on SIGTERM within {timeout} s")
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# The owner each test data directory was set up with: hubs restarted on the same
# directory log in again with it. Passphrases are random per run, never fixed.
_OWNERS = {}
OWNER_NAME = "tester"


def new_passphrase():
    return "-".join(secrets.token_urlsafe(6) for _ in range(4))


class Client:
    """An HTTP client of one hub with its own cookies (a browser, a phone, an attacker)."""

    def __init__(self, url, ssl_context=None):
        self.url = url
        self.cookies = {}
        self.csrf = None
        self.ssl_context = ssl_context

    def request(self, method, path, body=None, headers=None, timeout=30, session=True):
        """(status, headers, body bytes) without raising on HTTP errors. `body` may be a
        dict (sent as JSON) or bytes. With session=True this client's cookies and CSRF
        token go along and cookies it is given are kept."""
        h = dict(headers or {})
        data = None
        if isinstance(body, dict):
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = body
        if session and self.cookies:
            h.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            if self.csrf and method not in ("GET", "HEAD"):
                h.setdefault("X-CSRF-Token", self.csrf)
        req = urllib.request.Request(self.url + path, data=data, headers=h, method=method)
        try:
            with self._open(req, timeout) as r:
                status, headers_out, payload = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, headers_out, payload = e.code, e.headers, e.read()
        if session:
            for cookie in headers_out.get_all("Set-Cookie") or []:
                name, _, rest = cookie.partition("=")
                value = rest.split(";", 1)[0]
                if value and "Max-Age=0" not in cookie:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
        return status, dict(headers_out), payload

    def _open(self, req, timeout):
        return urllib.request.urlopen(req, timeout=timeout, context=self.ssl_context)

    def login(self, user, passphrase, code=None):
        body = {"username": user, "password": passphrase}
        if code:
            body["code"] = code
        status, _, payload = self.request("POST", "/api/login", body)
        parsed = json.loads(payload) if payload else {}
        if status == 200:
            self.csrf = parsed["csrf_token"]
        return status, parsed

    def get(self, path, timeout=30):
        """(status, headers, body bytes) of a GET with this client's session."""
        return self.request("GET", path, timeout=timeout)

    def json(self, path):
        status, _, body = self.get(path)
        return status, json.loads(body)


class Hub(Process, Client):
    """A running hub. With login=True (the default) the harness creates the owner from
    the printed setup code (or reuses the one made earlier for this data directory) and
    logs in, so get()/json()/request() act as that owner."""

    def __init__(self, data_dir, config=None, demo=False, extra=(), login=True):
        argv = [HEARTH, "demo" if demo else "serve", "--data-dir", data_dir,
                "--listen", "127.0.0.1:0", *extra]
        if config:
            argv += ["--config", config]
        Process.__init__(self, argv, r"listening on (https://127\.0\.0\.1:\d+)/")
        self.data_dir = data_dir
        self._ssl_context = None
        Client.__init__(self, self.match.group(1))
        if login:
            self.ensure_owner()
            status, body = self.login(OWNER_NAME, _OWNERS[os.path.realpath(data_dir)])
            assert status == 200, f"owner login failed: {status} {body}"

    @property
    def ssl_context(self):
        """Trusts only <data_dir>/tls/cert.pem; a test with its own certificate sets it."""
        if self._ssl_context is None:
            self._ssl_context = hub_ssl_context(self.data_dir)
        return self._ssl_context

    @ssl_context.setter
    def ssl_context(self, context):
        self._ssl_context = context

    def client(self):
        """Another client of this hub, logged out, with no cookies."""
        return Client(self.url, self.ssl_context)

    def setup_code(self, timeout=10):
        """The one-time setup code the hub printed, or None when it printed none."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                m = re.search(r"^\s+setup code: (\S+)$", line)
                if m:
                    return m.group(1)
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        return None

    def ensure_owner(self):
        key = os.path.realpath(self.data_dir)
        if key in _OWNERS:
            return
        code = self.setup_code()
        assert code, "the hub printed no setup code:\n" + self.output()
        passphrase = new_passphrase()
        hearth("setup", "--data-dir", self.data_dir, "--username", OWNER_NAME, "--code", code,
               "--passphrase-stdin", input=passphrase + "\n")
        _OWNERS[key] = passphrase

    def owner_passphrase(self):
        return _OWNERS[os.path.realpath(self.data_dir)]

    def add_user(self, name, role, *rights):
        """Creates an account with the CLI (`rights` like "1=live") and logs it in on a new
        client; returns (client, passphrase)."""
        passphrase = new_passphrase()
        argv = ["user", "add", name, "--role", role, "--data-dir", self.data_dir,
                "--passphrase-stdin"]
        for r in rights:
            argv += ["--rights", r]
        hearth(*argv, input=passphrase + "\n")
        c = self.client()
        status, body = c.login(name, passphrase)
        assert status == 200, (status, body)
        return c, passphrase


def hub_ssl_context(data_dir, cert=None):
    """Verifies the hub against exactly its own certificate (the one it made in
    <data_dir>/tls/ unless `cert` names another), host name 127.0.0.1 via the SAN;
    the system's CAs are not trusted."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verify_mode CERT_REQUIRED, check_hostname
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=cert or os.path.join(data_dir, "tls", "cert.pem"))
    return ctx


class WebSocket:
    """A minimal RFC 6455 client (the standard library has none): enough to receive what
    the hub sends and to answer its pings."""

    def __init__(self, client, path, origin=None, timeout=15, headers=None):
        import base64
        import hashlib
        import socket
        host, port = client.url.split("//", 1)[1].rsplit(":", 1)
        raw = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock = client.ssl_context.wrap_socket(raw, server_hostname=host)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if client.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in client.cookies.items()))
        if origin:
            lines.append(f"Origin: {origin}")
        head = ("\r\n".join(lines) + "\r\n").encode()
        for name, value in (headers or {}).items():  # bytes values go as they are
            head += name.encode() + b": " + (value if isinstance(value, bytes) else
                                             value.encode()) + b"\r\n"
        self.sock.sendall(head + b"\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
        self.status = int(status_line.split()[1]) if len(status_line.split()) > 1 else 0
        self.head = head.decode(errors="replace")
        if self.status == 101:
            accept = base64.b64encode(hashlib.sha1(
                (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
            assert f"Sec-WebSocket-Accept: {accept}".lower() in self.head.lower(), self.head

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("connection closed")
            data += chunk
        return data

    def _send_frame(self, opcode, payload=b""):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = bytes([0x80 | opcode, 0x80 | n])
        elif n < 65536:
            header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def recv_json(self):
        """The next text message as JSON; raises if the socket closes first."""
        kind, payload = self.recv()
        if kind != "text":
            raise AssertionError(f"expected a text message, got {kind}: {payload[:80]!r}")
        return json.loads(payload)

    def recv_json_except(self, *skipped_types):
        """The next JSON message whose "type" is not one of `skipped_types` (the app's live
        channel interleaves detection events with presence)."""
        while True:
            m = self.recv_json()
            if not (isinstance(m, dict) and m.get("type") in skipped_types):
                return m

    def recv(self):
        """(kind, payload): kind is "text", "binary" or "close"."""
        message, kind = b"", None
        while True:
            b0, b1 = self._read(2)
            opcode, length = b0 & 0x0F, b1 & 0x7F
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            payload = self._read(length)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            if opcode == 0x8:
                try:
                    self._send_frame(0x8, payload[:2])  # complete the closing handshake
                    self.sock.close()
                except OSError:
                    pass
                return "close", payload
            if opcode in (0x1, 0x2):
                kind = "text" if opcode == 0x1 else "binary"
            message += payload
            if b0 & 0x80:
                return kind, message

    def close(self):
        try:
            self._send_frame(0x8, (1000).to_bytes(2, "big"))
        except OSError:
            pass
        self.sock.close()


class Simcam(Process):
    def __init__(self, credentials_file=None, size=(640, 360), fps=15, kbps=800,
                 video_codec="h264", audio_codec="aac", extra=()):
        argv = [HEARTH, "simcam", "--listen", "127.0.0.1:0", "--width", str(size[0]),
                "--height", str(size[1]), "--fps", str(fps), "--kbps", str(kbps),
                "--video-codec", video_codec, "--audio-codec", audio_codec, *extra]
        if credentials_file:
            argv += ["--credentials-file", credentials_file]
        super().__init__(argv, r"rtsp listening on (rtsp://\S+)")
        self.url = self.match.group(1)


def make_credentials(directory, user="viewer"):
    """A credentials file with a random password (never a fixed one)."""
    path = os.path.join(directory, "camera-credentials")
    with open(path, "w") as f:
        f.write(f"{user}:{secrets.token_urlsafe(12)}\n")
    os.chmod(path, 0o600)
    return path


def hearth(*args, input=None, check=True):
    r = subprocess.run([HEARTH, *args], capture_output=True, text=True, input=input, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError(f"hearth {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r


def write_config(directory, **keys):
    path = os.path.join(directory, "hearth.toml")
    with open(path, "w") as f:
        for k, v in keys.items():
            f.write(f"{k} = {json.dumps(v)}\n")
    return path


def wait_for(what, predicate, timeout=60, interval=0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def ffprobe_json(path, *entries):
    r = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *entries, path],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"ffprobe cannot read {path}: {r.stderr.strip()}")
    return json.loads(r.stdout)


def check_playable(path, expect_video="h264", expect_audio=None, min_duration=0.5):
    """ffprobe: codecs, duration, and no video timestamp gap beyond one frame."""
    info = ffprobe_json(path, "-show_streams", "-show_format")
    codecs = {s["codec_type"]: s["codec_name"] for s in info["streams"]}
    if expect_video:
        assert codecs.get("video") == expect_video, f"{path}: video codec {codecs}"
    else:
        assert codecs.get("video") in ("h264", "hevc"), f"{path}: video codec {codecs}"
    if expect_audio:
        assert codecs.get("audio") == expect_audio, f"{path}: audio codec {codecs}"
    duration = float(info["format"]["duration"])
    assert duration >= min_duration, f"{path}: duration {duration}"
    video = next(s for s in info["streams"] if s["codec_type"] == "video")
    num, den = (int(x) for x in video["avg_frame_rate"].split("/"))
    frame = den / num if num else 1 / 15
    packets = ffprobe_json(path, "-select_streams", "v:0", "-show_entries",
                           "packet=dts_time")["packets"]
    dts = [float(p["dts_time"]) for p in packets if "dts_time" in p]
    assert dts, f"{path}: no video packets"
    worst = max((b - a for a, b in zip(dts, dts[1:])), default=0)
    assert worst <= frame * 1.6, f"{path}: timestamp gap of {worst:.3f} s (frame {frame:.3f} s)"
    assert all(b > a for a, b in zip(dts, dts[1:])), f"{path}: decode time goes backwards"
    return duration


def ffmpeg_decodes(path):
    r = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and not r.stderr.strip(), f"ffmpeg cannot decode {path}: {r.stderr}"


def index_db(data_dir):
    db = sqlite3.connect(f"file:{os.path.join(data_dir, 'hearth.db')}?mode=ro", uri=True)
    db.row_factory = sqlite3.Row
    return db


RECORDED_CODECS = {"h264", "hevc", "aac", "opus", "pcm_mulaw", "pcm_alaw"}


def check_unreadable(path):
    """ffprobe finds no MP4 and none of the codecs Hearth records in an encrypted segment
    (its guesses on noise, such as a weak "h263" now and then, are not video)."""
    forced = subprocess.run(["ffprobe", "-v", "error", "-f", "mov", "-show_streams", path],
                            capture_output=True, text=True, timeout=60)
    assert forced.returncode != 0 and "codec_name" not in forced.stdout, (
        f"ffprobe read an encrypted segment as MP4: {path}: {forced.stdout[:300]}")
    probed = subprocess.run(["ffprobe", "-v", "error", "-of", "json", "-show_streams",
                             "-show_format", path], capture_output=True, text=True, timeout=60)
    if probed.returncode == 0:
        info = json.loads(probed.stdout)
        codecs = {st.get("codec_name") for st in info.get("streams", [])}
        assert not codecs & RECORDED_CODECS, f"ffprobe found {codecs} in {path}"
        assert "mov" not in info.get("format", {}).get("format_name", ""), path


def verify_recordings(data_dir, user=None, passphrase=None):
    """`hearth recordings verify`: decrypts every indexed fragment with the owner's
    passphrase; returns its summary line."""
    user = user or OWNER_NAME
    passphrase = passphrase or _OWNERS[os.path.realpath(data_dir)]
    r = hearth("recordings", "verify", "--data-dir", data_dir, "--user", user, "--stdin",
               input=passphrase + "\n", check=False)
    assert r.returncode == 0, f"recordings verify failed ({r.returncode}): {r.stdout}{r.stderr}"
    return r.stdout.strip().splitlines()[-1]


def verify_index_against_files(data_dir):
    """Every indexed segment: file exists, its size is the end of its last indexed
    fragment, fragments tile the file; an encrypted file is unreadable to ffprobe, and
    every fragment decrypts and parses (a file in the clear plays). Returns segment rows."""
    db = index_db(data_dir)
    segs = db.execute("SELECT * FROM segments ORDER BY id").fetchall()
    for s in segs:
        path = os.path.join(data_dir, s["path"])
        assert os.path.exists(path), f"indexed segment {s['path']} has no file"
        frags = db.execute("SELECT * FROM fragments WHERE segment_id = ? ORDER BY seq",
                           (s["id"],)).fetchall()
        end = s["init_bytes"]
        for f in frags:
            assert f["offset"] == end, f"{s['path']}: fragment {f['seq']} at {f['offset']}, expected {end}"
            end += f["bytes"]
        assert os.path.getsize(path) == end, (
            f"{s['path']}: file has {os.path.getsize(path)} bytes, index says {end}")
        assert s["bytes"] == end
        if s["sealed_key"] is not None:
            assert s["path"].endswith(".mp4.enc") and len(s["sealed_key"]) == 80
            check_unreadable(path)
        elif frags:
            check_playable(path, expect_video=None, min_duration=0.05)
    db.close()
    if segs and os.path.realpath(data_dir) in _OWNERS:
        summary = verify_recordings(data_dir)
        assert summary.endswith(", 0 damaged"), summary
    return segs


def tempdir(name):
    return tempfile.mkdtemp(prefix=f"hearth-{name}-")


class Skip(Exception):
    """Raised by a test that cannot run here; the message says why."""


def run(tests):
    """Runs each test function, printing one line each and the closing count line."""
    parse_args()
    passed = failed = skipped = 0
    for t in tests:
        started = time.monotonic()
        try:
            t()
            passed += 1
            print(f"PASS {t.__name__} ({time.monotonic() - started:.1f} s)", flush=True)
        except Skip as e:
            skipped += 1
            print(f"SKIP {t.__name__}: {e}", flush=True)
        except Exception as e:  # report every failure, then go on
            failed += 1
            print(f"FAIL {t.__name__}: {e}", flush=True)
            import traceback
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    sys.exit(1 if failed else 0)
