// Build-time PWA pieces, so nothing is downloaded and no binary is committed:
// - the app icons (192, 512 and a maskable 512), drawn here and written as PNG;
// - sw.js, the service worker, with the exact list of app-shell files of this build.
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { createHash } from 'node:crypto';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

// RGBA pixels -> PNG (8-bit RGBA, no interlace, filter 0 on every row).
export function encodePng(size, rgba) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const BG = [0x1f, 0x3a, 0x5f];
const HOUSE = [0xf4, 0xb8, 0x60];
const FLAME = [0xd9, 0x4f, 0x2b];

// The colour at (x, y) in unit coordinates: a house with a flame in its door.
function shade(x, y, maskable) {
  // Maskable icons keep the drawing inside the central 80 % safe zone and fill the rest.
  const s = maskable ? 0.62 : 0.8;
  const u = (x - 0.5) / s + 0.5;
  const v = (y - 0.5) / s + 0.5;
  if (!maskable) {
    const r = 0.18;  // rounded square background
    const dx = Math.max(r - x, 0, x - (1 - r));
    const dy = Math.max(r - y, 0, y - (1 - r));
    if (dx * dx + dy * dy > r * r) return null;
  }
  const roof = v >= 0.12 && v <= 0.48 && Math.abs(u - 0.5) <= (v - 0.12) * 1.15;
  const body = u >= 0.22 && u <= 0.78 && v >= 0.46 && v <= 0.88;
  const door = u >= 0.41 && u <= 0.59 && v >= 0.62 && v <= 0.88;
  const flame = door && (u - 0.5) ** 2 * 14 + (v - 0.8) ** 2 * 6 < 0.02;
  if (flame) return FLAME;
  if (door) return BG;
  if (roof || body) return HOUSE;
  return BG;
}

export function drawIcon(size, maskable) {
  const px = Buffer.alloc(size * size * 4);
  const n = 2;  // 2x2 supersampling for smooth edges
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const c = shade((x + (sx + 0.5) / n) / size, (y + (sy + 0.5) / n) / size, maskable);
          if (c) { r += c[0]; g += c[1]; b += c[2]; a += 255; }
        }
      }
      const k = n * n;
      const i = (y * size + x) * 4;
      const hits = a / 255 || 1;
      px[i] = r / hits; px[i + 1] = g / hits; px[i + 2] = b / hits; px[i + 3] = a / k;
    }
  }
  return encodePng(size, px);
}

const ICONS = [
  ['icons/icon-192.png', 192, false],
  ['icons/icon-512.png', 512, false],
  ['icons/maskable-512.png', 512, true],
];

// Files Vite copies from public/ that belong to the shell.
const PUBLIC_SHELL = ['manifest.webmanifest'];

export function pwa() {
  return {
    name: 'hearth-pwa',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      for (const [fileName, size, maskable] of ICONS) {
        this.emitFile({ type: 'asset', fileName, source: drawIcon(size, maskable) });
      }
      const shell = ['/', ...Object.keys(bundle).map((f) => '/' + f), ...PUBLIC_SHELL.map((f) => '/' + f)]
        .filter((f) => f !== '/index.html' && f !== '/sw.js')
        .sort();
      const version = createHash('sha256').update(shell.join('\n')).digest('hex').slice(0, 12);
      const template = readFileSync(new URL('../src/sw-template.js', import.meta.url), 'utf8');
      const code = template
        .replace('__HEARTH_SHELL__', JSON.stringify(shell))
        .replace('__HEARTH_VERSION__', JSON.stringify(version));
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: code });
    },
  };
}
