// Turning the camera: hold an arrow (or an arrow key) to pan and tilt, + and - to zoom,
// home, and named presets. Offers only what the camera can do (GET /api/cameras/{id}/ptz),
// and shows who is steering when someone else is. While a button is held the move is
// re-sent every 600 ms with a 1 s timeout: a closed tab or a lost network stops the
// camera within a second instead of leaving it turning.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, json, messageOf } from '../api';
import { usePresence } from '../presence';

interface Vector { pan: number; tilt: number; zoom: number }
export interface PtzState {
  capabilities: {
    continuous: boolean; relative: boolean; absolute: boolean; home: boolean;
    presets: boolean; zoom: boolean; position: boolean; max_presets: number;
  } | null;
  can_steer: boolean;
  holder: { user: string; since: string; you: boolean } | null;
  status: { moving: boolean; position: Vector | null } | null;
  presets: { name: string; position?: Vector }[];
}

interface Props {
  camera: number;
  onMessage: (message: string, error: boolean) => void;
}

const KEEPALIVE_MS = 600;
const STEP = 0.1;  // relative step for cameras without continuous moves

const DIRECTIONS: { label: string; arrow: string; key: string; v: Vector; area: string }[] = [
  { label: 'Tilt up', arrow: '▲', key: 'ArrowUp', v: { pan: 0, tilt: 0.5, zoom: 0 }, area: 'up' },
  { label: 'Pan left', arrow: '◀', key: 'ArrowLeft', v: { pan: -0.5, tilt: 0, zoom: 0 }, area: 'left' },
  { label: 'Pan right', arrow: '▶', key: 'ArrowRight', v: { pan: 0.5, tilt: 0, zoom: 0 }, area: 'right' },
  { label: 'Tilt down', arrow: '▼', key: 'ArrowDown', v: { pan: 0, tilt: -0.5, zoom: 0 }, area: 'down' },
];

