"""Accounts end to end over real HTTPS: first-run setup with the one-time code, cookies,
CSRF and Origin checks, the CLI for users and sessions, TOTP with a real authenticator
(oathtool), passphrase changes, and bad requests that must leave stored data intact."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess

import harness as h


def body(payload):
    return json.loads(payload) if payload else {}


def test_first_run_setup_and_the_session_cookie():
    d = h.tempdir("setup")
    hub = h.Hub(os.path.join(d, "data"), login=False)
    try:
        anon = hub.client()
        status, _, _ = anon.get("/api/cameras")
        assert status == 401
        status, setup = anon.json("/api/setup")
        assert status == 200 and setup["needed"] is True
        printed = re.search(r"certificate fingerprint \(SHA-256\) (\S+)", hub.output()).group(1)
        assert setup["fingerprint"] == printed

        # The setup page shows the same fingerprint and loads its script and style from
        # the hub itself (the CSP allows nothing inline).
        status, headers, page = anon.get("/setup")
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        page = page.decode()
        assert printed in page and 'src="/setup.js"' in page and "<script>" not in page
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert anon.get("/setup.js")[0] == 200 and anon.get("/setup.css")[0] == 200

        code = hub.setup_code()
        passphrase = h.new_passphrase()
        status, _, payload = anon.request("POST", "/api/setup", {
            "code": "AAAAA-AAAAA-AAAAA-AAAAA", "username": "olivia", "password": passphrase})
        assert status == 403 and "setup code" in body(payload)["error"]
        status, _, payload = anon.request("POST", "/api/setup", {
            "code": code, "username": "olivia", "password": "password1234"})
        assert status == 400 and body(payload)["error"], payload
        status, headers, payload = anon.request("POST", "/api/setup", {
            "code": code, "username": "olivia", "password": passphrase})
        assert status == 201, payload
        assert body(payload)["role"] == "owner"
        cookie = headers["Set-Cookie"]
        assert cookie.startswith("__Host-hearth-session=")
        for attribute in ("Path=/", "Secure", "HttpOnly", "SameSite=Strict"):
            assert attribute in cookie, cookie
        assert "Domain" not in cookie
        status, me = anon.json("/api/session")
        assert status == 200 and me["user"] == "olivia"

        # The code was for one use only; the printed passphrase is nowhere.
        status, _, payload = hub.client().request("POST", "/api/setup", {
            "code": code, "username": "mallory", "password": h.new_passphrase()})
        assert status == 409, payload
        assert passphrase not in hub.output()
        status, setup = anon.json("/api/setup")
        assert setup["needed"] is False
        assert "is set up" in anon.get("/setup")[2].decode()
    finally:
        assert hub.stop() == 0


def test_csrf_origin_logout_and_passphrase_change():
    d = h.tempdir("csrf")
    hub = h.Hub(os.path.join(d, "data"))
    try:
        status, _, payload = hub.request("POST", "/api/logout", headers={"X-CSRF-Token": "x"})
        assert status == 403 and "CSRF" in body(payload)["error"]
        status, _, payload = hub.request("POST", "/api/logout",
                                         headers={"Origin": "https://evil.example"})
        assert status == 403 and "cross-site" in body(payload)["error"]

        other = hub.client()
        assert other.login(h.OWNER_NAME, hub.owner_passphrase())[0] == 200
        assert other.get("/api/session")[0] == 200
        new = h.new_passphrase()
        status, _, payload = hub.request("POST", "/api/password", {
            "old_password": hub.owner_passphrase(), "new_password": new})
        assert status == 204, payload
        h._OWNERS[os.path.realpath(hub.data_dir)] = new
        assert other.get("/api/session")[0] == 401  # every other session ended
        assert hub.get("/api/session")[0] == 200    # this one goes on

        assert hub.request("POST", "/api/logout")[0] == 204
        assert hub.get("/api/session")[0] == 401
        status, _ = hub.client().login(h.OWNER_NAME, new)
        assert status == 200
    finally:
        assert hub.stop() == 0


def test_users_and_sessions_from_the_command_line():
    d = h.tempdir("cli-users")
    data = os.path.join(d, "data")
    hub = h.Hub(data)
    try:
        member_pass = h.new_passphrase()
        r = h.hearth("user", "add", "mark", "--role", "member", "--rights", "all=live",
                     "--data-dir", data, "--passphrase-stdin", input=member_pass + "\n")
        assert "added member mark" in r.stdout
        r = h.hearth("user", "add", "weak", "--role", "guest", "--data-dir", data,
                     "--passphrase-stdin", input="hearth-hearth-1\n", check=False)
        assert r.returncode == 2 and r.stderr, r.stderr
        r = h.hearth("user", "add", "nopipe", "--data-dir", data, input=member_pass + "\n",
                     check=False)
        assert r.returncode == 2 and "--passphrase-stdin" in r.stderr
        listing = h.hearth("user", "list", "--data-dir", data).stdout
        assert re.search(r"mark\s+member\s+no\s+all=live", listing), listing

        mark = hub.client()
        assert mark.login("mark", member_pass)[0] == 200
        assert mark.get("/api/cameras")[0] == 200
        assert mark.get("/api/users")[0] == 403
        sessions = h.hearth("sessions", "--user", "mark", "--data-dir", data).stdout
        ids = re.findall(r"^(\d+)\s+mark\s", sessions, re.M)
        assert len(ids) == 1, sessions
        h.hearth("sessions", "--revoke", ids[0], "--data-dir", data)
        assert mark.get("/api/cameras")[0] == 401

        new_pass = h.new_passphrase()
        h.hearth("user", "passwd", "mark", "--data-dir", data, "--passphrase-stdin",
                 input=new_pass + "\n")
        assert mark.login("mark", member_pass)[0] == 403
        assert mark.login("mark", new_pass)[0] == 200
        h.hearth("user", "remove", "mark", "--data-dir", data)
        assert mark.get("/api/cameras")[0] == 401
        r = h.hearth("user", "remove", h.OWNER_NAME, "--data-dir", data, check=False)
        assert r.returncode != 0 and "only owner" in r.stderr

        status, audit = hub.json("/api/audit?actor=mark&limit=50")
        assert status == 200
        actions = {e["action"] for e in audit["entries"]}
        assert {"login.success", "login.failed"} <= actions, actions
        r = h.hearth("audit-log", "verify", "--data-dir", data)
        assert "intact" in r.stdout
    finally:
        assert hub.stop() == 0


def test_totp_with_a_real_authenticator():
    if not shutil.which("oathtool"):
        raise h.Skip("oathtool is not installed (scripts/install-deps.sh installs it)")
    d = h.tempdir("totp")
    hub = h.Hub(os.path.join(d, "data"))
    try:
        status, _, payload = hub.request("POST", "/api/totp")
        assert status == 200, payload
        enrol = body(payload)
        assert enrol["otpauth_uri"].startswith("otpauth://totp/Hearth:")
        assert enrol["qr_svg"].startswith("<svg")

        def oath(offset="now"):
            return subprocess.run(["oathtool", "--totp", "-b", enrol["secret"], "-N", offset],
                                  capture_output=True, text=True, check=True).stdout.strip()

        status, _, payload = hub.request("POST", "/api/totp/confirm", {"code": oath()})
        assert status == 200, payload
        recovery = body(payload)["recovery_codes"]
        assert len(recovery) == 10

        phone = hub.client()
        status, answer = phone.login(h.OWNER_NAME, hub.owner_passphrase())
        assert status == 403 and answer.get("second_factor") is True, answer
        # The next step's code (the current one was spent on enrolment); the hub accepts
        # one step of clock drift either way.
        status, answer = phone.login(h.OWNER_NAME, hub.owner_passphrase(), oath("now + 30 seconds"))
        assert status == 200, answer
        assert answer["totp_enabled"] is True
        laptop = hub.client()
        assert laptop.login(h.OWNER_NAME, hub.owner_passphrase(), recovery[0])[0] == 200
        assert hub.client().login(h.OWNER_NAME, hub.owner_passphrase(), recovery[0])[0] == 403
    finally:
        assert hub.stop() == 0


def raw_exchange(url, context, request_bytes):
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=15) as raw:
        with context.wrap_socket(raw, server_hostname=host) as s:
            s.sendall(request_bytes)
            chunks = []
            while True:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, ssl.SSLError):
                    break
                if not chunk:
                    break
                chunks.append(chunk)
    return b"".join(chunks)


def test_oversized_and_malformed_requests_get_clear_answers_and_change_nothing():
    d = h.tempdir("malformed")
    data = os.path.join(d, "data")
    hub = h.Hub(data)
    try:
        db = h.index_db(data)
        users_before = db.execute("SELECT id, name, role, password_hash FROM users").fetchall()
        db.close()

        status, _, payload = hub.request("POST", "/api/login", b"{" * 100_000,
                                         headers={"Content-Type": "application/json"})
        assert status == 413, (status, payload[:200])
        status, _, payload = hub.client().request("POST", "/api/login", b"{not json",
                                                  headers={"Content-Type": "application/json"})
        assert status == 400 and "JSON" in body(payload)["error"]
        status, _, payload = hub.client().request("POST", "/api/login", b"x",
                                                  headers={"Content-Type": "text/plain"})
        assert status == 415
        status, _, payload = hub.request("POST", "/api/users", {
            "username": "x", "role": "guest", "password": "p", "extra": 1})
        assert status == 400 and "unknown field" in body(payload)["error"]
        status, _, payload = hub.request("PATCH", "/api/users/1", {"role": "emperor"})
        assert status == 400 and "role" in body(payload)["error"]
        status, _, _ = hub.request("PATCH", "/api/users/1", {"role": "member"})
        assert status == 409  # the only owner stays owner
        status, _, _ = hub.request("DELETE", "/api/users/abc")
        assert status == 400

        answer = raw_exchange(hub.url, hub.ssl_context,
                              b"GET /api/session HTTP/1.1\r\nHost: x\r\nX-Big: " +
                              b"a" * 20_000 + b"\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
        answer = raw_exchange(hub.url, hub.ssl_context, b"BREW /pot HTCPCP/1.0\r\n\r\n")
        assert answer.startswith(b"HTTP/1.1 400"), answer[:100]

        assert hub.get("/healthz")[0] == 200
        assert hub.get("/api/session")[0] == 200
        db = h.index_db(data)
        users_after = db.execute("SELECT id, name, role, password_hash FROM users").fetchall()
        db.close()
        assert [tuple(r) for r in users_after] == [tuple(r) for r in users_before]
    finally:
        assert hub.stop() == 0


if __name__ == "__main__":
    h.run([test_first_run_setup_and_the_session_cookie,
           test_csrf_origin_logout_and_passphrase_change,
           test_users_and_sessions_from_the_command_line,
           test_totp_with_a_real_authenticator,
           test_oversized_and_malformed_requests_get_clear_answers_and_change_nothing])
