// Live video for one camera into one <video>: WebRTC first, the MSE path when WebRTC is
// missing, refused, fails, or is not connected within 4 s.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import { codecs } from '../format';
import { MseLive } from './mse';
import { RtcLive, debugFirstFrame, type OfferInfo } from './webrtc';

export type Transport = 'connecting' | 'webrtc' | 'mse';

export interface LiveState {
  transport: Transport;
  note: string;          // codec note from the hub
  talkAvailable: boolean;
  error: string;
  rtc: RtcLive | null;   // for talk
}

export function useLive(camera: number, video: RefObject<HTMLVideoElement>): LiveState {
  const [state, setState] = useState<LiveState>({
    transport: 'connecting', note: '', talkAvailable: false, error: '', rtc: null,
  });
  const generation = useRef(0);

  useEffect(() => {
    const el = video.current;
    if (!el) return;
    const gen = ++generation.current;
    const alive = () => generation.current === gen;
    let rtc: RtcLive | null = null;
    let mse: MseLive | null = null;
    const update = (s: Partial<LiveState>) => alive() && setState((old) => ({ ...old, ...s }));

    const startMse = (why: string) => {
      rtc?.close();
      rtc = null;
      if (!alive()) return;
      update({ transport: 'mse', rtc: null, talkAvailable: false, note: '' });
      console.info(`camera ${camera}: MSE fallback (${why})`);
      mse = new MseLive(el, `/api/cameras/${camera}/live`,
        (message) => update({ error: message }),
        (mime, note) => update({ note: note || `${codecs(mime)}, as recorded`, error: '' }));
      mse.start();
    };

    setState({ transport: 'connecting', note: '', talkAvailable: false, error: '', rtc: null });
    const started = performance.now();
    el.requestVideoFrameCallback?.(() => {
      if (alive()) debugFirstFrame(camera, performance.now() - started);
    });
    if (RtcLive.supported()) {
      rtc = new RtcLive(el, camera,
        (info: OfferInfo) => update({ note: info.video, talkAvailable: info.talk }),
        (message) => update({ error: message }),
        (why) => startMse(why));  // a connection that fails later also falls back
      rtc.connect().then(
        () => update({ transport: 'webrtc', rtc, error: '' }),
        (e: Error) => startMse(e.message),
      );
    } else {
      startMse('no WebRTC');
    }
    return () => {
      generation.current++;
      rtc?.close();
      mse?.close();
    };
  }, [camera]);

  return state;
}

// The MSE path alone on any live WebSocket path (a share link's /api/shared/live?ticket=...):
// no WebRTC, no talk. `ended` turns true once the hub closes the stream (say the link was
// withdrawn or expired); nothing reconnects.
export function useMseLive(path: string | null, video: RefObject<HTMLVideoElement>):
  LiveState & { ended: boolean } {
  const [state, setState] = useState<LiveState & { ended: boolean }>({
    transport: 'connecting', note: '', talkAvailable: false, error: '', rtc: null, ended: false,
  });
  useEffect(() => {
    const el = video.current;
    if (!el || !path) return;
    let alive = true;
    const update = (s: Partial<LiveState & { ended: boolean }>) =>
      alive && setState((old) => ({ ...old, ...s }));
    setState({ transport: 'mse', note: '', talkAvailable: false, error: '', rtc: null, ended: false });
    const mse = new MseLive(el, path,
      (message) => update({ error: message }),
      (mime, note) => update({ note: note || codecs(mime), error: '' }),
      () => {
        mse.close();  // lets the picture go: it is no longer shared
        update({ ended: true });
      });
    mse.start();
    return () => {
      alive = false;
      mse.close();
    };
  }, [path]);
  return state;
}
