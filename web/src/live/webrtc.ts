// Live view over WebRTC, signalled on wss://host/api/cameras/{id}/webrtc:
//   client {"type":"start"} -> hub {"type":"offer","sdp","video","talk","audio"}
//   client {"type":"answer","sdp"}; both {"type":"ice","candidate","sdpMLineIndex"}
//   client {"type":"talk","on"}; hub {"type":"error","error"} (and may close).
// The microphone is asked for only when the user first talks, and attached to the audio
// transceiver of the offer with replaceTrack: no renegotiation.
import { wsUrl } from '../api';

export const CONNECT_TIMEOUT_MS = 4000;

export interface OfferInfo {
  video: string;   // codec note, e.g. "H.264 as recorded"
  talk: boolean;   // the user may talk
  audio: boolean;  // the camera's microphone comes back
}

// For tests (read-only use): the live peer connections by camera id, and how long each
// camera's last view took from starting to its first decoded frame (ms).
interface HearthDebug { peers: Map<number, RTCPeerConnection>; firstFrameMs: Map<number, number> }
declare global {
  interface Window { __hearth?: HearthDebug }
}
function debug(): HearthDebug {
  window.__hearth ??= { peers: new Map(), firstFrameMs: new Map() };
  return window.__hearth;
}
export function debugPeers(): Map<number, RTCPeerConnection> {
  return debug().peers;
}
export function debugFirstFrame(camera: number, ms: number): void {
  debug().firstFrameMs.set(camera, ms);
}

export class RtcLive {
  private ws: WebSocket | null = null;
  private pc: RTCPeerConnection | null = null;
  private audio: RTCRtpTransceiver | null = null;
  private mic: MediaStreamTrack | null = null;
  private pendingIce: RTCIceCandidateInit[] = [];
  private closed = false;
  private talking = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly camera: number,
    // Called once the offer is in: what the hub sends.
    private readonly onOffer: (info: OfferInfo) => void,
    // After the connection is up: a message to show (an error from the hub, say a refused
    // talk request, or the hub ending this view).
    private readonly onError: (message: string) => void,
    // After the connection is up: the media path failed; the caller may fall back.
    private readonly onLost: (why: string) => void,
  ) {}

  static supported(): boolean {
    return typeof window.RTCPeerConnection === 'function';
  }

  // Resolves once the peer connection is connected; rejects (and closes everything) when it
  // fails, is refused, or is not connected within CONNECT_TIMEOUT_MS.
  connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) {
          this.onError(why);
          return;
        }
        settled = true;
        clearTimeout(timer);
        this.close();
        reject(new Error(why));
      };
      const ok = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      const timer = window.setTimeout(() => fail('WebRTC did not connect in time'),
        CONNECT_TIMEOUT_MS);
      if (!RtcLive.supported()) {
        fail('WebRTC is not available in this browser');
        return;
      }
      const ws = new WebSocket(wsUrl(`/api/cameras/${this.camera}/webrtc`));
      this.ws = ws;
      ws.onopen = () => ws.send(JSON.stringify({ type: 'start' }));
      ws.onerror = () => fail('the WebRTC signalling connection failed');
      ws.onclose = () => {
        if (!settled) {
          fail('the WebRTC signalling connection closed');
          return;
        }
        // The hub ended this view (someone with the manage right, or the camera went away).
        this.close();
        this.onError('the live view was ended by the hub');
      };
      ws.onmessage = (ev) => {
        if (typeof ev.data !== 'string') return;
        let msg: Record<string, unknown>;
        try {
          msg = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (msg.type === 'offer') {
          this.answer(msg, ok, fail).catch((e) => fail(`WebRTC setup failed: ${e}`));
        } else if (msg.type === 'ice' && typeof msg.candidate === 'string') {
          const c: RTCIceCandidateInit = {
            candidate: msg.candidate,
            sdpMLineIndex: typeof msg.sdpMLineIndex === 'number' ? msg.sdpMLineIndex : 0,
          };
          if (this.pc?.remoteDescription) void this.pc.addIceCandidate(c).catch(() => {});
          else this.pendingIce.push(c);
        } else if (msg.type === 'error') {
          fail(String(msg.error ?? 'the hub refused WebRTC'));  // shown only, once connected
        }
      };
    });
  }

  private async answer(msg: Record<string, unknown>, ok: () => void,
    fail: (why: string) => void): Promise<void> {
    const info: OfferInfo = {
      video: String(msg.video ?? ''),
      talk: msg.talk === true,
      audio: msg.audio === true,
    };
    const pc = new RTCPeerConnection({ iceServers: [] });
    this.pc = pc;
    debugPeers().set(this.camera, pc);
    const stream = new MediaStream();
    pc.ontrack = (ev) => {
      stream.addTrack(ev.track);
      if (this.video.srcObject !== stream) {
        this.video.removeAttribute('src');
        this.video.srcObject = stream;
      }
      void this.video.play().catch(() => {});
    };
    pc.onicecandidate = (ev) => {
      if (!ev.candidate || !ev.candidate.candidate) return;  // end-of-candidates: not sent
      this.send({
        type: 'ice',
        candidate: ev.candidate.candidate,
        sdpMLineIndex: ev.candidate.sdpMLineIndex ?? 0,
      });
    };
    let up = false;
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'connected') {
        up = true;
        ok();
      } else if (pc.connectionState === 'failed') {
        if (up && !this.closed) {
          this.close();
          this.onLost('the WebRTC connection failed');
        } else {
          fail('the WebRTC connection failed');
        }
      }
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: String(msg.sdp ?? '') });
    for (const c of this.pendingIce.splice(0)) await pc.addIceCandidate(c).catch(() => {});
    this.audio = pc.getTransceivers().find((t) => t.receiver.track.kind === 'audio') ?? null;
    if (this.audio && info.talk) {
      this.audio.direction = info.audio ? 'sendrecv' : 'sendonly';
    }
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.send({ type: 'answer', sdp: pc.localDescription?.sdp ?? answer.sdp });
    this.onOffer(info);
  }

  // Push-to-talk pressed/released or the open line toggled.
  async setTalk(on: boolean): Promise<void> {
    if (!this.audio || this.closed) throw new Error('talking is not available on this view');
    if (on && !this.mic) {
      const media = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true },
      });
      this.mic = media.getAudioTracks()[0] ?? null;
      if (!this.mic) throw new Error('no microphone found');
    }
    this.talking = on;
    if (this.mic) this.mic.enabled = on;
    await this.audio.sender.replaceTrack(on ? this.mic : null);
    this.send({ type: 'talk', on });
  }

  get isTalking(): boolean {
    return this.talking;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.onmessage = null;
      this.ws.onerror = null;
      this.ws.close();
      this.ws = null;
    }
    if (this.pc) {
      this.pc.close();
      if (debugPeers().get(this.camera) === this.pc) debugPeers().delete(this.camera);
      this.pc = null;
    }
    this.mic?.stop();
    this.mic = null;
    if (this.video.srcObject) this.video.srcObject = null;
  }

  private send(msg: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }
}
