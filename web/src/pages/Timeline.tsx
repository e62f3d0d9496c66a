// Recordings of one camera, one day at a time: recorded ranges and events on a 24 h bar,
// click or drag to scrub, playback as fragmented MP4 from /stream, speeds, event jumps, and
// downloads (which need a fresh passphrase proof), and share links to a clip.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { can, get, messageOf, request, unlockRecordings, withReauth, type Camera, type Household,
  type Session } from '../api';
import { clock } from '../format';
import { Status } from '../components/Status';
import { ShareDialog } from '../components/ShareDialog';
import { presenceFeed, usePresence } from '../presence';

interface Range { start_ms: number; end_ms: number }
interface HubEvent { id: number; kind: string; at: string; camera?: number; detail: string }

const DAY_MS = 24 * 3600 * 1000;
const CHUNK_S = 3600;  // each playback request covers at most an hour; the next follows
const SPEEDS = [1, 2, 4, 8];

function startOfDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function TimelinePage({ id, session }: { id: number; session: Session }) {
  const [day, setDay] = useState(() => startOfDay(Date.now()));
  const [ranges, setRanges] = useState<Range[]>([]);
  const [events, setEvents] = useState<HubEvent[]>([]);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [position, setPosition] = useState<number | null>(null);  // ms, what is showing
  const [speed, setSpeed] = useState(1);
  const [downloadMin, setDownloadMin] = useState(5);
  const [sharing, setSharing] = useState(false);
  const shareFrom = useRef(0);  // the cursor when the share dialog opened
  const [locked, setLocked] = useState(false);  // the household key is not open: nothing plays
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const bar = useRef<HTMLDivElement>(null);
  const playStart = useRef(0);  // ms of the current playback request's start
  const dragging = useRef(false);
  // While a recording plays, the household sees it in presence (and it ends with the page).
  const presence = usePresence();
  const othersHere = presence.filter((p) => p.camera === id && p.kind === 'playback');
  useEffect(() => () => presenceFeed.watching(null), [id]);
  const say = (m: string, e = false) => { setMessage(m); setError(e); };
  const dayEnd = day + DAY_MS;

  useEffect(() => {
    get<Camera>(`/api/cameras/${id}`).then(setCamera).catch(() => {});
    checkLock();
  }, [id]);

  const checkLock = () => {
    get<Household>('/api/household').then((h) => setLocked(h.encrypted && !h.unlocked)).catch(() => {});
  };
  const unlock = async () => {
    try {
      if (await unlockRecordings()) {
        setLocked(false);
        say('Recordings unlocked.');
      }
    } catch (e) {
      say(messageOf(e), true);
    }
  };

  useEffect(() => {
    const load = (first: boolean) => {
      const end = Math.min(dayEnd, Date.now());
      if (end <= day) {
        setRanges([]);
        return;
      }
      get<{ ranges: Range[] }>(`/api/cameras/${id}/recordings?start=${Math.floor(day / 1000)}&end=${Math.ceil(end / 1000)}`)
        .then((r) => {
          setRanges(r.ranges);
          if (first) say(r.ranges.length ? '' : 'Nothing was recorded on this day.');
        })
        .catch((e) => say(messageOf(e), true));
      get<{ events: HubEvent[] }>('/api/events?limit=1000')
        .then((r) => setEvents(r.events.filter((e) => e.camera === id)))
        .catch(() => setEvents([]));
    };
    load(true);
    // Today keeps growing: refresh the bar now and then.
    const timer = dayEnd > Date.now() ? window.setInterval(() => load(false), 30_000) : undefined;
    return () => clearInterval(timer);
  }, [id, day]);

  const dayEvents = useMemo(() => events
    .map((e) => ({ ...e, ms: Date.parse(e.at) }))
    .filter((e) => e.ms >= day && e.ms < dayEnd)
    .sort((a, b) => a.ms - b.ms), [events, day]);

  // The recorded instant at or after t (null when nothing follows).
  const recordedFrom = (t: number): number | null => {
    for (const r of ranges) {
      if (t < r.end_ms) return Math.max(t, r.start_ms);
    }
    return null;
  };

  const play = (t: number) => {
    const at = recordedFrom(t);
    const v = video.current;
    if (at === null || !v) {
      say('No recording from that time on this day.', true);
      return;
    }
    const startS = Math.floor(at / 1000);
    const endS = Math.max(startS + 2,
      Math.min(startS + CHUNK_S, Math.ceil(Math.min(dayEnd, Date.now()) / 1000)));
    playStart.current = startS * 1000;
    setPosition(startS * 1000);
    v.src = `/api/cameras/${id}/stream?start=${startS}&end=${endS}`;
    v.playbackRate = speed;
    v.defaultPlaybackRate = speed;
    void v.play().catch(() => {});
    say(`Playing from ${new Date(startS * 1000).toLocaleTimeString()}.`);
  };

  const timeAt = (clientX: number): number => {
    const box = bar.current!.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (clientX - box.left) / box.width));
    return day + f * DAY_MS;
  };

  const onPointerDown = (e: PointerEvent) => {
    dragging.current = true;
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    setPosition(timeAt(e.clientX));
  };
  const onPointerMove = (e: PointerEvent) => {
    if (dragging.current) setPosition(timeAt(e.clientX));
  };
  const onPointerUp = (e: PointerEvent) => {
    if (!dragging.current) return;
    dragging.current = false;
    play(timeAt(e.clientX));
  };
  const onKey = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 3600_000 : 60_000;
    const base = position ?? day;
    if (e.key === 'ArrowRight') { e.preventDefault(); play(base + step); }
    if (e.key === 'ArrowLeft') { e.preventDefault(); play(base - step); }
  };

  const onTimeUpdate = () => {
    const v = video.current;
    if (v && !dragging.current) setPosition(playStart.current + v.currentTime * 1000);
  };
  const onEnded = () => {
    const next = playStart.current + (video.current?.currentTime ?? CHUNK_S) * 1000;
    if (next < Math.min(dayEnd, Date.now()) - 1000) play(next + 1);
  };

  const changeSpeed = (s: number) => {
    setSpeed(s);
    if (video.current) {
      video.current.playbackRate = s;
      video.current.defaultPlaybackRate = s;
    }
  };

  const jumpEvent = (dir: 1 | -1) => {
    const now = position ?? (dir > 0 ? day : dayEnd);
    const list = dir > 0 ? dayEvents.filter((e) => e.ms > now + 1000)
      : dayEvents.filter((e) => e.ms < now - 6000).reverse();
    if (list.length === 0) {
      say(dir > 0 ? 'No later event on this day.' : 'No earlier event on this day.');
      return;
    }
    play(list[0].ms - 5000);
  };

  const download = async () => {
    const from = position ?? recordedFrom(day);
    if (from === null) {
      say('Nothing to download on this day.', true);
      return;
    }
    const startS = Math.floor(from / 1000);
    const endS = startS + downloadMin * 60;
    try {
      say('Preparing the download…');
      const res = await withReauth(() => request('GET',
        `/api/cameras/${id}/download?start=${startS}&end=${endS}`));
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `${camera?.name ?? 'camera-' + id}-${new Date(startS * 1000).toISOString().replace(/[:.]/g, '-')}.mp4`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 30_000);
      say(`Downloaded ${downloadMin} min from ${new Date(startS * 1000).toLocaleTimeString()}.`);
    } catch (e) {
      say(messageOf(e), true);
    }
  };

  // A clip to share: from the cursor (snapped to the recording) for `minutes`, clipped to
  // what is recorded so far.
  const clipRange = (minutes: number): { start: number; end: number } | string => {
    const at = recordedFrom(shareFrom.current);
    if (at === null) return 'Nothing is recorded from the cursor on this day: move it onto a recording.';
    const start = Math.floor(at / 1000) * 1000;
    const want = start + minutes * 60_000;
    let recorded = start;
    for (const r of ranges) {
      if (r.start_ms < want) recorded = Math.max(recorded, r.end_ms);
    }
    const end = Math.floor(Math.min(want, recorded, Date.now() - 1000) / 1000) * 1000;
    if (end - start < 1000) return 'Less than a second is recorded from the cursor.';
    return { start, end };
  };

  const pct = (t: number) => `${((t - day) / DAY_MS) * 100}%`;
  const today = startOfDay(Date.now());
  return (
    <main class="page">
      <h1>{camera?.name ?? `Camera ${id}`}: recordings</h1>
      {othersHere.length > 0 && (
        <p class="watchers watchers-on" aria-live="polite">
          <span aria-hidden="true">●</span> Playing recordings of this camera now:{' '}
          {[...new Set(othersHere.map((p) => p.user))].join(', ')}
        </p>
      )}
      {locked && (
        <div class="locked-banner" role="alert" data-testid="locked">
          <p><strong>Recordings are locked.</strong> They are encrypted, and the hub restarted
            since you logged in: nobody has opened them with a passphrase yet.</p>
          <button type="button" onClick={unlock}>Unlock with my passphrase</button>
        </div>
      )}
      <div class="daypicker">
        <button type="button" onClick={() => setDay(startOfDay(day - DAY_MS / 2))}>
          ◀ Previous day</button>
        <label>Day
          <input type="date" value={new Date(day - new Date(day).getTimezoneOffset() * 60000).toISOString().slice(0, 10)}
            onChange={(e) => {
              const v = e.currentTarget.value;
              if (v) setDay(startOfDay(new Date(v + 'T00:00').getTime()));
            }} />
        </label>
        <button type="button" disabled={day >= today}
          onClick={() => setDay(startOfDay(day + DAY_MS * 1.5))}>Next day ▶</button>
      </div>
      <div ref={bar} class="daybar" role="slider" tabIndex={0} aria-label="Time of day"
        aria-valuemin={0} aria-valuemax={24 * 60}
        aria-valuenow={position === null ? 0 : Math.round((position - day) / 60000)}
        aria-valuetext={position === null ? 'not playing' : new Date(position).toLocaleTimeString()}
        onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={onPointerUp}
        onKeyDown={onKey}>
        {ranges.map((r) => (
          <span key={r.start_ms} class="range"
            style={{ left: pct(Math.max(r.start_ms, day)), width: pct(day + Math.min(r.end_ms, dayEnd) - Math.max(r.start_ms, day)) }} />
        ))}
        {dayEvents.map((e) => (
          <span key={e.id} class={`event event-${e.kind.replace(/\W/g, '-')}`}
            style={{ left: pct(e.ms) }} title={`${e.kind} at ${clock(e.at)}`} />
        ))}
        {position !== null && <span class="cursor" style={{ left: pct(position) }} />}
      </div>
      <div class="hours" aria-hidden="true">
        {[0, 6, 12, 18, 24].map((h) => <span key={h}>{h}:00</span>)}
      </div>
      <video ref={video} class="playback" controls playsInline muted
        aria-label="Recorded video" onTimeUpdate={onTimeUpdate}
        onPlay={() => presenceFeed.watching(id)} onPause={() => presenceFeed.watching(null)}
        onEnded={() => { presenceFeed.watching(null); onEnded(); }}
        onError={() => { say('This part of the recording cannot be played.', true); checkLock(); }} />
      <div class="controls">
        <button type="button" onClick={() => jumpEvent(-1)}>Previous event</button>
        <button type="button" onClick={() => jumpEvent(1)}>Next event</button>
        <span role="group" aria-label="Speed" class="speeds">
          {SPEEDS.map((s) => (
            <button type="button" key={s} aria-pressed={speed === s}
              class={speed === s ? 'active' : ''} onClick={() => changeSpeed(s)}>{s}×</button>
          ))}
        </span>
      </div>
      <div class="controls">
        <label>Download
          <select value={downloadMin} onChange={(e) => setDownloadMin(Number(e.currentTarget.value))}>
            {[1, 5, 15, 60].map((m) => <option key={m} value={m}>{m} min</option>)}
          </select>
        </label>
        <button type="button" onClick={download}>Download from the cursor</button>
        {can(session, 'share', id) && (
          <button type="button" onClick={() => { shareFrom.current = position ?? day; setSharing(true); }}>
            Share this clip</button>
        )}
      </div>
      {can(session, 'share', id) && (
        <ShareDialog open={sharing} onClose={() => setSharing(false)} camera={id}
          cameraName={camera?.name ?? `Camera ${id}`} kind="clip" clipRange={clipRange} />
      )}
      <p class="note">{dayEvents.length} events, {ranges.length} recorded ranges on this day.
        Drag on the bar or use the arrow keys (Shift: an hour) to move.</p>
      <Status message={message} error={error} />
    </main>
  );
}
