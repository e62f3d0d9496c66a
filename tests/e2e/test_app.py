"""The household app in a real browser: starts `hearth demo` (two simulated cameras) on a
free port in a fresh data directory, then runs app.spec.mjs (playwright-core driving
Debian's Chromium) against it. Screenshots go to build/e2e-artifacts/, and with
HEARTH_UPDATE_SCREENSHOTS=1 also to docs/screenshots/ (what the README shows)."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

SCREENSHOTS = ("grid.png", "single.png", "presence.png", "timeline.png")


def wav_peak_dbfs(path):
    """The peak level of a 16-bit WAV file in dBFS, or None while it has no audio."""
    import math
    import struct
    import wave
    try:
        with wave.open(path, "rb") as w:
            frames = w.readframes(w.getnframes())
    except (FileNotFoundError, EOFError, wave.Error):
        return None
    samples = struct.unpack(f"<{len(frames) // 2}h", frames[:len(frames) // 2 * 2])
    peak = max((abs(x) for x in samples), default=0)
    return 20 * math.log10(peak / 32768) if peak else None


def test_app_flow():
    if not os.path.exists(os.path.join(ROOT, "web", "dist", "index.html")):
        raise AssertionError("web/dist is not built: run make build")
    if not shutil.which(os.environ.get("CHROMIUM", "/usr/bin/chromium")):
        raise harness.Skip("no Chromium at /usr/bin/chromium")
    artifacts = os.environ.get("HEARTH_E2E_ARTIFACTS",
                               os.path.join(os.path.dirname(os.path.dirname(harness.HEARTH)),
                                            "..", "e2e-artifacts"))
    artifacts = os.path.abspath(artifacts)
    data = harness.tempdir("e2e")
    # An IP camera to add from the app: `hearth simcam` with ONVIF, found by a unicast probe.
    creds = harness.make_credentials(data)
    heard = os.path.join(data, "camera-heard.wav")
    camera = harness.Simcam(credentials_file=creds, size=(640, 360), extra=(
        "--onvif-listen", "127.0.0.1:0", "--discovery-listen", "0", "--backchannel-wav", heard))
    port = harness.wait_for("the simcam's discovery port", lambda: next(
        (line.split()[-1] for line in list(camera.lines)
         if line.startswith("discovery listening on udp port")), None), 10)
    # WebRTC on loopback only; the browser's many requests from one address are not limited.
    config = harness.write_config(data, ice_networks=["127.0.0.0/8", "::1/128"],
                                  client_requests_per_second=0,
                                  onvif_discovery=f"127.0.0.1:{port}")
    hub = harness.Hub(os.path.join(data, "data"), config=config, demo=True, login=False)
    try:
        code = hub.setup_code()
        assert code, "the hub printed no setup code:\n" + hub.output()
        env = dict(os.environ, HEARTH_E2E_CAMERA=open(creds).read().strip())
        result = subprocess.run(["node", os.path.join(HERE, "app.spec.mjs"), hub.url, code,
                                 artifacts], timeout=360, env=env)
        assert result.returncode == 0, "the browser flow failed (see above)"
        # The owner's voice went browser -> WebRTC -> hub -> RTSP backchannel -> camera.
        level = harness.wait_for("the IP camera's WAV", lambda: wav_peak_dbfs(heard), 10)
        print(f"the IP camera heard the browser's microphone at a peak of {level:.1f} dBFS")
        assert level > -45, level
    finally:
        hub.stop()
        camera.stop()
        shutil.rmtree(data, ignore_errors=True)
    if os.environ.get("HEARTH_UPDATE_SCREENSHOTS") != "1":
        return  # the README's copies change only when asked (keeps the tree clean)
    shots = os.path.join(ROOT, "docs", "screenshots")
    os.makedirs(shots, exist_ok=True)
    for name in SCREENSHOTS:
        shutil.copyfile(os.path.join(artifacts, name), os.path.join(shots, name))


if __name__ == "__main__":
    harness.run([test_app_flow])
