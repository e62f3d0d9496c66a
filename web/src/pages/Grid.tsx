// Every camera this account can see, live, with who else is watching each.
import { useEffect, useState } from 'preact/hooks';
import { get, messageOf, type Camera, type Session } from '../api';
import { CameraTile } from '../components/CameraTile';
import { Status } from '../components/Status';
import { othersWatching, usePresence } from '../presence';

export function GridPage({ session }: { session: Session }) {
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const [message, setMessage] = useState('');
  const presence = usePresence();

  useEffect(() => {
    let stop = false;
    const load = () => get<{ cameras: Camera[] }>('/api/cameras')
      .then((r) => { if (!stop) { setCameras(r.cameras); setMessage(''); } })
      .catch((e) => !stop && setMessage(messageOf(e)));
    void load();
    const timer = window.setInterval(load, 10_000);  // states change (online, offline)
    return () => { stop = true; clearInterval(timer); };
  }, []);

  return (
    <main class="page">
      <h1>Cameras</h1>
      {session.role === 'owner' && <p><a class="button" href="#/cameras/add">Add a camera</a></p>}
      {cameras && cameras.length === 0 && <p>No camera is shared with you yet.</p>}
      <ul class="grid">
        {cameras?.map((c) => (
          <CameraTile key={c.id} camera={c}
            others={othersWatching(presence, c.id, session.user, 1)} />
        ))}
      </ul>
      <Status message={message} error={!!message} />
    </main>
  );
}