export function PtzControls({ camera, onMessage }: Props) {
  const [state, setState] = useState<PtzState | null>(null);
  const [presetName, setPresetName] = useState('');
  const moving = useRef<{ timer: number; v: Vector } | null>(null);
  const presence = usePresence();
  const steering = presence.filter((p) => p.camera === camera && p.kind === 'ptz')
    .map((p) => p.id).join(',');

  const refresh = () => get<PtzState>(`/api/cameras/${camera}/ptz`).then(setState)
    .catch((e) => onMessage(messageOf(e), true));

  // Who holds the camera changes through presence; the position while it moves.
  useEffect(() => { void refresh(); }, [camera, steering]);
  useEffect(() => {
    if (!state?.status?.moving) return;
    const t = window.setTimeout(() => void refresh(), 700);
    return () => window.clearTimeout(t);
  }, [state]);

  const send = async (body: Record<string, unknown>, quiet = false) => {
    try {
      const next = await json<PtzState>('POST', `/api/cameras/${camera}/ptz`, body);
      // A continuous move's answer leaves out the position (no camera round trip per
      // keep-alive): keep showing the last one.
      setState((prev) => ({ ...next, status: next.status ?? prev?.status ?? null }));
      return true;
    } catch (e) {
      if (!quiet || !(e instanceof ApiError) || e.status !== 429) onMessage(messageOf(e), true);
      if (e instanceof ApiError && e.status === 409) void refresh();
      return false;
    }
  };

  const stopMoving = () => {
    const m = moving.current;
    if (!m) return;
    window.clearInterval(m.timer);
    moving.current = null;
    void send({ action: 'stop' });
  };

  const startMoving = (v: Vector) => {
    const caps = state?.capabilities;
    if (!caps) return;
    if (!caps.continuous) {
      void send({ action: 'relative', pan: Math.sign(v.pan) * STEP, tilt: Math.sign(v.tilt) * STEP,
        zoom: Math.sign(v.zoom) * STEP });
      return;
    }
    if (moving.current) window.clearInterval(moving.current.timer);
    const move = () => void send({ action: 'continuous', ...v, timeout_ms: 1000 }, true);
    moving.current = { v, timer: window.setInterval(move, KEEPALIVE_MS) };
    move();
  };

  // Leaving the page mid-move stops the camera (the timeout would, a second later).
  useEffect(() => () => {
    if (moving.current) {
      window.clearInterval(moving.current.timer);
      moving.current = null;
      void json('POST', `/api/cameras/${camera}/ptz`, { action: 'stop' }).catch(() => {});
    }
  }, [camera]);

  if (!state?.capabilities) return null;
  const caps = state.capabilities;
  const other = state.holder && !state.holder.you ? state.holder.user : null;
  const disabled = !state.can_steer;
  const hold = (v: Vector) => ({
    onPointerDown: (e: PointerEvent) => {
      (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
      startMoving(v);
    },
    onPointerUp: stopMoving,
    onPointerCancel: stopMoving,
    onKeyDown: (e: KeyboardEvent) => {
      if ((e.key === 'Enter' || e.key === ' ') && !e.repeat) { e.preventDefault(); startMoving(v); }
    },
    onKeyUp: (e: KeyboardEvent) => {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); stopMoving(); }
    },
  });
  // Arrow keys steer while focus is inside the control group.
  const keys = (e: KeyboardEvent, down: boolean) => {
    if (disabled || e.target instanceof HTMLInputElement) return;
    const d = DIRECTIONS.find((x) => x.key === e.key);
    const zoom = e.key === '+' || e.key === '=' ? 0.5 : e.key === '-' ? -0.5 : 0;
    if (!d && !(zoom && caps.zoom)) return;
    e.preventDefault();
    if (!down) stopMoving();
    else if (!e.repeat) startMoving(d ? d.v : { pan: 0, tilt: 0, zoom });
  };

  const position = state.status?.position;
  const full = state.presets.length >= caps.max_presets;
  return (
    <section class="ptz" aria-label="Turn the camera"
      onKeyDown={(e) => keys(e, true)} onKeyUp={(e) => keys(e, false)}>
      <h2>Turn the camera</h2>
      {other && <p class="note" data-testid="ptz-holder" role="status">
        {other} is steering this camera.</p>}
      {!state.can_steer && !other && <p class="note">You may watch but not turn this camera.</p>}
      <div class="ptz-pad" role="group" aria-label="Pan and tilt">
        {DIRECTIONS.map((d) => (
          <button type="button" key={d.area} class={`ptz-${d.area}`} aria-label={d.label}
            disabled={disabled} {...hold(d.v)}>{d.arrow}</button>
        ))}
        {caps.home && <button type="button" class="ptz-home" disabled={disabled}
          aria-label="Go to the home position" onClick={() => void send({ action: 'home' })}>⌂</button>}
      </div>
      {caps.zoom && (
        <div class="controls" role="group" aria-label="Zoom">
          <button type="button" disabled={disabled} aria-label="Zoom in"
            {...hold({ pan: 0, tilt: 0, zoom: 0.5 })}>＋ Zoom in</button>
          <button type="button" disabled={disabled} aria-label="Zoom out"
            {...hold({ pan: 0, tilt: 0, zoom: -0.5 })}>－ Zoom out</button>
        </div>
      )}
      {position && (
        <p class="note" data-testid="ptz-position">
          Pan {position.pan.toFixed(2)} · Tilt {position.tilt.toFixed(2)} · Zoom{' '}
          {Math.round(position.zoom * 100)}%{state.status?.moving ? ' · moving' : ''}
        </p>
      )}
      {state.holder?.you && (
        <button type="button" class="secondary small"
          onClick={() => void send({ action: 'release' })}>Let others steer</button>
      )}
      {caps.presets && (
        <div class="ptz-presets">
          <h3>Presets</h3>
          {state.presets.length === 0 && <p class="note">No presets yet.</p>}
          <ul>
            {state.presets.map((p) => (
              <li key={p.name}>
                <button type="button" disabled={disabled}
                  onClick={() => void send({ action: 'preset', name: p.name })}>{p.name}</button>
                {state.can_steer && (
                  <button type="button" class="danger small" aria-label={`Remove preset ${p.name}`}
                    onClick={() => void send({ action: 'remove_preset', name: p.name })}>×</button>
                )}
              </li>
            ))}
          </ul>
          {state.can_steer && (
            <form class="row" onSubmit={(e) => {
              e.preventDefault();
              const name = presetName.trim();
              if (!name) return;
              void send({ action: 'save_preset', name }).then((ok) => {
                if (ok) { setPresetName(''); onMessage(`Saved this view as “${name}”.`, false); }
              });
            }}>
              <label>Save this view as
                <input value={presetName} maxLength={64} disabled={full}
                  onInput={(e) => setPresetName((e.target as HTMLInputElement).value)} />
              </label>
              <button type="submit" disabled={full || !presetName.trim()}>Save preset</button>
              {full && <span class="note">{caps.max_presets} presets: remove one first.</span>}
            </form>
          )}
        </div>
      )}
    </section>
  );
}
