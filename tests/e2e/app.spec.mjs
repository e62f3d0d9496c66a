// Drives the household app in Debian's Chromium (playwright-core, no test runner):
// setup -> TOTP -> logout -> login with TOTP -> live grid (MSE) -> single view -> timeline
// playback -> add a user -> audit log. Usage: node app.spec.mjs URL SETUP_CODE ARTIFACTS_DIR
// (tests/e2e/test_app.py starts the hub and runs it).
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { mkdtempSync, mkdirSync, rmSync, statSync } from 'node:fs';
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

const profile = mkdtempSync(join(tmpdir(), 'hearth-e2e-profile-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  ignoreHTTPSErrors: true,
  viewport: { width: 1280, height: 800 },
  args: [
    '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--ignore-certificate-errors', '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
  ],
});
const problems = [];
let failed = false;
try {
  // The WebRTC side of the hub is not merged yet: force the MSE path (the WebRTC client is
  // tested at the end against a mock hub, which takes the stashed constructor back).
  await context.addInitScript(() => {
    window.__hearthRealPeerConnection = window.RTCPeerConnection;
    delete window.RTCPeerConnection;
  });
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
      (path === '/api/updates' && r.status() === 404);  // push updates not merged yet: polling
    if (r.status() >= 400 && !expected) problems.push(`HTTP ${r.status()} ${r.request().method()} ${path}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // ---- setup ----
  await page.goto(url + '/');
  await page.waitForURL(/#\/setup$/);
  await page.waitForFunction(() =>
    (document.querySelector('[data-testid="fingerprint"]')?.textContent ?? '').includes(':'));
  const fingerprint = await page.getByTestId('fingerprint').textContent();
  check(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/.test(fingerprint.trim()), `fingerprint ${fingerprint}`);
  await page.getByLabel('Setup code').fill(setupCode);
  await page.getByLabel('Your name (to log in)').fill(OWNER);
  await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Passphrase again').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Create the owner account' }).click();
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

  // ---- grid ----
  await page.locator('.tile').nth(1).waitFor();
  check(await page.locator('.tile').count() === 2, 'two cameras in the grid');
  await page.locator('.tile .live[data-transport="mse"]').nth(1).waitFor();
  const gridFrames = await framesGrow(page, '.tile video');
  log(`grid decodes: frames ${gridFrames}`);
  await page.screenshot({ path: join(artifacts, 'grid.png') });

  // ---- single view ----
  await page.locator('.tile').first().getByRole('button').first().click();
  await page.waitForURL(/#\/camera\/\d+$/);
  await page.locator('.live-big[data-transport="mse"]').waitFor();
  await framesGrow(page, '.live-big video');
  check(await page.getByTestId('transport').textContent() === 'MSE fallback', 'transport badge');
  await page.locator('.presence-item', { hasText: OWNER }).first().waitFor();
  check(await page.getByRole('button', { name: 'End' }).count() >= 1, 'owner may end viewings');
  log('single view plays, presence shows the viewer');
  await page.screenshot({ path: join(artifacts, 'single.png') });
  const cameraId = page.url().match(/camera\/(\d+)/)[1];

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
  log('timeline plays the recording');
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

  // ---- users ----
  await page.goto(`${url}/#/users`);
  await page.getByLabel('Name', { exact: true }).fill('mark');
  await page.getByLabel('Their first passphrase').fill('pebble-harbour-violet-92-sunrise');
  await page.getByLabel('Role').selectOption('member');
  await page.getByRole('button', { name: 'Add user' }).click();
  await page.locator('li.user[data-user="mark"]').waitFor();
  log('user added');

  // ---- audit ----
  await page.goto(`${url}/#/audit`);
  await page.locator('table.audit td', { hasText: 'login.success' }).first().waitFor();
  await page.locator('table.audit td', { hasText: 'user.add' }).first().waitFor()
    .catch(() => problems.push('note: no user.add entry seen in the audit table'));
  log('audit log lists the logins');

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

  // ---- 360 px wide: no page scrolls sideways ----
  await page.setViewportSize({ width: 360, height: 740 });
  for (const hash of ['#/', `#/camera/${cameraId}`, `#/camera/${cameraId}/timeline`, '#/users',
    '#/audit', '#/account', `#/camera/${cameraId}/settings`]) {
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

  // ---- the WebRTC client against a mock hub (in-page signalling, a second peer) ----
  const rtcPage = await context.newPage();
  rtcPage.setDefaultTimeout(20_000);
  rtcPage.on('pageerror', (e) => problems.push(`page error (webrtc): ${e.message}`));
  rtcPage.on('console', (m) => { if (m.type() === 'error') problems.push(`console (webrtc): ${m.text()}`); });
  await rtcPage.addInitScript({ path: new URL('./mock-webrtc-hub.js', import.meta.url).pathname });
  await rtcPage.goto(`${url}/#/camera/${cameraId}`);
  await rtcPage.locator('.live-big[data-transport="webrtc"]').waitFor();
  await framesGrow(rtcPage, '.live-big video');
  check(await rtcPage.getByTestId('transport').textContent() === 'WebRTC', 'WebRTC badge');
  check((await rtcPage.getByTestId('codec').textContent()).includes('mock hub'), 'codec note');
  const decoded = await rtcPage.evaluate(async (id) => {
    const pc = window.__hearth.peers.get(Number(id));
    let frames = 0;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') frames = r.framesDecoded;
    });
    return frames;
  }, cameraId);
  check(decoded > 0, `WebRTC stats show decoded frames (${decoded})`);
  const micTrack = () => rtcPage.evaluate((id) => {
    const pc = window.__hearth.peers.get(Number(id));
    const sender = pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio').sender;
    return sender.track ? sender.track.readyState : null;
  }, cameraId);
  const ptt = rtcPage.getByRole('button', { name: /Hold to talk/ });
  await ptt.scrollIntoViewIfNeeded();
  const pttBox = await ptt.boundingBox();
  await rtcPage.mouse.move(pttBox.x + pttBox.width / 2, pttBox.y + pttBox.height / 2);
  await rtcPage.mouse.down();
  await rtcPage.waitForFunction(() => window.__mockHub.received.some((m) => m.type === 'talk' && m.on))
    .catch(async (e) => {
      await rtcPage.screenshot({ path: join(artifacts, 'webrtc-failure.png') });
      throw new Error(`no talk message; buttons ${await rtcPage.locator('.talk button').allTextContents()}; page says: ${await rtcPage.locator('.status').allTextContents()}; sent ${await rtcPage.evaluate(() => JSON.stringify(window.__mockHub.received.map((m) => m.type)))}`);
    });
  check(await micTrack() === 'live', 'push-to-talk attaches the microphone');
  await rtcPage.mouse.up();
  await rtcPage.waitForFunction(() => window.__mockHub.received.some((m) => m.type === 'talk' && !m.on));
  check(await micTrack() === null, 'releasing push-to-talk detaches the microphone');
  const sent = await rtcPage.evaluate(() => window.__mockHub.received.map((m) => m.type));
  check(sent[0] === 'start' && sent.includes('answer') && sent.includes('ice'),
    `client signalling: ${sent.join(',')}`);
  await rtcPage.close();
  log('WebRTC client: connects, decodes, push-to-talk (mock hub)');

  const errors = problems.filter((p) => !p.startsWith('note:') &&
    !/WebSocket connection to '\S+\/api\/updates' failed/.test(p));
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
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
