// Owners: the household's accounts, their roles and per-camera rights.
import { useEffect, useState } from 'preact/hooks';
import { get, json, messageOf, withReauth, type Camera, type Rights, type Session } from '../api';
import { Status } from '../components/Status';

interface User {
  id: number; name: string; role: string; totp_enabled: boolean; created: string;
  rights?: Rights;
}

const ROLES = ['member', 'guest', 'owner'];
const RIGHTS = ['live', 'recordings', 'ptz', 'talk', 'share', 'manage'];
const GUEST_RIGHTS = ['live', 'recordings'];

// Rights editor: one row per camera (and "all cameras"), a checkbox per right.
function RightsEditor({ role, rights, cameras, onChange, idPrefix }: {
  role: string; rights: Rights; cameras: Camera[]; onChange: (r: Rights) => void; idPrefix: string;
}) {
  if (role === 'owner') return <p class="hint">Owners may do everything.</p>;
  const allowed = role === 'guest' ? GUEST_RIGHTS : RIGHTS;
  const rows: [string, string][] = [['all', 'All cameras'], ...cameras.map((c) => [String(c.id), c.name] as [string, string])];
  const toggle = (key: string, right: string, on: boolean) => {
    const next = { ...rights };
    const set = new Set(next[key] ?? []);
    if (on) set.add(right); else set.delete(right);
    if (set.size) next[key] = [...set]; else delete next[key];
    onChange(next);
  };
  return (
    <div class="table-wrap">
      <table class="rights">
        <thead><tr><th>Camera</th>{allowed.map((r) => <th key={r}>{r}</th>)}</tr></thead>
        <tbody>
          {rows.map(([key, label]) => (
            <tr key={key}>
              <th scope="row">{label}</th>
              {allowed.map((r) => (
                <td key={r}>
                  <input type="checkbox" id={`${idPrefix}-${key}-${r}`}
                    aria-label={`${r} on ${label}`} checked={(rights[key] ?? []).includes(r)}
                    onChange={(e) => toggle(key, r, e.currentTarget.checked)} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function clean(role: string, rights: Rights): Rights {
  if (role !== 'guest') return rights;
  const out: Rights = {};
  for (const [k, v] of Object.entries(rights)) {
    const kept = v.filter((r) => GUEST_RIGHTS.includes(r));
    if (kept.length) out[k] = kept;
  }
  return out;
}

function UserRow({ user, cameras, me, onChanged, say }: {
  user: User; cameras: Camera[]; me: string; onChanged: () => void;
  say: (m: string, e?: boolean) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [role, setRole] = useState(user.role);
  const [rights, setRights] = useState<Rights>(user.rights ?? {});

  const save = async () => {
    try {
      const body: Record<string, unknown> = { role };
      if (role !== 'owner') body.rights = clean(role, rights);
      await withReauth(() => json('PATCH', `/api/users/${user.id}`, body));
      say(`Saved ${user.name}.`);
      setEditing(false);
      onChanged();
    } catch (e) {
      say(messageOf(e), true);
    }
  };
  const remove = async () => {
    if (!confirm(`Remove ${user.name}? Their sessions end at once.`)) return;
    try {
      await withReauth(() => json('DELETE', `/api/users/${user.id}`));
      say(`Removed ${user.name}.`);
      onChanged();
    } catch (e) {
      say(messageOf(e), true);
    }
  };

  // A lost phone: every session of this account ends, and its open views close.
  const logOutEverywhere = async () => {
    try {
      const r = await withReauth(() => json<{ ended: number }>('DELETE', `/api/users/${user.id}/sessions`));
      say(`${user.name} is logged out everywhere (${r.ended} sessions ended).`);
    } catch (e) {
      say(messageOf(e), true);
    }
  };

  const summary = user.role === 'owner' ? 'everything'
    : Object.entries(user.rights ?? {}).map(([k, v]) =>
      `${k === 'all' ? 'all' : cameras.find((c) => String(c.id) === k)?.name ?? k}: ${v.join(', ')}`).join('; ') || 'no rights';
  return (
    <li class="user" data-user={user.name}>
      <div class="user-head">
        <strong>{user.name}</strong> <span class="role">{user.role}</span>
        {user.totp_enabled && <span class="tag">2FA</span>}
        <span class="summary">{summary}</span>
        <button type="button" class="small" aria-expanded={editing}
          onClick={() => setEditing(!editing)}>{editing ? 'Close' : 'Edit'}</button>
        {user.name !== me && (
          <button type="button" class="small" onClick={logOutEverywhere}>Log out everywhere</button>
        )}
        {user.name !== me && (
          <button type="button" class="danger small" onClick={remove}>Remove</button>
        )}
      </div>
      {editing && (
        <div class="user-edit">
          <label>Role
            <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          <RightsEditor role={role} rights={rights} cameras={cameras} onChange={setRights}
            idPrefix={`u${user.id}`} />
          <button type="button" onClick={save}>Save</button>
        </div>
      )}
    </li>
  );
}

export function UsersPage({ session }: { session: Session }) {
  const [users, setUsers] = useState<User[]>([]);
  const [cameras, setCameras] = useState<Camera[]>([]);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState('member');
  const [rights, setRights] = useState<Rights>({ all: ['live'] });
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const say = (m: string, e = false) => { setMessage(m); setError(e); };

  const load = () => get<{ users: User[] }>('/api/users').then((r) => setUsers(r.users))
    .catch((e) => say(messageOf(e), true));
  useEffect(() => {
    void load();
    get<{ cameras: Camera[] }>('/api/cameras').then((r) => setCameras(r.cameras)).catch(() => {});
  }, []);

  if (session.role !== 'owner') {
    return <main class="page"><h1>Users</h1><p>Only owners manage accounts.</p></main>;
  }

  const add = async (e: Event) => {
    e.preventDefault();
    say('Adding…');
    try {
      const body: Record<string, unknown> = { username: name.trim(), role, password };
      if (role !== 'owner') body.rights = clean(role, rights);
      await withReauth(() => json('POST', '/api/users', body));
      say(`Added ${name.trim()}.`);
      setName('');
      setPassword('');
      void load();
    } catch (err) {
      say(messageOf(err), true);
    }
  };

  return (
    <main class="page">
      <h1>Users</h1>
      <ul class="users">
        {users.map((u) => (
          <UserRow key={u.id + ':' + u.role + JSON.stringify(u.rights)} user={u} cameras={cameras}
            me={session.user} onChanged={load} say={say} />
        ))}
      </ul>
      <section aria-labelledby="add-title">
        <h2 id="add-title">Add someone</h2>
        <form onSubmit={add} class="add-user">
          <label>Name
            <input name="new-username" required maxLength={64} pattern="[A-Za-z0-9._\-]+"
              autocomplete="off" value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </label>
          <label>Their first passphrase
            <input name="new-password" type="password" required minLength={12}
              autocomplete="new-password" value={password}
              onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <label>Role
            <select name="new-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
              {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          <RightsEditor role={role} rights={rights} cameras={cameras} onChange={setRights}
            idPrefix="new" />
          <button type="submit">Add user</button>
        </form>
      </section>
      <Status message={message} error={error} />
    </main>
  );
}
