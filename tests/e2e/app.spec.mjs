// Drives the household app in Debian's Chromium (playwright-core, no test runner) against a
// real hub on two simulated cameras: setup -> TOTP -> logout -> login with TOTP -> live grid
// over WebRTC (framesDecoded grows) -> single view (first frame and glass-to-glass measured
// from the sim camera's block clock) -> talk (the camera's speaker level rises) -> another
// member sees the viewer in presence within 2 s and it clears within 10 s of the tab closing
// -> a guest gets no stream of a camera it has no right on -> MSE fallback without WebRTC ->
// PTZ (hold an arrow, keyboard, presets, home) -> timeline playback and download -> share
// links (a clip with passcode and view limit, a live view withdrawn while it plays) -> users ->
// audit log -> adding an ONVIF camera found by discovery -> PWA checks.
// Usage: node app.spec.mjs URL SETUP_CODE ARTIFACTS_DIR (tests/e2e/test_app.py runs it).
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [url, setupCode, artifacts] = process.argv.slice(2);
if (!url || !setupCode || !artifacts) {
  console.error('usage: node app.spec.mjs URL SETUP_CODE ARTIFACTS_DIR');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const OWNER = 'olivia';
const PASSPHRASE = 'copper-lantern-meadow-47-quietly';
const started = Date.now();
const log = (m) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${m}`);

// RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for the enrolled secret.
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text.replace(/[=\s]/g, '').toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
const step = () => Math.floor(Date.now() / 1000 / 30);
function totp(secret, s = step()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(s));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

// axe-core's WCAG 2 A/AA rules on the page as it is; serious or critical findings fail.
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
async function accessible(page, what) {
  await page.evaluate(axeSource);
  const found = await page.evaluate(() => window.axe.run(document, {
    runOnly: ['wcag2a', 'wcag2aa'],
    // A camera's picture has no speech to caption.
    rules: { 'video-caption': { enabled: false } },
  }).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.nodes.length}: ${v.nodes[0].target.join(' ')})`)));
  check(found.length === 0, `${what} is accessible: ${found.join('; ')}`);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

// Frames decoded by each <video> in `scope` grow over `ms`.
async function framesGrow(page, selector, ms = 2500) {
  const frames = () => page.$$eval(selector, (vs) =>
    vs.map((v) => v.getVideoPlaybackQuality().totalVideoFrames));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const before = await frames();
    await page.waitForTimeout(ms);
    const after = await frames();
    if (before.length > 0 && after.every((n, i) => n > before[i] && n > 0)) return after;
    if (Date.now() > deadline) throw new Error(`video frames do not grow: ${before} -> ${after}`);
  }
}

const CHROMIUM_ARGS = [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--ignore-certificate-errors', '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
];
// framesDecoded of every live peer connection of the page, by camera.
const framesDecoded = (page) => page.evaluate(async () => {
  const out = [];
  for (const pc of window.__hearth.peers.values()) {
    let n = 0;
    (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n = r.framesDecoded; });
    out.push(n);
  }
  return out;
});

// Glass-to-glass: each shown frame's block clock (sim camera, see media/sim_scene.h) against
// the page's clock when the frame is displayed; the first second (the GOP cache) is skipped.
const glassToGlass = (page, selector, ms) => page.evaluate(([sel, ms]) => new Promise((resolve) => {
  const video = document.querySelector(sel);
  const canvas = document.createElement('canvas');
  const g = canvas.getContext('2d', { willReadFrequently: true });
  const lat = [];
  const start = performance.now();
  const onFrame = (_now, meta) => {
    const w = video.videoWidth, h = video.videoHeight;
    if (w && performance.now() - start > 1000) {
      canvas.width = w; canvas.height = h;
      g.drawImage(video, 0, 0);
      const y = 16 + 7 * Math.max(2, Math.floor(h / 180)) + 16;
      const block = Math.min(Math.max(8, Math.floor(h / 45)), Math.max(2, Math.floor((w - 32) / 44)));
      const row = g.getImageData(0, y + (block >> 1), 16 + 44 * block, 1).data;
      const bit = (i) => row[(16 + i * block + (block >> 1)) * 4] > 128;
      if (bit(0) && !bit(1) && bit(2) && !bit(3)) {
        let v = 0;
        for (let i = 0; i < 40; i++) v = v * 2 + (bit(4 + i) ? 1 : 0);
        const shown = performance.timeOrigin + meta.expectedDisplayTime;
        lat.push((shown - v) % 2 ** 40);  // the clock carries the low 40 bits of the ms
      }
    }
    if (performance.now() - start < ms) video.requestVideoFrameCallback(onFrame);
    else {
      lat.sort((a, b) => a - b);
      resolve({ n: lat.length, median: lat[lat.length >> 1] ?? Infinity,
        p95: lat[Math.floor(lat.length * 0.95)] ?? Infinity });
    }
  };
  video.requestVideoFrameCallback(onFrame);
}), [selector, ms]);

async function loginAs(page, name, passphrase, audit = false) {
  await page.goto(url + '/#/login');
  if (audit) {
    await page.getByLabel('Name', { exact: true }).waitFor();
    await accessible(page, '#/login');
  }
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/#\/$/);
}

