// One camera, big: full screen, sound, snapshot, talk, and everyone watching it.
import { useEffect, useRef, useState } from 'preact/hooks';
import { can, get, json, messageOf, type Camera, type Session } from '../api';
import { clock, device } from '../format';
import { useLive } from '../live/useLive';
import { LiveVideo } from '../components/LiveVideo';
import { Status } from '../components/Status';
import { TalkControls } from '../components/TalkControls';
import { PtzControls } from '../components/PtzControls';
import { ShareDialog } from '../components/ShareDialog';
import { presenceFeed, usePresence } from '../presence';

export function CameraPage({ id, session }: { id: number; session: Session }) {
  const [camera, setCamera] = useState<Camera | null>(null);
  const [muted, setMuted] = useState(true);
  const [sharing, setSharing] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const live = useLive(id, video);
  const presence = usePresence().filter((p) => p.camera === id);
  const say = (m: string, e = false) => { setMessage(m); setError(e); };

  useEffect(() => {
    get<Camera>(`/api/cameras/${id}`).then(setCamera).catch((e) => say(messageOf(e), true));
  }, [id]);

  const fullscreen = () => {
    const box = video.current?.parentElement;
    if (!box) return;
    if (document.fullscreenElement) void document.exitFullscreen();
    else box.requestFullscreen().catch((e) => say(`Full screen refused: ${e.message}`, true));
  };

  const snapshot = () => {
    const v = video.current;
    if (!v || !v.videoWidth) {
      say('No picture yet.', true);
      return;
    }
    const canvas = document.createElement('canvas');
    canvas.width = v.videoWidth;
    canvas.height = v.videoHeight;
    canvas.getContext('2d')!.drawImage(v, 0, 0);
    canvas.toBlob((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${camera?.name ?? 'camera'}-${new Date().toISOString().replace(/[:.]/g, '-')}.png`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      say('Snapshot saved.');
    }, 'image/png');
  };

  const end = async (pid: number, user: string) => {
    try {
      await json('DELETE', `/api/cameras/${id}/viewers/${pid}`);
      say(`Ended ${user}'s viewing.`);
      presenceFeed.refresh();
    } catch (e) {
      say(messageOf(e), true);
    }
  };

  const name = camera?.name ?? `Camera ${id}`;
  const mayTalk = can(session, 'talk', id) && live.talkAvailable && live.rtc !== null;
  const mayManage = can(session, 'manage', id);
  return (
    <main class="page">
      <h1>{name}</h1>
      <ul class="presence" aria-label="Watching now" aria-live="polite">
        {presence.map((p) => (
          <li key={p.id} class="presence-item">
            <span>{p.user} — {name} — {p.kind === 'ptz' ? 'steering' : p.kind} since {clock(p.since)} — {device(p.device)}</span>
            {mayManage && (
              <button type="button" class="danger small" onClick={() => end(p.id, p.user)}>
                End</button>
            )}
          </li>
        ))}
      </ul>
      <LiveVideo video={video} live={live} label={`Live view of ${name}`} muted={muted} big />
      <p class="note">
        <span data-testid="transport">{live.transport === 'webrtc' ? 'WebRTC'
          : live.transport === 'mse' ? 'MSE fallback' : 'Connecting…'}</span>
        {live.note && <> · video: <span data-testid="codec">{live.note}</span></>}
      </p>
      <div class="controls">
        <button type="button" onClick={fullscreen}>Full screen</button>
        <button type="button" aria-pressed={!muted} onClick={() => setMuted(!muted)}>
          {muted ? 'Sound on' : 'Sound off'}</button>
        <button type="button" onClick={snapshot}>Snapshot</button>
        {can(session, 'recordings', id) && <a class="button" href={`#/camera/${id}/timeline`}>Recordings</a>}
        {can(session, 'share', id) && (
          <button type="button" onClick={() => setSharing(true)}>Share live view</button>
        )}
        <a class="button secondary" href={`#/camera/${id}/settings`}>Settings</a>
      </div>
      {can(session, 'share', id) && (
        <ShareDialog open={sharing} onClose={() => setSharing(false)} camera={id} cameraName={name}
          kind="live" />
      )}
      {mayTalk && live.rtc && <TalkControls rtc={live.rtc} onMessage={say} />}
      <PtzControls camera={id} onMessage={say} />
      <Status message={message} error={error} />
    </main>
  );
}
