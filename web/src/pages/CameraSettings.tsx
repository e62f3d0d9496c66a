// One camera's settings: its name and whether it runs (a stopped camera neither records
// nor streams), for those with the `manage` right; what the hub knows about it for all.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { can, get, json, messageOf, withReauth, type Camera, type Session } from '../api';
import { Status } from '../components/Status';
import type { PtzState } from '../components/PtzControls';

// What the camera's loudspeaker can do, in words: an IP camera's ONVIF audio backchannel is
// asked for when the camera starts.
function talkAbility(camera: Camera): string {
  const speaker = camera.speaker as { backchannel?: { capability: string; codec: string; error: string } } | undefined;
  if (!speaker) return 'No loudspeaker the hub can use';
  const bc = speaker.backchannel;
  if (!bc) return 'Yes';
  if (bc.capability === 'offered') return `Yes, through the camera's audio backchannel (${bc.codec})`;
  if (bc.capability === 'not offered') return 'No: the camera offers no audio backchannel';
  return `Not known yet${bc.error ? `: ${bc.error}` : ''}`;
}

function ptzAbility(ptz: PtzState | null): string {
  const c = ptz?.capabilities;
  if (!c) return 'No';
  const can = [c.continuous && 'move', c.zoom && 'zoom', c.home && 'home',
    c.presets && `up to ${c.max_presets} presets`].filter(Boolean);
  return `Yes: ${can.join(', ')}`;
}

export function CameraSettingsPage({ id, session }: { id: number; session: Session }) {
  const [camera, setCamera] = useState<Camera | null>(null);
  const [name, setName] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const mayManage = can(session, 'manage', id);

  const [ptz, setPtz] = useState<PtzState | null>(null);
  useEffect(() => { get<PtzState>(`/api/cameras/${id}/ptz`).then(setPtz).catch(() => setPtz(null)); }, [id]);
  const load = () => get<Camera>(`/api/cameras/${id}`).then((c) => {
    setCamera(c);
    setName(c.name);
    setEnabled(c.enabled);
  }).catch((e) => { setMessage(messageOf(e)); setError(true); });
  useEffect(() => { void load(); }, [id]);

  const save = async (e: Event) => {
    e.preventDefault();
    if (!camera) return;
    const body: { name?: string; enabled?: boolean } = {};
    if (name.trim() !== camera.name) body.name = name.trim();
    if (enabled !== camera.enabled) body.enabled = enabled;
    if (Object.keys(body).length === 0) {
      setMessage('Nothing changed.');
      setError(false);
      return;
    }
    try {
      await withReauth(() => json('PATCH', `/api/cameras/${id}`, body));
      setMessage(body.enabled === false ? 'Saved: the camera is stopping (no recording, no live view).'
        : 'Saved.');
      setError(false);
      await load();
    } catch (err) {
      setMessage(messageOf(err));
      setError(true);
    }
  };

  return (
    <main class="page">
      <h1>{camera?.name ?? `Camera ${id}`}: settings</h1>
      {camera && mayManage && (
        <form class="settings" onSubmit={save}>
          <label>Name
            <input value={name} maxLength={64} required
              onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label class="check">
            <input type="checkbox" checked={enabled}
              onChange={(e) => setEnabled(e.currentTarget.checked)} />
            Camera on (records and can be watched)
          </label>
          <button type="submit">Save</button>
        </form>
      )}
      {camera && (
        <dl class="facts" data-testid="abilities">
          <dt>Talk</dt><dd>{talkAbility(camera)}</dd>
          <dt>Turn (PTZ)</dt><dd>{ptzAbility(ptz)}</dd>
        </dl>
      )}
      {camera && (
        <dl class="facts">
          {Object.entries(camera).map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k.replace(/_/g, ' ')}</dt>
              <dd>{typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
            </Fragment>
          ))}
        </dl>
      )}
      {!mayManage && <p class="note">Only someone with the manage right on this camera can change it.</p>}
      <p class="note">To change a camera's address or password, remove it and
        {' '}<a href="#/cameras/add">add it again</a> (owners).</p>
      <p><a href={`#/camera/${id}`}>Back to the live view</a></p>
      <Status message={message} error={error} />
    </main>
  );
}
