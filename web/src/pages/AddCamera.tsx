// Adding a real camera (owners): find the ONVIF cameras on the home network, or type a
// camera's ONVIF or RTSP address; give its user name and password. The hub reads the
// camera's streams, checks that the recording stream plays, and only then saves it.
import { useState } from 'preact/hooks';
import { get, json, messageOf, withReauth } from '../api';
import { Status } from '../components/Status';

interface Found { device_url: string; address: string; name: string; hardware: string; added: boolean }
interface Added { id: number; name: string; stream: string; device: string; ptz: boolean }

export function AddCameraPage() {
  const [found, setFound] = useState<Found[] | null>(null);
  const [searching, setSearching] = useState(false);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'onvif' | 'rtsp'>('onvif');
  const [address, setAddress] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [check, setCheck] = useState(true);
  const [busy, setBusy] = useState(false);
  const [added, setAdded] = useState<Added | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const say = (m: string, e = false) => { setMessage(m); setError(e); };

  const search = async () => {
    setSearching(true);
    say('Looking for cameras on your network…');
    try {
      const r = await get<{ cameras: Found[] }>('/api/cameras/discover');
      setFound(r.cameras);
      say(r.cameras.length ? `Found ${r.cameras.length}.` : 'No ONVIF camera answered. Type its address below.');
    } catch (e) {
      say(messageOf(e), true);
    } finally {
      setSearching(false);
    }
  };

  const pick = (f: Found) => {
    setKind('onvif');
    setAddress(f.device_url);
    if (!name) setName(f.name || f.hardware || f.address);
    document.getElementById('camera-user')?.focus();
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setAdded(null);
    say('Asking the camera and checking its stream…');
    try {
      const body: Record<string, unknown> = { name: name.trim(), [kind]: address.trim(), check };
      if (username) { body.username = username; body.password = password; }
      const r = await withReauth(() => json<Added>('POST', '/api/cameras', body));
      setAdded(r);
      setPassword('');
      say(`Added ${r.name}.`);
    } catch (err) {
      say(messageOf(err), true);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page">
      <h1>Add a camera</h1>
      <section>
        <h2>Cameras on your network</h2>
        <button type="button" onClick={search} disabled={searching}>
          {searching ? 'Looking…' : 'Find cameras'}</button>
        {found && found.length > 0 && (
          <ul class="found" aria-label="Cameras found">
            {found.map((f) => (
              <li key={f.device_url}>
                <span>{f.name || 'Unnamed camera'}{f.hardware ? ` (${f.hardware})` : ''} at {f.address}</span>
                {f.added ? <span class="note">already added</span>
                  : <button type="button" class="small" onClick={() => pick(f)}>Use this one</button>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <form onSubmit={submit}>
        <h2>The camera</h2>
        <label>Name
          <input value={name} maxLength={64} required
            onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <fieldset>
          <legend>How to reach it</legend>
          <label class="check"><input type="radio" name="kind" checked={kind === 'onvif'}
            onChange={() => setKind('onvif')} /> ONVIF address</label>
          <label class="check"><input type="radio" name="kind" checked={kind === 'rtsp'}
            onChange={() => setKind('rtsp')} /> RTSP stream address</label>
        </fieldset>
        <label>{kind === 'onvif' ? 'ONVIF address (http://…/onvif/device_service)' : 'RTSP address (rtsp://…)'}
          <input value={address} maxLength={512} required inputMode="url"
            onInput={(e) => setAddress((e.target as HTMLInputElement).value)} />
        </label>
        <label>User name on the camera
          <input id="camera-user" value={username} maxLength={128} autocomplete="off"
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)} />
        </label>
        <label>Password on the camera
          <input type="password" value={password} maxLength={1024} autocomplete="new-password"
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        <p class="note">Kept sealed on the hub; never shown again.</p>
        <label class="check"><input type="checkbox" checked={check}
          onChange={(e) => setCheck((e.target as HTMLInputElement).checked)} />
          Check that the stream plays before saving</label>
        <button type="submit" disabled={busy}>{busy ? 'Checking…' : 'Add camera'}</button>
      </form>
      {added && (
        <p data-testid="added" class="note">
          <a href={`#/camera/${added.id}`}>{added.name}</a>
          {added.device && <> · {added.device}</>}
          {added.stream && <> · stream {added.stream}</>}
          {added.ptz && <> · can be turned (PTZ)</>}
        </p>
      )}
      <Status message={message} error={error} />
    </main>
  );
}
