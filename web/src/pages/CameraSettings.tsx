// What the hub knows about one camera, read-only for now.
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { get, messageOf, type Camera } from '../api';
import { Status } from '../components/Status';

export function CameraSettingsPage({ id }: { id: number }) {
  const [camera, setCamera] = useState<Camera | null>(null);
  const [message, setMessage] = useState('');

  useEffect(() => {
    get<Camera>(`/api/cameras/${id}`).then(setCamera).catch((e) => setMessage(messageOf(e)));
  }, [id]);

  return (
    <main class="page">
      <h1>{camera?.name ?? `Camera ${id}`}: settings</h1>
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
      <p class="note">Editing (name, stream address, credentials, recording and retention) will
        come here; until then use <code>hearth camera add|remove</code> and
        <code> hearth retention</code> on the hub.</p>
      <p><a href={`#/camera/${id}`}>Back to the live view</a></p>
      <Status message={message} error={!!message} />
    </main>
  );
}
