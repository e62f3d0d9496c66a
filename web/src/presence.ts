// Who is watching what, pushed by the hub over wss://host/api/updates. Until that route
// exists (or while it is down) the list is polled from GET /api/presence every 2 s, and
// the socket is retried with backoff.
import { useEffect, useState } from 'preact/hooks';
import { get, wsUrl, type PresenceEntry } from './api';

type Listener = (list: PresenceEntry[]) => void;

const POLL_MS = 2000;
const MAX_BACKOFF_MS = 60_000;

class PresenceFeed {
  private list: PresenceEntry[] = [];
  private listeners = new Set<Listener>();
  private socket: WebSocket | null = null;
  private pollTimer: number | undefined;
  private retryTimer: number | undefined;
  private backoffMs = 2000;
  private running = false;
  private playback: number | null = null;  // the camera whose recording this page plays

  subscribe(f: Listener): () => void {
    this.listeners.add(f);
    f(this.list);
    if (!this.running) this.start();
    return () => {
      this.listeners.delete(f);
      if (this.listeners.size === 0) this.stop();
    };
  }

  // Tells the household that this page plays `camera`'s recordings (null: it stopped). The
  // hub shows it in presence for as long as the socket lives; needs a subscriber.
  watching(camera: number | null): void {
    if (camera === this.playback) return;
    this.playback = camera;
    this.sendWatching();
  }

  private sendWatching(): void {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(this.playback === null
        ? { type: 'watching', camera: null }
        : { type: 'watching', camera: this.playback, kind: 'playback' }));
    }
  }

  // Asks again now (after ending someone's viewing, say).
  refresh(): void {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) void this.pollOnce();
  }

  private set(list: PresenceEntry[]): void {
    this.list = list;
    for (const f of this.listeners) f(list);
  }

  private start(): void {
    this.running = true;
    this.startPolling();
    this.connect();
  }

  private stop(): void {
    this.running = false;
    this.stopPolling();
    clearTimeout(this.retryTimer);
    if (this.socket) {
      this.socket.onclose = null;
      this.socket.close();
      this.socket = null;
    }
  }

  private connect(): void {
    let ws: WebSocket;
    try {
      ws = new WebSocket(wsUrl('/api/updates'));
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = ws;
    ws.onopen = () => {
      this.backoffMs = 2000;
      this.stopPolling();
      if (this.playback !== null) this.sendWatching();  // again after a reconnect
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      try {
        const msg = JSON.parse(ev.data);
        if (msg.type === 'presence' && Array.isArray(msg.presence)) this.set(msg.presence);
      } catch {
        // ignore a malformed message
      }
    };
    ws.onclose = () => {
      this.socket = null;
      if (!this.running) return;
      this.startPolling();
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = window.setTimeout(() => this.running && this.connect(), this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
  }

  private startPolling(): void {
    if (this.pollTimer !== undefined) return;
    void this.pollOnce();
    this.pollTimer = window.setInterval(() => void this.pollOnce(), POLL_MS);
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async pollOnce(): Promise<void> {
    try {
      const r = await get<{ presence: PresenceEntry[] }>('/api/presence');
      this.set(r.presence);
    } catch {
      // keep the last list; the next poll tries again
    }
  }
}

export const presenceFeed = new PresenceFeed();

export function usePresence(): PresenceEntry[] {
  const [list, setList] = useState<PresenceEntry[]>([]);
  useEffect(() => presenceFeed.subscribe(setList), []);
  return list;
}

// Everyone watching `camera` except one viewing of mine per view of it that I have open.
export function othersWatching(list: PresenceEntry[], camera: number, me: string,
  mineOpen: number): PresenceEntry[] {
  let skip = mineOpen;
  return list.filter((p) => {
    if (p.camera !== camera) return false;
    if (p.user === me && skip > 0) {
      skip--;
      return false;
    }
    return true;
  });
}
