"""The household app in a real browser: starts `hearth demo` (two simulated cameras) on a
free port in a fresh data directory, then runs app.spec.mjs (playwright-core driving
Debian's Chromium) against it. Screenshots go to build/e2e-artifacts/ and docs/screenshots/."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402

SCREENSHOTS = ("grid.png", "single.png", "timeline.png")


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
    hub = harness.Hub(data, demo=True, login=False)
    try:
        code = hub.setup_code()
        assert code, "the hub printed no setup code:\n" + hub.output()
        result = subprocess.run(["node", os.path.join(HERE, "app.spec.mjs"), hub.url, code,
                                 artifacts], timeout=150)
        assert result.returncode == 0, "the browser flow failed (see above)"
    finally:
        hub.stop()
        shutil.rmtree(data, ignore_errors=True)
    shots = os.path.join(ROOT, "docs", "screenshots")
    os.makedirs(shots, exist_ok=True)
    for name in SCREENSHOTS:
        shutil.copyfile(os.path.join(artifacts, name), os.path.join(shots, name))


if __name__ == "__main__":
    harness.run([test_app_flow])
