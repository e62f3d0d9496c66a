// Small display helpers.

export function clock(iso: string | number | Date): string {
  const d = new Date(iso);
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function dateTime(iso: string): string {
  const d = new Date(iso);
  return isNaN(d.getTime()) ? iso : d.toLocaleString();
}

// "Chrome on Linux" from a User-Agent string; the raw string when nothing is recognised.
export function device(ua: string): string {
  if (!ua) return 'unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge'
    : /OPR\//.test(ua) ? 'Opera'
    : /Firefox\//.test(ua) ? 'Firefox'
    : /Chrom(e|ium)\//.test(ua) ? 'Chrome'
    : /Safari\//.test(ua) ? 'Safari'
    : /curl\//.test(ua) ? 'curl'
    : null;
  const os = /Android/.test(ua) ? 'Android'
    : /iPhone|iPad/.test(ua) ? 'iOS'
    : /Windows/.test(ua) ? 'Windows'
    : /Mac OS X|Macintosh/.test(ua) ? 'macOS'
    : /CrOS/.test(ua) ? 'ChromeOS'
    : /Linux/.test(ua) ? 'Linux'
    : null;
  if (browser && os) return `${browser} on ${os}`;
  return browser ?? os ?? ua.slice(0, 40);
}

// 'video/mp4; codecs="avc1.64001f,mp4a.40.2"' -> "H.264 (avc1.64001f) + AAC (mp4a.40.2)".
export function codecs(mime: string): string {
  const list = /codecs="?([^"]+)"?/.exec(mime)?.[1].split(',').map((c) => c.trim()) ?? [];
  const names: Record<string, string> = {
    avc1: 'H.264', avc3: 'H.264', hvc1: 'H.265', hev1: 'H.265', mp4a: 'AAC', opus: 'Opus',
    alaw: 'G.711 A-law', ulaw: 'G.711 µ-law',
  };
  return list.map((c) => `${names[c.split('.')[0]] ?? c} (${c})`).join(' + ') || mime;
}
