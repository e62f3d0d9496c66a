"""HTTPS on the real hub: Debian's testssl.sh finds nothing to flag, the printed
fingerprint is the certificate's, plain HTTP only redirects, and a household's own
certificate is used (or refused with a clear message). 127.0.0.1 only."""
import http.client
import json
import os
import re
import shutil
import ssl
import stat
import subprocess
import time
import urllib.error
import urllib.request

import harness as h

WEAK_SEVERITIES = {"MEDIUM", "HIGH", "CRITICAL"}
AEAD = {"AESGCM", "ChaCha20", "AESCCM"}


def fingerprint_line(hub):
    m = h.wait_for("the fingerprint line", lambda: next(
        (re.search(r"certificate fingerprint \(SHA-256\) ([0-9A-F:]{95})$", line)
         for line in hub.lines if "certificate fingerprint" in line), None), 10)
    return m.group(1)


def openssl_fingerprint(cert):
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256", "-in", cert],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    return out.strip().split("=", 1)[1]


def port_of(url):
    return int(url.rsplit(":", 1)[1])


def test_testssl_finds_nothing_to_flag():
    testssl = shutil.which("testssl") or shutil.which("testssl.sh")
    if not testssl:
        raise h.Skip("testssl.sh is not installed (Debian package testssl.sh)")
    d = h.tempdir("tls")
    hub = h.Hub(os.path.join(d, "data"))
    try:
        assert hub.get("/healthz")[0] == 200
        report = os.path.join(d, "testssl.json")
        started = time.monotonic()
        # Protocols, each cipher, forward secrecy, vulnerabilities, headers; the hub's
        # certificate is self-signed by design, so the server-defaults checks are left out.
        r = subprocess.run([testssl, "--quiet", "--warnings", "batch", "--color", "0",
                            "--ip", "one", "--openssl", "/usr/bin/openssl", "--sneaky",
                            "--connect-timeout", "10", "--openssl-timeout", "10",
                            "--jsonfile", report, "-p", "-e", "-f", "-U", "-h",
                            hub.url], capture_output=True, text=True, timeout=300)
        took = time.monotonic() - started
        assert os.path.exists(report), (f"testssl wrote no report ({r.returncode}):\n"
                                        f"{r.stdout[-3000:]}\n{r.stderr[-2000:]}")
        with open(report) as f:
            findings = json.load(f)
    finally:
        assert hub.stop() == 0
    by_id = {f["id"]: f for f in findings}

    def finding(key):
        assert key in by_id, f"testssl did not report {key}"
        return by_id[key]["finding"]

    for old in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert finding(old).startswith("not offered"), f"{old}: {finding(old)}"
    for new in ("TLS1_2", "TLS1_3"):
        assert finding(new).startswith("offered"), f"{new}: {finding(new)}"
    flagged = [f for f in findings if f.get("severity") in WEAK_SEVERITIES]
    assert not flagged, "testssl flagged:\n" + "\n".join(
        f"  {f['id']} {f['severity']}: {f['finding']}" for f in flagged)

    ciphers = [f["finding"].split() for f in findings if f["id"].startswith("cipher_x")]
    assert ciphers, "testssl listed no ciphers"
    fs_ciphers = set(finding("PFS_ciphers").split())
    for c in ciphers:
        # hexcode, OpenSSL name, key exchange ("ECDH 253"), encryption, bits, IANA name
        name, kx, enc = c[1], c[2], c[4]
        assert kx in ("ECDH", "DH"), f"{name}: key exchange {kx} is not forward-secret"
        assert name in fs_ciphers, f"{name}: not in testssl's forward-secret list"
        assert enc in AEAD, f"{name}: {enc} is not an AEAD cipher"
    assert finding("HSTS_time").startswith("365 days"), finding("HSTS_time")
    for header in ("X-Frame-Options", "X-Content-Type-Options", "Content-Security-Policy"):
        assert header in by_id, f"testssl saw no {header}"

    offered = [n for n in ("SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3")
               if finding(n).startswith("offered")]
    counts = {}
    for f in findings:
        counts[f.get("severity")] = counts.get(f.get("severity"), 0) + 1
    print(f"testssl ({took:.0f} s): protocols {', '.join(offered)}; "
          f"{len(ciphers)} ciphers: {' '.join(c[1] for c in ciphers)}; "
          f"curves {finding('PFS_ECDHE_curves')}; findings by severity {counts}", flush=True)


