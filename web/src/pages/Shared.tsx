// The page a share link opens (#/shared/<token>), for someone without an account: it sends
// the token (from the URL's fragment, so in no request line or server log) only in the body
// of POST /api/shared/open, asks for the passcode when the link has one, and shows the clip
// or the live view. A closed link (expired, withdrawn, used up) shows its sentence alone.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, json, messageOf } from '../api';
import { dateTime } from '../format';
import { useMseLive } from '../live/useLive';
import { LiveVideo } from '../components/LiveVideo';
import { Status } from '../components/Status';

interface Opened {
  ticket: string;
  kind: 'clip' | 'live';
  camera_name: string;
  label: string;
  created_by: string;
  expires: string;
  start?: string;
  end?: string;
  blur_faces?: boolean;
  max_views?: number;
  views?: number;
}

type View =
  | { step: 'opening' }
  | { step: 'passcode'; error: string }
  | { step: 'closed'; message: string }
  | { step: 'open'; share: Opened };

export function SharedPage({ token }: { token: string }) {
  const [view, setView] = useState<View>({ step: 'opening' });
  const [passcode, setPasscode] = useState('');
  const [busy, setBusy] = useState(false);

  const open = async (code?: string) => {
    setBusy(true);
    try {
      const body: Record<string, string> = { token };
      if (code) body.passcode = code;
      const share = await json<Opened>('POST', '/api/shared/open', body);
      setPasscode('');
      setView({ step: 'open', share });
    } catch (e) {
      if (e instanceof ApiError && e.status === 403 && e.body.passcode_required === true) {
        setView({ step: 'passcode', error: code ? e.message : '' });
      } else if (e instanceof ApiError && e.status === 429) {
        setView({ step: 'passcode', error: `Too many tries. ${e.retryAfter
          ? `Try again in ${e.retryAfter} seconds.` : 'Wait a while and try again.'}` });
      } else if (e instanceof ApiError && (e.status === 404 || e.status === 410)) {
        setView({ step: 'closed', message: e.message });
      } else {
        setView({ step: 'closed', message: `The link cannot be opened now: ${messageOf(e)}` });
      }
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    if (!token) setView({ step: 'closed', message: 'There is no such link. Check that it was copied whole.' });
    else void open();
  }, [token]);

  switch (view.step) {
    case 'opening':
      return <main class="page narrow shared"><h1>Opening the shared link…</h1><Status message="Opening…" /></main>;
    case 'closed':
      return (
        <main class="page narrow shared">
          <h1>This link does not open</h1>
          <p data-testid="shared-closed">{view.message}</p>
        </main>
      );
    case 'passcode':
      return (
        <main class="page narrow shared">
          <h1>This link needs a passcode</h1>
          <p>Whoever shared it with you gave you the passcode with the link.</p>
          <form onSubmit={(e) => { e.preventDefault(); void open(passcode); }}>
            <label>Passcode
              <input name="passcode" type="password" autocomplete="off" required autoFocus
                aria-invalid={view.error ? true : undefined}
                aria-describedby={view.error ? 'passcode-error' : undefined}
                value={passcode} onInput={(e) => setPasscode(e.currentTarget.value)} />
            </label>
            <button type="submit" disabled={busy}>Open</button>
          </form>
          <p id="passcode-error" class="status status-error" role="alert">{view.error}</p>
        </main>
      );
    case 'open':
      return <SharedView share={view.share} />;
  }
}

function SharedView({ share }: { share: Opened }) {
  const video = useRef<HTMLVideoElement>(null);
  const [problem, setProblem] = useState('');
  const [muted, setMuted] = useState(true);
  const isLive = share.kind === 'live';
  const ticket = encodeURIComponent(share.ticket);
  const live = useMseLive(isLive ? `/api/shared/live?ticket=${ticket}` : null, video);

  return (
    <main class="page shared">
      <h1>Shared by {share.created_by} with {share.label}</h1>
      <dl class="facts">
        <dt>Camera</dt><dd data-testid="shared-camera">{share.camera_name}</dd>
        <dt>{isLive ? 'Showing' : 'Recorded'}</dt>
        <dd>{isLive ? 'Live'
          : share.start && share.end
            ? `${dateTime(share.start)} to ${new Date(share.end).toLocaleTimeString()}` +
              (share.blur_faces ? ', faces blurred' : '')
            : 'A clip'}</dd>
        <dt>Link open until</dt><dd>{dateTime(share.expires)}</dd>
      </dl>
      {isLive ? (
        live.ended ? (
          <p class="status status-error" role="alert" data-testid="shared-ended">
            This link is no longer open.</p>
        ) : (
          <>
            <LiveVideo video={video} live={live} label={`Live view of ${share.camera_name}`}
              muted={muted} big badge={false}>
              <span class="watermark" aria-hidden="true">{share.label}</span>
            </LiveVideo>
            <div class="controls">
              <button type="button" aria-pressed={!muted} onClick={() => setMuted(!muted)}>
                {muted ? 'Sound on' : 'Sound off'}</button>
            </div>
          </>
        )
      ) : (
        <video ref={video} class="playback" controls playsInline
          src={`/api/shared/clip?ticket=${ticket}`} aria-label={`Clip from ${share.camera_name}`}
          onError={() => setProblem('The clip cannot be played: the link may have been withdrawn or expired.')} />
      )}
      <p class="hint">Shared through Hearth. Please keep it to yourself: the video shows who it was shared with.</p>
      <Status message={problem} error={!!problem} />
    </main>
  );
}
