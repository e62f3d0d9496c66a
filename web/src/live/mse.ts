// Live view over the MSE path: wss://host/api/cameras/{id}/live (or a share link's
// /api/shared/live?ticket=..., the same protocol) sends a JSON
// {"type":"init","mime":...} text message, then binary fMP4: the init segment and fragments.
// Appends in order through a queue, trims what is behind the playhead and stays near the
// live edge.
import { wsUrl } from '../api';

const KEEP_BEHIND_S = 10;
const MAX_LAG_S = 1.0;
const MAX_QUEUE = 600;  // fragments waiting to be appended; past this, start again

export class MseLive {
  private ws: WebSocket | null = null;
  private mediaSource: MediaSource | null = null;
  private buffer: SourceBuffer | null = null;
  private queue: ArrayBuffer[] = [];
  private objectUrl = '';
  private closed = false;

  constructor(
    private readonly video: HTMLVideoElement,
    // The WebSocket's path, e.g. /api/cameras/3/live.
    private readonly path: string,
    private readonly onError: (message: string) => void,
    // The MIME type of the stream, and what the hub says about the picture (may be empty).
    private readonly onInit: (mime: string, note: string) => void = () => {},
    // When given: called once the hub ends the stream (any close code) instead of onError.
    private readonly onEnd?: (code: number) => void,
  ) {}

  start(): void {
    if (typeof MediaSource === 'undefined') {
      this.onError('this browser cannot play live video (no Media Source Extensions)');
      return;
    }
    const ws = new WebSocket(wsUrl(this.path));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        this.onText(ev.data);
      } else {
        this.queue.push(ev.data as ArrayBuffer);
        if (this.queue.length > MAX_QUEUE) {
          this.onError('the live stream fell too far behind');
          this.close();
          return;
        }
        this.pump();
      }
    };
    ws.onclose = (ev) => {
      if (this.closed) return;
      if (this.onEnd) this.onEnd(ev.code);
      else if (ev.code !== 1000) this.onError('the live stream ended');
    };
  }

  close(): void {
    this.closed = true;
    if (this.ws) {
      this.ws.onmessage = null;
      this.ws.onclose = null;
      this.ws.close();
      this.ws = null;
    }
    this.teardownMedia();
  }

  private onText(text: string): void {
    let msg: { type?: string; mime?: string; video?: string; error?: string };
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === 'error') {
      this.onError(msg.error ?? 'live view refused');
    } else if (msg.type === 'init' && msg.mime) {
      this.setupMedia(msg.mime, typeof msg.video === 'string' ? msg.video : '');
    }
  }

  private setupMedia(mime: string, note: string): void {
    // A second init means the camera changed codec or size: start a fresh MediaSource.
    this.teardownMedia();
    if (!MediaSource.isTypeSupported(mime)) {
      this.onError(`this browser cannot play ${mime}`);
      return;
    }
    this.onInit(mime, note);
    const ms = new MediaSource();
    this.mediaSource = ms;
    this.objectUrl = URL.createObjectURL(ms);
    this.video.srcObject = null;
    this.video.src = this.objectUrl;
    ms.addEventListener('sourceopen', () => {
      if (this.mediaSource !== ms) return;
      const sb = ms.addSourceBuffer(mime);
      sb.mode = 'segments';
      sb.addEventListener('updateend', () => this.afterAppend());
      this.buffer = sb;
      this.pump();
    }, { once: true });
  }

  private teardownMedia(): void {
    this.buffer = null;
    this.mediaSource = null;
    if (this.objectUrl) {
      this.video.removeAttribute('src');
      this.video.load();
      URL.revokeObjectURL(this.objectUrl);
      this.objectUrl = '';
    }
  }

  private pump(): void {
    const sb = this.buffer;
    if (!sb || sb.updating || this.queue.length === 0) return;
    const next = this.queue.shift()!;
    try {
      sb.appendBuffer(next);
    } catch (e) {
      // QuotaExceeded: drop what is behind and try this piece again later.
      this.queue.unshift(next);
      this.trim(true);
    }
  }

  private afterAppend(): void {
    const sb = this.buffer;
    const v = this.video;
    if (!sb) return;
    if (sb.buffered.length > 0) {
      const end = sb.buffered.end(sb.buffered.length - 1);
      if (end - v.currentTime > MAX_LAG_S) {
        v.currentTime = Math.max(sb.buffered.start(sb.buffered.length - 1), end - 0.2);
      }
      if (v.paused) void v.play().catch(() => {});
    }
    if (!this.trim(false)) this.pump();
  }

  // Removes what is more than KEEP_BEHIND_S behind the playhead; true when a removal started.
  private trim(force: boolean): boolean {
    const sb = this.buffer;
    if (!sb || sb.updating || sb.buffered.length === 0) return false;
    const start = sb.buffered.start(0);
    const cut = this.video.currentTime - (force ? 1 : KEEP_BEHIND_S);
    if (cut - start > (force ? 0 : 2)) {
      sb.remove(start, cut);
      return true;
    }
    return false;
  }
}
