// Shared links: what this account shared (owners: everyone's), whether each is still open, how
// often it was opened, and a Withdraw button that closes it at once (open streams stop too).
import { useEffect, useState } from 'preact/hooks';
import { get, json, messageOf, type Camera, type Session } from '../api';
import { dateTime } from '../format';
import { Status } from '../components/Status';

export interface ShareEntry {
  id: number;
  kind: 'clip' | 'live';
  camera: number;
  label: string;
  created_by: string;
  created: string;
  expires: string;
  passcode: boolean;
  max_views: number;
  views: number;
  state: 'open' | 'expired' | 'revoked' | 'used up';
  start?: string;
  end?: string;
  blur_faces?: boolean;
  last_opened?: string;
}

const STATE_TEXT: Record<string, string> = {
  open: 'Open', expired: 'Expired', revoked: 'Withdrawn', 'used up': 'Used up',
};

function what(s: ShareEntry): string {
  if (s.kind !== 'clip' || !s.start || !s.end) return 'Live view';
  return `Clip ${dateTime(s.start)} to ${new Date(s.end).toLocaleTimeString()}` +
    (s.blur_faces ? ', faces blurred' : '');
}

export function SharesPage({ session }: { session: Session }) {
  const [shares, setShares] = useState<ShareEntry[] | null>(null);
  const [names, setNames] = useState<Record<number, string>>({});
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const [busy, setBusy] = useState(0);
  const say = (m: string, e = false) => { setMessage(m); setError(e); };

  const load = async () => {
    try {
      const r = await get<{ shares: ShareEntry[] }>('/api/shares');
      setShares(r.shares);
    } catch (e) {
      say(messageOf(e), true);
    }
  };

  useEffect(() => {
    void load();
    get<{ cameras: Camera[] }>('/api/cameras')
      .then((r) => setNames(Object.fromEntries(r.cameras.map((c) => [c.id, c.name]))))
      .catch(() => {});
    // Views and states change while the page is open (a link opened, expired).
    const timer = window.setInterval(() => void load(), 15_000);
    return () => clearInterval(timer);
  }, []);

  const withdraw = async (s: ShareEntry) => {
    setBusy(s.id);
    try {
      await json('DELETE', `/api/shares/${s.id}`);
      say(`Withdrew the link for ${s.label}: it no longer opens, and anyone watching it is cut off.`);
      await load();
    } catch (e) {
      say(messageOf(e), true);
    } finally {
      setBusy(0);
    }
  };

  return (
    <main class="page">
      <h1>Shared links</h1>
      <p class="hint">
        {session.role === 'owner' ? 'Every link anyone in the household made.' : 'The links you made.'}{' '}
        Share a clip from a camera's recordings, or the live view from a camera's page.
      </p>
      {shares && shares.length === 0 && <p data-testid="no-shares">No shared links yet.</p>}
      {shares && shares.length > 0 && (
        <div class="table-wrap shares-wrap">
          <table class="shares">
            <caption class="visually-hidden">Shared links, newest first</caption>
            <thead>
              <tr>
                <th scope="col">For</th><th scope="col">What</th><th scope="col">Camera</th>
                <th scope="col">Made by</th><th scope="col">Expires</th><th scope="col">Views</th>
                <th scope="col">State</th><th scope="col">Last opened</th>
                <th scope="col"><span class="visually-hidden">Action</span></th>
              </tr>
            </thead>
            <tbody>
              {shares.map((s) => (
                <tr key={s.id} data-share={s.id} data-label={s.label} data-state={s.state}>
                  <td>{s.label}{s.passcode && <span class="tag">passcode</span>}</td>
                  <td>{what(s)}</td>
                  <td>{names[s.camera] ?? `Camera ${s.camera}`}</td>
                  <td>{s.created_by}</td>
                  <td>{dateTime(s.expires)}</td>
                  <td>{s.max_views > 0 ? `${s.views} of ${s.max_views}` : s.views}</td>
                  <td><span class={`state state-share-${s.state.replace(' ', '-')}`}>{STATE_TEXT[s.state] ?? s.state}</span></td>
                  <td>{s.last_opened ? dateTime(s.last_opened) : 'never'}</td>
                  <td>
                    {s.state === 'open' && (
                      <button type="button" class="danger small" disabled={busy === s.id}
                        aria-label={`Withdraw the link for ${s.label}`} onClick={() => withdraw(s)}>
                        Withdraw</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Status message={message} error={error} />
    </main>
  );
}