// On the users page: adds an account (rights: live on every camera; a guest: camera 1 only).
async function addUser(page, name, passphrase, role) {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Their first passphrase').fill(passphrase);
  await page.getByLabel('Role').selectOption(role);
  if (role === 'guest') {
    const form = page.locator('section[aria-labelledby="add-title"]');
    await form.getByLabel('live on All cameras').uncheck();
    await form.getByLabel('live on living-room').check();
  }
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.locator(`li.user[data-user="${name}"]`).waitFor();
}

const profile = mkdtempSync(join(tmpdir(), 'hearth-e2e-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  ignoreHTTPSErrors: true,
  viewport: { width: 1280, height: 800 },
  permissions: ['microphone'],
  args: CHROMIUM_ARGS,
});
// The other household members: their own browser, a cookie jar each.
const others = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS,
});
const otherContext = () => others.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
const problems = [];
let failed = false;
let wrongCameraPassword = false;
let swappedRecoveryWords = false;
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(20_000);
  page.on('console', (m) => {
    // Failed loads are judged by their responses below.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
      problems.push(`console: ${m.text()} (at ${page.url()}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  });
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    const expected = (path === '/api/login' && r.status() === 403) ||  // asks for the TOTP code
      (path === '/api/cameras' && r.status() === 502 && wrongCameraPassword) ||  // tried on purpose
      (path === '/api/recover' && r.status() === 400 && swappedRecoveryWords);  // on purpose too
    if (r.status() >= 400 && !expected) problems.push(`HTTP ${r.status()} ${r.request().method()} ${path}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // ---- setup ----
  await page.goto(url + '/');
  await page.waitForURL(/#\/setup$/);
  await page.waitForFunction(() =>
    (document.querySelector('[data-testid="fingerprint"]')?.textContent ?? '').includes(':'));
  const fingerprint = await page.getByTestId('fingerprint').textContent();
  await accessible(page, '#/setup');
  check(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/.test(fingerprint.trim()), `fingerprint ${fingerprint}`);
  await page.getByLabel('Setup code').fill(setupCode);
  await page.getByLabel('Your name (to log in)').fill(OWNER);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create the owner account' }).click();
  // The household recovery key, once: 24 words and their QR code, to print.
  await page.getByTestId('recovery-words').locator('li').first().waitFor();
  const recoveryWords = (await page.getByTestId('recovery-words').locator('li').allTextContents())
    .map((w) => w.trim());
  check(recoveryWords.length === 24 && recoveryWords.every((w) => /^[a-z]{3,8}$/.test(w)),
    `24 recovery words shown (${recoveryWords.length})`);
  await accessible(page, '#/setup (recovery key)');
  const keptKey = page.getByRole('button', { name: 'Continue' });
  check(await keptKey.isDisabled(), 'Continue waits for "I have printed or written down"');
  await page.getByLabel('I have printed or written down the recovery key').check();
  await keptKey.click();
  const secret = (await page.getByTestId('totp-secret').textContent()).trim();
  check(await page.locator('img.qr').getAttribute('src').then((s) => s.startsWith('data:image/svg+xml,')),
    'QR code shown as a data: image');
  log('owner created');

  // ---- TOTP ----
  const enrolStep = step();
  await page.getByLabel('Code from the app').fill(totp(secret, enrolStep));
  await page.getByRole('button', { name: 'Turn on two-factor login' }).click();
  await page.getByTestId('recovery-codes').locator('li').first().waitFor();
  const codes = await page.getByTestId('recovery-codes').locator('li').count();
  check(codes >= 8, `recovery codes shown (${codes})`);
  const cont = page.getByRole('button', { name: 'Continue' });
  check(await cont.isDisabled(), 'Continue waits for "I have written them down"');
  await page.getByLabel('I have written them down').check();
  await cont.click();
  await page.waitForURL(/#\/$/);
  log('TOTP enrolled');

  // ---- logout, login with TOTP (a code of a later step: codes are single-use) ----
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/#\/login$/);
  await page.getByLabel('Name', { exact: true }).fill(OWNER);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Log in' }).click();
  const codeField = page.getByLabel(/Code from your authenticator app/);
  await codeField.waitFor();
  while (step() <= enrolStep) await page.waitForTimeout(500);
  await codeField.fill(totp(secret));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/#\/$/);
  log('logged in with TOTP');

  // ---- grid: both cameras over WebRTC, frames decoded in the peer connections' stats ----
  await page.locator('.tile').nth(1).waitFor();
  check(await page.locator('.tile').count() === 2, 'two cameras in the grid');
  await page.locator('.tile .live[data-transport="webrtc"]').nth(1).waitFor();
  const decoded0 = await framesDecoded(page);
  await page.waitForTimeout(2000);
  const decoded1 = await framesDecoded(page);
  check(decoded0.length === 2 && decoded1.every((n, i) => n > decoded0[i]),
    `framesDecoded grows on both cameras (${decoded0} -> ${decoded1})`);
  log(`grid over WebRTC: framesDecoded ${decoded0} -> ${decoded1}`);
  await page.screenshot({ path: join(artifacts, 'grid.png') });

  // ---- users: a member who may watch everything, a guest who may watch camera 1 only ----
  await page.goto(`${url}/#/users`);
  await addUser(page, 'mark', 'pebble-harbour-violet-92-sunrise', 'member');
  await addUser(page, 'gus', 'walnut-ember-tundra-38-drizzle', 'guest');
  log('users added');

  // ---- single view: time to first frame, glass-to-glass, talk ----
  await page.goto(`${url}/#/`);
  await page.locator('.tile .live[data-transport="webrtc"]').nth(1).waitFor();
  await page.locator('.tile').first().getByRole('button').first().click();
  await page.waitForURL(/#\/camera\/\d+$/);
  const cameraId = page.url().match(/camera\/(\d+)/)[1];
  await page.locator('.live-big[data-transport="webrtc"]').waitFor();
  check(await page.getByTestId('transport').textContent() === 'WebRTC', 'transport badge');
  await page.waitForFunction((id) => window.__hearth?.firstFrameMs?.has(Number(id)), cameraId);
  const firstFrameMs = await page.evaluate((id) => window.__hearth.firstFrameMs.get(Number(id)), cameraId);
  const g2g = await glassToGlass(page, '.live-big video', 4000);
  const met = (ok) => (ok ? 'met' : 'MISSED');
  log(`first decoded frame ${firstFrameMs.toFixed(0)} ms after opening the view (target <= 500: ` +
    `${met(firstFrameMs <= 500)}); glass-to-glass median ${g2g.median.toFixed(0)} ms, p95 ` +
    `${g2g.p95.toFixed(0)} ms over ${g2g.n} frames (target <= 200: ${met(g2g.median <= 200)})`);
  // The targets are printed, not asserted: test machines are shared and noisy. These bounds
  // catch what would be a real fault (waiting for the next keyframe, a GOP of lag).
  check(firstFrameMs <= 2000, `first frame within 2 s (${firstFrameMs.toFixed(0)})`);
  check(g2g.n >= 20 && g2g.median <= 600, `glass-to-glass under 600 ms (${JSON.stringify(g2g)})`);
  await page.locator('.presence-item', { hasText: OWNER }).first().waitFor();

  const [snapshot] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Snapshot' }).click(),
  ]);
  const snapPath = join(artifacts, 'snapshot.png');
  await snapshot.saveAs(snapPath);
  check(snapshot.suggestedFilename().endsWith('.png') && statSync(snapPath).size > 10_000,
    `snapshot saved as a picture (${snapshot.suggestedFilename()})`);
  const speaker = () => page.evaluate((id) => fetch(`/api/cameras/${id}`).then((r) => r.json())
    .then((c) => c.speaker), cameraId);
  check((await speaker()).above_threshold === false, 'the speaker is quiet before talking');
  const ptt = page.getByRole('button', { name: /Hold to talk/ });
  await ptt.scrollIntoViewIfNeeded();
  const pttBox = await ptt.boundingBox();
  await page.mouse.move(pttBox.x + pttBox.width / 2, pttBox.y + pttBox.height / 2);
  await page.mouse.down();
  let heard = null;
  for (const until = Date.now() + 10_000; Date.now() < until;) {
    heard = await speaker();
    if (heard.above_threshold) break;
    await page.waitForTimeout(250);
  }
  check(heard?.above_threshold && heard.talker === OWNER,
    `the sim camera hears the microphone (${JSON.stringify(heard)})`);
  await page.locator('.presence-item', { hasText: 'talk' }).first().waitFor();
  log(`snapshot ${snapshot.suggestedFilename()}; talk: the camera's speaker level rose to ${heard.level_dbfs.toFixed(1)} dBFS (threshold ${heard.threshold_dbfs})`);
  await page.screenshot({ path: join(artifacts, 'single.png') });
  await page.mouse.up();
  await page.waitForFunction(async (id) => {
    const c = await fetch(`/api/cameras/${id}`).then((r) => r.json());
    return c.speaker.talker === '';
  }, cameraId);
  // The open line, from the keyboard: the speaker is held until the line is closed.
  await page.getByRole('button', { name: 'Open line' }).focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(async ([id, owner]) => {
    const c = await fetch(`/api/cameras/${id}`).then((r) => r.json());
    return c.speaker.talker === owner;
  }, [cameraId, OWNER]);
  await page.getByRole('button', { name: 'Close the line' }).press('Enter');
  await page.waitForFunction(async (id) => {
    const c = await fetch(`/api/cameras/${id}`).then((r) => r.json());
    return c.speaker.talker === '';
  }, cameraId);
  log('open line from the keyboard opens and closes the speaker');

  // ---- PTZ: hold an arrow and the camera pans; presets and home; the position shows ----
  const ptzState = () => page.evaluate((id) => fetch(`/api/cameras/${id}/ptz`).then((r) => r.json()),
    cameraId);
  const settled = async () => {
    for (let i = 0; i < 100; ++i) {
      const s = await ptzState();
      if (!s.status.moving) return s.status.position;
      await page.waitForTimeout(150);
    }
    throw new Error('the camera never stopped moving');
  };
  await page.getByTestId('ptz-position').waitFor();
  const start = await settled();
  const right = page.getByRole('button', { name: 'Pan right' });
  await right.hover();
  await page.mouse.down();
  await page.waitForTimeout(900);
  await page.mouse.up();
  const panned = await settled();
  check(panned.pan > start.pan + 0.2 && panned.tilt === start.tilt,
    `holding "Pan right" pans the camera (${JSON.stringify(start)} -> ${JSON.stringify(panned)})`);
  await page.getByTestId('ptz-position').filter({ hasText: `Pan ${panned.pan.toFixed(2)}` }).waitFor();
  await page.getByLabel('Save this view as').fill('Garden gate');
  await page.getByRole('button', { name: 'Save preset' }).click();
  await page.getByRole('button', { name: 'Garden gate', exact: true }).waitFor();
  // The keyboard steers too: arrow keys while focus is in the PTZ controls.
  await page.getByRole('button', { name: 'Tilt up' }).focus();
  await page.keyboard.down('ArrowUp');
  await page.waitForTimeout(700);
  await page.keyboard.up('ArrowUp');
  const tilted = await settled();
  check(tilted.tilt > panned.tilt + 0.1, `ArrowUp tilts the camera up (${JSON.stringify(tilted)})`);
  await page.getByRole('button', { name: 'Go to the home position' }).click();
  const home = await settled();
  check(home.pan === 0 && home.tilt === 0 && home.zoom === 0, `home is the centre (${JSON.stringify(home)})`);
  await page.getByRole('button', { name: 'Garden gate', exact: true }).click();
  const back = await settled();
  check(back.pan === panned.pan && back.tilt === panned.tilt, `the preset returns (${JSON.stringify(back)})`);
  await accessible(page, 'camera page with PTZ controls');
  await page.getByRole('button', { name: 'Let others steer' }).click();
  log(`PTZ: pan ${start.pan} -> ${panned.pan.toFixed(2)} by holding an arrow, preset and home return exactly`);

  // ---- presence: another member sees a new viewer within 2 s; it clears when the tab closes ----
  const markContext = await otherContext();
  const mark = await markContext.newPage();
  mark.setDefaultTimeout(20_000);
  mark.on('pageerror', (e) => problems.push(`page error (mark): ${e.message}`));
  await loginAs(mark, 'mark', 'pebble-harbour-violet-92-sunrise');
  await mark.goto(`${url}/#/camera/${cameraId}`);
  await mark.locator('.presence-item', { hasText: OWNER }).first().waitFor();
  const ownerViews = () => mark.locator('.presence-item', { hasText: OWNER }).count();
  const before = await ownerViews();
  const watcher = await context.newPage();
  const opened = Date.now();
  await watcher.goto(`${url}/#/camera/${cameraId}`);
  await mark.waitForFunction(([n, name]) =>
    [...document.querySelectorAll('.presence-item')].filter((e) => e.textContent.includes(name)).length > n,
  [before, OWNER], { timeout: 2000 });
  const seenMs = Date.now() - opened;
  log(`another member saw the new viewer in ${seenMs} ms (target <= 2000)`);
  await mark.screenshot({ path: join(artifacts, 'presence.png') });
  const closed = Date.now();
  await watcher.close();
  await mark.waitForFunction(([n, name]) =>
    [...document.querySelectorAll('.presence-item')].filter((e) => e.textContent.includes(name)).length <= n,
  [before, OWNER], { timeout: 10_000 });
  log(`the closed tab left presence after ${Date.now() - closed} ms (target <= 10000)`);
  await markContext.close();

  // ---- a guest without the live right on camera 2 gets no stream (refused by the hub) ----
  const gusContext = await otherContext();
  const gus = await gusContext.newPage();
  await loginAs(gus, 'gus', 'walnut-ember-tundra-38-drizzle', true);
  await gus.locator('.tile').first().waitFor();
  check(await gus.locator('.tile').count() === 1, 'the guest sees only camera 1');
  const refused = await gus.evaluate(() => Promise.all(['webrtc', 'live'].map((kind) =>
    new Promise((resolve) => {
      const ws = new WebSocket(`wss://${location.host}/api/cameras/2/${kind}`);
      ws.onopen = () => { ws.close(); resolve(`${kind}: opened`); };
      ws.onerror = () => resolve(`${kind}: refused`);
    }))));
  check(refused.every((r) => r.endsWith('refused')), `guest refused on camera 2 (${refused})`);
  const direct = await gus.evaluate(() => fetch('/api/cameras/2/webrtc').then((r) => r.status));
  check(direct === 403, `the hub answers 403 to the guest (${direct})`);
  await gusContext.close();
  log('a guest without the right gets no stream of camera 2');

  // ---- MSE fallback: a page without WebRTC still plays ----
  const mseContext = await otherContext();
  await mseContext.addInitScript(() => { delete window.RTCPeerConnection; });
  const msePage = await mseContext.newPage();
  await loginAs(msePage, 'mark', 'pebble-harbour-violet-92-sunrise');
  await msePage.goto(`${url}/#/camera/${cameraId}`);
  await msePage.locator('.live-big[data-transport="mse"]').waitFor();
  await framesGrow(msePage, '.live-big video');
  check(await msePage.getByTestId('transport').textContent() === 'MSE fallback', 'MSE badge');
  await mseContext.close();
  log('MSE fallback plays without WebRTC');

  // ---- timeline ----
  await page.goto(`${url}/#/camera/${cameraId}/timeline`);
  const range = page.locator('.daybar .range').first();
  await range.waitFor();
  const box = await range.boundingBox();
  // Just left of the first range: playback snaps to where the recording starts.
  await page.locator('.daybar').click({ position: {
    x: Math.max(1, box.x - (await page.locator('.daybar').boundingBox()).x - 2), y: 20 } });
  await page.waitForFunction(() => {
    const v = document.querySelector('video.playback');
    return v && v.currentTime > 0.5 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
  });
  await page.getByRole('button', { name: '2×' }).click();
  check(await page.$eval('video.playback', (v) => v.playbackRate) === 2, 'speed 2x');
  await page.locator('.watchers-on', { hasText: OWNER }).waitFor();  // playback in presence
  log('timeline plays the recording, and the playback shows in presence');
  await page.screenshot({ path: join(artifacts, 'timeline.png') });
  // A download is an export: the login a minute ago is proof enough, no passphrase prompt.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download from the cursor' }).click(),
  ]);
  check(download.suggestedFilename().endsWith('.mp4'), `download ${download.suggestedFilename()}`);
  const saved = join(artifacts, 'download.mp4');
  await download.saveAs(saved);
  check(statSync(saved).size > 10_000, 'the download holds video');
  log('download of a range');

  // ---- share links: a clip for Grandma (passcode, 2 views, faces blurred), opened without an
  // account; then the live view for a neighbour, withdrawn while it plays ----
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
  // Makes a link from the dialog that `open` opens; returns the link the dialog shows once.
  const makeLink = async (open, title, fill) => {
    await page.getByRole('button', { name: open }).click();
    const dialog = page.getByRole('dialog', { name: title });
    await dialog.waitFor();
    await fill(dialog);
    await dialog.getByRole('button', { name: 'Make the link' }).click();
    const made = page.getByRole('dialog', { name: 'Link made' });
    const field = made.getByLabel('Link', { exact: true });
    await field.waitFor();
    const link = await field.inputValue();
    check(new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/#/shared/[A-Za-z0-9_-]{40,}$`).test(link),
      `the dialog shows the whole link (${link})`);
    const said = await made.textContent();
    check(/shown only once/.test(said), `the dialog says the link is shown once (${said})`);
    await accessible(page, `the share dialog (${title})`);
    await made.getByRole('button', { name: 'Copy' }).click();
    await made.getByText('Copied.').waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText()).catch(() => null);
    check(copied === null || copied === link, `Copy puts the link on the clipboard (${copied})`);
    await made.getByRole('button', { name: 'Done' }).click();
    await made.waitFor({ state: 'hidden' });
    return { link, said };
  };

  const clip = await makeLink('Share this clip', 'Share this clip', async (d) => {
    await d.getByLabel('Length').selectOption('1');
    await d.getByLabel('Who is it for?').fill('Grandma');
    await d.getByLabel('Passcode (optional)').fill('4711-harbour');
    await d.getByLabel('Number of views (optional)').fill('2');
    await d.getByLabel('Blur faces').check();
  });
  check(/Grandma/.test(clip.said) && /at most 2 times/.test(clip.said) && /faces blurred/.test(clip.said),
    `the dialog says who sees what, and until when (${clip.said})`);
  log('shared a 1-minute clip with Grandma (passcode, 2 views, faces blurred)');

  // Someone without an account: their own browser context, no cookies.
  const viewerContext = await otherContext();
  let wrongPasscode = false, usedUp = false;
  const viewerRequests = [];
  const watchViewer = (v) => {
    v.setDefaultTimeout(20_000);
    v.on('request', (r) => viewerRequests.push({ path: new URL(r.url()).pathname,
      url: r.resourceType() === 'document' ? '' : r.url() }));
    v.on('pageerror', (e) => problems.push(`page error (viewer): ${e.message}`));
    v.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
        problems.push(`console (viewer): ${m.text()} (at ${v.url()})`);
      }
    });
    v.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      const expected = (path === '/api/shared/open' && r.status() === 403 &&  // asks for the passcode
        r.request().postDataJSON()?.passcode === undefined) ||
        (path === '/api/shared/open' && r.status() === 403 && wrongPasscode) ||  // on purpose
        (path === '/api/shared/open' && r.status() === 410 && usedUp);  // the third opening
      if (r.status() >= 400 && !expected) problems.push(`HTTP ${r.status()} ${r.request().method()} ${path} (viewer)`);
    });
    return v;
  };
  let viewer = watchViewer(await viewerContext.newPage());
  const clipPlays = () => viewer.waitForFunction(() => {
    const v = document.querySelector('main video');
    if (v && v.paused && v.readyState >= 1) { v.muted = true; void v.play().catch(() => {}); }
    return v && v.currentTime > 1 && v.readyState >= 2 && v.getVideoPlaybackQuality().totalVideoFrames > 5;
  }, null, { timeout: 45_000, polling: 250 });
  const enterPasscode = async (code) => {
    await viewer.getByLabel('Passcode').fill(code);
    await viewer.getByRole('button', { name: 'Open' }).click();
  };
  await viewer.goto(clip.link);
  await viewer.getByRole('heading', { name: 'This link needs a passcode' }).waitFor();
  check(await viewer.locator('header.top, nav').count() === 0, 'the shared page shows no navigation');
  await accessible(viewer, 'the shared link\'s passcode prompt');
  wrongPasscode = true;
  await enterPasscode('4711-harbor');
  await viewer.getByText('That passcode is not right.').waitFor();
  wrongPasscode = false;
  await enterPasscode('4711-harbour');
  await viewer.getByRole('heading', { name: `Shared by ${OWNER} with Grandma` }).waitFor();
  check(await viewer.getByTestId('shared-camera').textContent() !== '', 'the camera is named');
  await clipPlays();
  await accessible(viewer, 'the shared clip');
  await viewer.screenshot({ path: join(artifacts, 'shared-clip.png') });
  log('the clip link opens with its passcode (a wrong one is refused) and plays without an account');
  // The second opening works; the third is refused: the link allows two.
  await viewer.reload();
  await enterPasscode('4711-harbour');
  await viewer.getByRole('heading', { name: `Shared by ${OWNER} with Grandma` }).waitFor();
  await clipPlays();
  usedUp = true;
  await viewer.reload();
  await viewer.getByText('This link has been used as many times as it allows.').waitFor();
  check(await viewer.locator('video').count() === 0 && await viewer.getByLabel('Passcode').count() === 0,
    'a used-up link shows its sentence and nothing else');
  usedUp = false;
  const asked = [...new Set(viewerRequests.map((r) => r.path))];
  check(!asked.some((p) => p === '/api/session' || p === '/api/setup' || p.startsWith('/api/cameras')),
    `the shared page asks nothing of sessions or cameras (${asked})`);
  const token = clip.link.split('/shared/')[1];
  check(!viewerRequests.some((r) => r.url.includes(token)), 'the token goes only in the body of the POST');
  log('the second opening plays, the third says the link is used up');
  await viewer.close();

  // The live view, for a neighbour: it plays with the label over it, and stops when withdrawn.
  await page.goto(`${url}/#/camera/${cameraId}`);
  const liveLink = await makeLink('Share live view', 'Share the live view', async (d) => {
    await d.getByLabel('Who is it for?').fill('Neighbour');
    await d.getByLabel('Link lasts').selectOption({ label: '1 hour' });
  });
  viewer = watchViewer(await viewerContext.newPage());
  await viewer.goto(liveLink.link);
  await viewer.getByRole('heading', { name: `Shared by ${OWNER} with Neighbour` }).waitFor();
  await framesGrow(viewer, '.live video');
  const t0 = await viewer.$eval('.live video', (v) => v.currentTime);
  await viewer.waitForTimeout(1500);
  const t1 = await viewer.$eval('.live video', (v) => v.currentTime);
  check(t1 > t0 + 0.5, `the shared live view plays (currentTime ${t0} -> ${t1})`);
  check(await viewer.locator('.live .watermark', { hasText: 'Neighbour' }).isVisible(), 'the label is over the picture');
  await accessible(viewer, 'the shared live view');
  await viewer.screenshot({ path: join(artifacts, 'shared-live.png') });
  const presence = await page.evaluate(() => fetch('/api/presence').then((r) => r.json()));
  check(presence.presence.some((p) => p.user.includes('Neighbour')),
    `the household sees the link's viewer in presence (${JSON.stringify(presence.presence.map((p) => p.user))})`);
  log(`the live link plays without an account (currentTime ${t0.toFixed(1)} -> ${t1.toFixed(1)})`);

  await page.goto(`${url}/#/shares`);
  const row = (label) => page.locator(`table.shares tr[data-label="${label}"]`);
  await row('Neighbour').waitFor();
  check(await row('Grandma').getAttribute('data-state') === 'used up' &&
    (await row('Grandma').textContent()).includes('2 of 2'), `Grandma's clip is used up: ${await row('Grandma').textContent()}`);
  check(await row('Neighbour').getAttribute('data-state') === 'open', 'the live link is open');
  check(await row('Grandma').getByRole('button', { name: /Withdraw/ }).count() === 0, 'no Withdraw on a closed link');
  await accessible(page, '#/shares');
  await row('Neighbour').getByRole('button', { name: /Withdraw/ }).click();
  await page.getByText(/Withdrew the link for Neighbour/).waitFor();
  const withdrawn = Date.now();
  await viewer.getByText('This link is no longer open.').waitFor({ timeout: 15_000 });
  log(`withdrawn: the viewer's live view ended ${Date.now() - withdrawn} ms later (at most 15 s)`);
  await page.locator('table.shares tr[data-label="Neighbour"][data-state="revoked"]').waitFor();
  check(await row('Neighbour').getByRole('button', { name: /Withdraw/ }).count() === 0, 'the withdrawn link has no button');
  await page.screenshot({ path: join(artifacts, 'shares.png') });
  await viewerContext.close();

  // ---- audit ----
  await page.goto(`${url}/#/audit`);
  await page.locator('table.audit td', { hasText: 'login.success' }).first().waitFor();
  const audit = await page.evaluate(() => fetch('/api/audit?limit=500').then((r) => r.json()));
  const did = (actor, action) => audit.entries.some((e) => e.actor === actor && e.action === action);
  for (const [actor, action] of [[OWNER, 'live.start'], [OWNER, 'live.stop'], [OWNER, 'talk.start'],
    [OWNER, 'talk.stop'], [OWNER, 'playback.start'], ['mark', 'live.start'], ['mark', 'live.stop'], ['mark', 'login.success']]) {
    check(did(actor, action), `audit log has ${actor} ${action}`);
  }
  log('audit log lists both members\' viewing sessions and the talk');

  // ---- a lost phone: the owner logs a member out everywhere and their live view closes ----
  const lostContext = await otherContext();
  const lost = await lostContext.newPage();
  await loginAs(lost, 'mark', 'pebble-harbour-violet-92-sunrise');
  await lost.goto(`${url}/#/camera/${cameraId}`);
  await lost.locator('.live-big[data-transport="webrtc"]').waitFor();
  const markWatching = () => page.evaluate(() => fetch('/api/presence').then((r) => r.json())
    .then((p) => p.presence.some((e) => e.user === 'mark')));
  await page.waitForFunction(() => fetch('/api/presence').then((r) => r.json())
    .then((p) => p.presence.some((e) => e.user === 'mark')));
  await page.goto(`${url}/#/users`);
  await page.locator('li.user[data-user="mark"]').getByRole('button', { name: 'Log out everywhere' }).click();
  await page.getByText(/mark is logged out everywhere/).waitFor();
  const loggedOut = Date.now();
  while (await markWatching()) {
    check(Date.now() - loggedOut < 12_000, 'the logged-out member\'s live view closes');
    await page.waitForTimeout(250);
  }
  log(`logged out everywhere: the member's live view closed ${Date.now() - loggedOut} ms later`);
  await lostContext.close();

  // ---- camera settings: the owner renames a camera and the grid shows the new name ----
  await page.goto(`${url}/#/camera/2/settings`);
  await page.getByLabel('Name').fill('garden');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  await page.goto(`${url}/#/`);
  await page.locator('.tile', { hasText: 'garden' }).waitFor();
  log('camera settings: renamed a camera');

  // ---- adding a real camera: found by WS-Discovery, checked, saved, and it can be turned ----
  const [camUser, camPassword] = (process.env.HEARTH_E2E_CAMERA ?? '').split(':');
  if (camUser) {
    await page.goto(`${url}/#/`);
    await page.getByRole('link', { name: 'Add a camera' }).click();
    await page.getByRole('button', { name: 'Find cameras' }).click();
    await page.getByRole('button', { name: 'Use this one' }).first().click();
    await page.getByLabel('Name', { exact: true }).fill('front door');
    await page.getByLabel('User name on the camera').fill(camUser);
    await page.getByLabel('Password on the camera').fill('not-the-password');
    wrongCameraPassword = true;
    await page.getByRole('button', { name: 'Add camera' }).click();
    const confirm = async () => {
      // The login may be older than the re-authentication window by now.
      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
      if (await dialog.isVisible()) {
        await dialog.getByLabel('Passphrase or code').fill(PASSPHRASE);
        await dialog.getByRole('button', { name: 'Confirm' }).click();
      }
    };
    await page.waitForTimeout(300);
    await confirm();
    await page.getByText('refused the user name or password').waitFor();
    wrongCameraPassword = false;
    await page.getByLabel('Password on the camera').fill(camPassword);
    await page.getByRole('button', { name: 'Add camera' }).click();
    await page.waitForTimeout(300);
    await confirm();
    const added = page.getByTestId('added');
    await added.waitFor({ timeout: 20_000 });
    const text = await added.textContent();
    check(/h264 \d+x\d+/.test(text) && text.includes('can be turned'), `added camera: ${text}`);
    await accessible(page, 'add a camera');
    const addedHref = await added.getByRole('link').getAttribute('href');
    await added.getByRole('link').click();
    await page.getByRole('button', { name: 'Pan right' }).waitFor();
    // Talk through the IP camera's ONVIF audio backchannel: test_app.py then finds the voice
    // in the camera's WAV file.
    const ipTalk = page.getByRole('button', { name: /Hold to talk/ });
    await ipTalk.waitFor();
    await ipTalk.scrollIntoViewIfNeeded();
    const ipBox = await ipTalk.boundingBox();
    await page.mouse.move(ipBox.x + ipBox.width / 2, ipBox.y + ipBox.height / 2);
    await page.mouse.down();
    await page.waitForTimeout(2000);
    await page.mouse.up();
    // Its settings say what it can do: talk through the ONVIF backchannel, and turn.
    await page.goto(`${url}/${addedHref}/settings`);
    const abilities = page.getByTestId('abilities');
    await abilities.filter({ hasText: 'audio backchannel (PCMU)' }).waitFor();
    await abilities.filter({ hasText: 'Yes: move, zoom, home, up to 32 presets' }).waitFor();
    log(`added an ONVIF camera found on the network: ${text.trim()}`);
  }

  // ---- PWA: the service worker is active and caches the shell, never the API ----
  const cached = await page.evaluate(async () => {
    const ready = await Promise.race([navigator.serviceWorker.ready,
      new Promise((r) => setTimeout(() => r(null), 8000))]);
    if (!ready) return null;
    const urls = [];
    for (const key of await caches.keys()) {
      for (const req of await (await caches.open(key)).keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  check(cached !== null, 'service worker active');
  check(cached.includes('/') && cached.includes('/manifest.webmanifest') &&
    cached.some((u) => u.startsWith('/assets/')), `shell cached (${cached})`);
  check(!cached.some((u) => u.startsWith('/api/')), `nothing from /api/ cached (${cached})`);
  const manifest = await page.evaluate(() => fetch('/manifest.webmanifest').then((r) => r.json()));
  check(manifest.display === 'standalone' && manifest.icons.some((i) => i.purpose === 'maskable'),
    'manifest: standalone with a maskable icon');
  log(`service worker caches the shell (${cached.length} files)`);

  // ---- a forgotten passphrase: the recovery key from setup sets a new one ----
  const NEW_PASSPHRASE = 'lantern-quarry-meadow-61-thistle';
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/#\/login$/);
  await page.getByRole('link', { name: 'Forgot your passphrase?' }).click();
  await page.waitForURL(/#\/recover$/);
  await accessible(page, '#/recover');
  await page.getByLabel('Owner name').fill(OWNER);
  const mistyped = [...recoveryWords];
  mistyped[4] = 'qqqq';
  await page.getByLabel('Recovery key (24 words)').fill(mistyped.join(' '));
  await page.getByLabel('New passphrase', { exact: true }).fill(NEW_PASSPHRASE);
  await page.getByLabel('New passphrase again').fill(NEW_PASSPHRASE);
  swappedRecoveryWords = true;
  await page.getByRole('button', { name: 'Set the new passphrase' }).click();
  await page.getByText(/word 5 .* is not in the recovery word list/).waitFor();  // nothing changed
  swappedRecoveryWords = false;
  await page.getByLabel('Recovery key (24 words)').fill(recoveryWords.join('\n').toUpperCase());
  await page.getByRole('button', { name: 'Set the new passphrase' }).click();
  await page.getByText(/Your new passphrase is set/).waitFor();
  await page.getByRole('link', { name: 'Log in' }).click();
  await page.getByLabel('Name', { exact: true }).fill(OWNER);
  await page.getByLabel('Passphrase', { exact: true }).fill(NEW_PASSPHRASE);
  await page.getByRole('button', { name: 'Log in' }).click();
  const recoveredCode = page.getByLabel(/Code from your authenticator app/);
  await recoveredCode.waitFor();
  const lastStep = step();
  while (step() <= lastStep) await page.waitForTimeout(500);
  await recoveredCode.fill(totp(secret));
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/#\/$/);
  log('recovery key: a mistyped word is named, the right words set a new passphrase');

  // ---- every page: WCAG 2 A/AA (labels, names, contrast) by axe-core ----
  for (const hash of ['#/', `#/camera/${cameraId}`, `#/camera/${cameraId}/timeline`, '#/users',
    '#/audit', '#/account', `#/camera/${cameraId}/settings`, '#/cameras/add', '#/shares']) {
    await page.goto(`${url}/${hash}`);
    await page.locator('main h1').waitFor();
    await page.waitForTimeout(500);
    await accessible(page, hash);
  }
  log('every page passes axe-core WCAG 2 A/AA checks (labels, names, contrast)');

  // ---- 360 px wide: no page scrolls sideways ----
  await page.setViewportSize({ width: 360, height: 740 });
  for (const hash of ['#/', `#/camera/${cameraId}`, `#/camera/${cameraId}/timeline`, '#/users',
    '#/audit', '#/account', `#/camera/${cameraId}/settings`, '#/cameras/add', '#/shares']) {
    await page.goto(`${url}/${hash}`);
    await page.locator('main h1').waitFor();
    await page.waitForTimeout(300);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (hash === '#/') await page.screenshot({ path: join(artifacts, 'grid-360.png') });
    if (hash === `#/camera/${cameraId}`) await page.screenshot({ path: join(artifacts, 'single-360.png') });
    check(width <= 360, `${hash} fits 360 px (scrollWidth ${width})`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  log('every page fits 360 px');

  const errors = problems.filter((p) => !p.startsWith('note:'));
  for (const p of problems) console.log(p);
  check(errors.length === 0, `no page errors (${errors.join('; ')})`);
  console.log(`PASS app flow (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} catch (e) {
  failed = true;
  console.error(`FAIL ${e.stack ?? e}`);
  for (const p of problems) console.error(p);
  try {
    const page = context.pages()[0];
    await page.screenshot({ path: join(artifacts, 'failure.png') });
    console.error(`at ${page.url()}; screenshot in ${artifacts}/failure.png`);
  } catch {}
} finally {
  await others.close();
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