def test_fingerprint_is_the_certificates_and_survives_restart():
    d = h.tempdir("tls")
    data = os.path.join(d, "data")
    hub = h.Hub(data)
    try:
        printed = fingerprint_line(hub)
        cert = os.path.join(data, "tls", "cert.pem")
        assert printed == openssl_fingerprint(cert), (printed, openssl_fingerprint(cert))
        key = os.path.join(data, "tls", "key.pem")
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(key)).st_mode) == 0o700
        status, headers, _ = hub.get("/no/such/page")
        assert status == 404
        assert headers.get("Strict-Transport-Security") == "max-age=31536000"
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", "")
        assert headers.get("X-Content-Type-Options") == "nosniff"
        assert headers.get("Referrer-Policy") == "no-referrer"
    finally:
        assert hub.stop() == 0

    # The harness trusts exactly this hub's certificate: another hub's is refused.
    other = h.Hub(os.path.join(d, "other"))
    try:
        wrong = h.hub_ssl_context(data)
        try:
            urllib.request.urlopen(other.url + "/healthz", timeout=10, context=wrong)
            raise AssertionError("a hub with another certificate was trusted")
        except urllib.error.URLError as e:
            assert isinstance(e.reason, ssl.SSLCertVerificationError), e
    finally:
        assert other.stop() == 0

    again = h.Hub(data)
    try:
        assert fingerprint_line(again) == printed
        assert again.get("/healthz")[0] == 200
    finally:
        assert again.stop() == 0


def test_plain_http_only_redirects():
    d = h.tempdir("tls")
    hub = h.Hub(os.path.join(d, "data"), extra=["--redirect-listen", "127.0.0.1:0"])
    try:
        line = h.wait_for("the redirect line", lambda: next(
            (re.search(r"plain HTTP on http://127\.0\.0\.1:(\d+)/", line_)
             for line_ in hub.lines if "plain HTTP on" in line_), None), 10)
        plain_port = int(line.group(1))
        https_port = port_of(hub.url)
        for host, expect in (("127.0.0.1", f"https://127.0.0.1:{https_port}"),
                             ("hub.local:80", f"https://hub.local:{https_port}"),
                             ("evil.com/<script>", f"https://127.0.0.1:{https_port}")):
            conn = http.client.HTTPConnection("127.0.0.1", plain_port, timeout=10)
            conn.putrequest("GET", "/api/cameras?x=1", skip_host=True)
            conn.putheader("Host", host)
            conn.endheaders()
            r = conn.getresponse()
            body = r.read()
            conn.close()
            assert r.status == 308, (host, r.status)
            location = r.getheader("Location")
            assert location == expect + "/api/cameras?x=1", (host, location)
            assert body == b"", body
    finally:
        assert hub.stop() == 0


def make_cert(directory, name):
    cert, key = os.path.join(directory, f"{name}.crt"), os.path.join(directory, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={name}", "-days", "30",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   capture_output=True, timeout=30, check=True)
    os.chmod(key, 0o600)
    return cert, key


def test_users_own_certificate():
    d = h.tempdir("tls")
    data = os.path.join(d, "data")
    cert, key = make_cert(d, "household")
    _, other_key = make_cert(d, "other")
    cfg = h.write_config(d, tls_cert=cert, tls_key=key)
    hub = h.Hub(data, config=cfg, login=False)
    try:
        assert fingerprint_line(hub) == openssl_fingerprint(cert)
        hub.ssl_context = h.hub_ssl_context(data, cert=cert)
        assert hub.get("/healthz")[0] == 200
        assert not os.path.exists(os.path.join(data, "tls")), "made its own identity anyway"
    finally:
        assert hub.stop() == 0

    bad = h.write_config(d, tls_cert=cert, tls_key=other_key)
    r = subprocess.run([h.HEARTH, "serve", "--data-dir", data, "--listen", "127.0.0.1:0",
                        "--config", bad], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "does not belong" in r.stderr and other_key in r.stderr, r.stderr


if __name__ == "__main__":
    h.run([test_testssl_finds_nothing_to_flag,
           test_fingerprint_is_the_certificates_and_survives_restart,
           test_plain_http_only_redirects,
           test_users_own_certificate])
