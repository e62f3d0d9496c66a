// Makes a share link: a recorded clip (from the timeline) or a camera's live view (from its
// page), for someone outside the household. Who it is for (written on the video), how long it
// lasts, an optional passcode and number of views, and for clips blurred faces. The link is
// shown once, with a Copy button: the hub keeps only a hash of its token.
import { useEffect, useRef, useState } from 'preact/hooks';
import { json, messageOf, withReauth } from '../api';
import { dateTime } from '../format';
import { Status } from './Status';

export interface ShareMade {
  id: number;
  token: string;
  path: string;
  kind: 'clip' | 'live';
  label: string;
  expires: string;
  passcode: boolean;
  max_views: number;
  start?: string;
  end?: string;
  blur_faces?: boolean;
}

interface Props {
  open: boolean;
  onClose: () => void;
  camera: number;
  cameraName: string;
  kind: 'clip' | 'live';
  // Clips: the recorded range for a length in minutes (clipped to what is recorded), or a
  // sentence saying why there is none.
  clipRange?: (minutes: number) => { start: number; end: number } | string;
}

const LIFETIMES: [number, string][] = [[3600, '1 hour'], [86400, '1 day'], [7 * 86400, '7 days']];
const LENGTHS = [1, 5, 15, 30];

const time = (ms: number) => new Date(ms).toLocaleTimeString();
function span(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}` : `${s} s`;
}

export function ShareDialog({ open, onClose, camera, cameraName, kind, clipRange }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const linkField = useRef<HTMLInputElement>(null);
  const [label, setLabel] = useState('');
  const [lifetime, setLifetime] = useState(86400);
  const [passcode, setPasscode] = useState('');
  const [views, setViews] = useState('');
  const [blur, setBlur] = useState(false);
  const [minutes, setMinutes] = useState(5);
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<ShareMade | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const say = (m: string, e = false) => { setMessage(m); setError(e); };

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      // A fresh form each time: a link is for one person.
      setLabel(''); setLifetime(86400); setPasscode(''); setViews(''); setBlur(false);
      setMade(null); say('');
      d.showModal();
    }
    if (!open && d.open) d.close();
  }, [open]);

  useEffect(() => {
    if (made) linkField.current?.select();
  }, [made]);

  const range = kind === 'clip' && clipRange ? clipRange(minutes) : null;
  const link = made ? location.origin + made.path : '';

  const create = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { kind, label: label.trim(), expires_in_s: lifetime };
    if (passcode) body.passcode = passcode;
    if (views.trim()) body.max_views = Number(views);
    if (kind === 'clip') {
      if (typeof range !== 'object' || range === null) {
        say(typeof range === 'string' ? range : 'Nothing to share here.', true);
        return;
      }
      body.start = new Date(range.start).toISOString();
      body.end = new Date(range.end).toISOString();
      body.blur_faces = blur;
    }
    setBusy(true);
    say('Making the link…');
    try {
      const r = await withReauth(() => json<ShareMade>('POST', `/api/cameras/${camera}/shares`, body));
      setMade(r);
      say('');
    } catch (err) {
      say(messageOf(err), true);
    } finally {
      setBusy(false);
    }
  };

  const copy = async () => {
    const field = linkField.current;
    if (!field) return;
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      // No clipboard API (or no permission): the selection and the old command still copy.
      field.select();
      if (!document.execCommand('copy')) {
        say('Copying was refused: select the link and copy it yourself.', true);
        return;
      }
    }
    say('Copied.');
  };

  const what = made
    ? made.kind === 'clip' && made.start && made.end
      ? `the recording of ${cameraName} from ${dateTime(made.start)} to ${time(Date.parse(made.end))}` +
        (made.blur_faces ? ', with faces blurred' : '')
      : `the live view of ${cameraName}`
    : '';

  return (
    <dialog ref={dialog} class="share" aria-labelledby="share-title" aria-describedby="share-what"
      onCancel={(e) => { e.preventDefault(); onClose(); }}>
      {!made ? (
        <form onSubmit={create}>
          <h2 id="share-title">{kind === 'clip' ? 'Share this clip' : 'Share the live view'}</h2>
          <p id="share-what">
            {kind === 'clip'
              ? typeof range === 'string' ? range
                : range ? `${cameraName}, ${time(range.start)} to ${time(range.end)} (${span(range.end - range.start)}).`
                  : ''
              : `Anyone with the link sees ${cameraName} live until it ends or you withdraw it.`}
          </p>
          {kind === 'clip' && (
            <label>Length
              <select value={minutes} onChange={(e) => setMinutes(Number(e.currentTarget.value))}>
                {LENGTHS.map((m) => <option key={m} value={m}>{m} min</option>)}
              </select>
            </label>
          )}
          <label>Who is it for?
            <input name="label" required maxLength={64} value={label} autoFocus
              aria-describedby="share-label-hint"
              onInput={(e) => setLabel(e.currentTarget.value)} />
          </label>
          <p id="share-label-hint" class="hint">Written on the video, so a copy shows who it was given to.</p>
          <label>Link lasts
            <select value={lifetime} onChange={(e) => setLifetime(Number(e.currentTarget.value))}>
              {LIFETIMES.map(([s, text]) => <option key={s} value={s}>{text}</option>)}
            </select>
          </label>
          <label>Passcode (optional)
            <input name="share-passcode" type="text" autocomplete="off" minLength={4} maxLength={128}
              value={passcode} onInput={(e) => setPasscode(e.currentTarget.value)} />
          </label>
          <label>Number of views (optional)
            <input name="views" type="number" inputMode="numeric" min={1} max={1000} value={views}
              onInput={(e) => setViews(e.currentTarget.value)} />
          </label>
          {kind === 'clip' && (
            <label class="check">
              <input type="checkbox" checked={blur} onChange={(e) => setBlur(e.currentTarget.checked)} />
              Blur faces
            </label>
          )}
          <div class="row">
            <button type="submit" disabled={busy || (kind === 'clip' && typeof range !== 'object')}>
              Make the link</button>
            <button type="button" class="secondary" onClick={onClose}>Cancel</button>
          </div>
          <Status message={message} error={error} />
        </form>
      ) : (
        <div class="share-made">
          <h2 id="share-title">Link made</h2>
          <p id="share-what">
            <strong>This link is shown only once: copy it now.</strong>{' '}
            Whoever has it{made.passcode ? ' and the passcode' : ''} sees {what}, marked
            “{made.label}”, until {dateTime(made.expires)}
            {made.max_views > 0 ? `, at most ${made.max_views} ${made.max_views === 1 ? 'time' : 'times'}` : ''}.
            You can withdraw it at any time on the <a href="#/shares" onClick={onClose}>Shared links</a> page.
          </p>
          <label>Link
            <input ref={linkField} name="share-link" readOnly value={link} data-testid="share-link"
              onFocus={(e) => e.currentTarget.select()} />
          </label>
          <div class="row">
            <button type="button" onClick={copy}>Copy</button>
            <button type="button" class="secondary" onClick={onClose}>Done</button>
          </div>
          <Status message={message} error={error} />
        </div>
      )}
    </dialog>
  );
}
