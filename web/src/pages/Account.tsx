// Who I am, change passphrase, two-factor on/off, my sessions with revoke, and (owners) a
// new recovery key for the encrypted recordings.
import { useEffect, useState } from 'preact/hooks';
import { get, json, messageOf, withReauth, type Session } from '../api';
import { dateTime, device } from '../format';
import { Status } from '../components/Status';
import { TotpEnrol } from '../components/TotpEnrol';
import { RecoveryKey, type RecoveryKeyShown } from '../components/RecoveryKey';

interface SessionRow {
  id: number; created: string; last_seen: string; source: string; user_agent: string;
  current: boolean;
}

export function AccountPage({ session, onSession }: {
  session: Session; onSession: (s: Session) => void;
}) {
  const [sessions, setSessions] = useState<SessionRow[]>([]);
  const [oldPass, setOldPass] = useState('');
  const [newPass, setNewPass] = useState('');
  const [enrolling, setEnrolling] = useState(false);
  const [recovery, setRecovery] = useState<RecoveryKeyShown | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const say = (m: string, e = false) => { setMessage(m); setError(e); };

  const load = () => get<{ sessions: SessionRow[] }>('/api/sessions')
    .then((r) => setSessions(r.sessions)).catch((e) => say(messageOf(e), true));
  const reloadSession = () => get<Session>('/api/session').then(onSession).catch(() => {});
  useEffect(() => { void load(); }, []);

  const changePassphrase = async (e: Event) => {
    e.preventDefault();
    say('Changing the passphrase…');
    try {
      await json('POST', '/api/password', { old_password: oldPass, new_password: newPass });
      setOldPass('');
      setNewPass('');
      say('Passphrase changed. Your other sessions have ended.');
      void load();
    } catch (err) {
      say(messageOf(err), true);
    }
  };

  const totpOff = async () => {
    try {
      await withReauth(() => json('DELETE', '/api/totp'));
      say('Two-factor login is off.');
      void reloadSession();
    } catch (err) {
      say(messageOf(err), true);
    }
  };

  const newRecoveryKey = async () => {
    try {
      const r = await withReauth(() =>
        json<{ recovery_key: RecoveryKeyShown }>('POST', '/api/household/recovery-key'));
      setRecovery(r.recovery_key);
      say('A new recovery key is ready below; the earlier one no longer works.');
    } catch (err) {
      say(messageOf(err), true);
    }
  };

  const revoke = async (id: number) => {
    try {
      await json('DELETE', `/api/sessions/${id}`);
      say('Session ended.');
      void load();
    } catch (err) {
      say(messageOf(err), true);
    }
  };

  const rights = Object.entries(session.rights)
    .map(([cam, names]) => `${cam === 'all' ? 'all cameras' : 'camera ' + cam}: ${names.join(', ')}`);
  return (
    <main class="page">
      <h1>Your account</h1>
      <dl class="facts">
        <dt>Name</dt><dd>{session.user}</dd>
        <dt>Role</dt><dd>{session.role}</dd>
        <dt>Rights</dt><dd>{rights.join('; ') || 'none yet'}</dd>
        <dt>Two-factor login</dt><dd>{session.totp_enabled ? 'on' : 'off'}</dd>
      </dl>

      <section aria-labelledby="pass-title">
        <h2 id="pass-title">Change passphrase</h2>
        <form onSubmit={changePassphrase}>
          <label>Current passphrase
            <input type="password" autocomplete="current-password" required value={oldPass}
              onInput={(e) => setOldPass(e.currentTarget.value)} />
          </label>
          <label>New passphrase
            <input type="password" autocomplete="new-password" required minLength={12}
              value={newPass} onInput={(e) => setNewPass(e.currentTarget.value)} />
          </label>
          <button type="submit">Change passphrase</button>
        </form>
      </section>

      {session.role === 'owner' && (
        <section aria-labelledby="rk-title">
          <h2 id="rk-title">Recovery key</h2>
          {recovery ? (
            <RecoveryKey shown={recovery} onDone={() => { setRecovery(null); say('Recovery key stored.'); }} />
          ) : (
            <>
              <p>The recovery key (24 words, shown at setup) sets a new owner passphrase when every
                passphrase is forgotten. Lost the printout? Make a new one: the old one stops working.</p>
              <button type="button" onClick={newRecoveryKey}>Make a new recovery key</button>
            </>
          )}
        </section>
      )}

      <section aria-labelledby="tfa-title">
        <h2 id="tfa-title">Two-factor login</h2>
        {session.totp_enabled ? (
          <button type="button" class="danger" onClick={totpOff}>Turn two-factor login off</button>
        ) : enrolling ? (
          <TotpEnrol onDone={() => { setEnrolling(false); void reloadSession(); }} />
        ) : (
          <button type="button" onClick={() => setEnrolling(true)}>Turn two-factor login on</button>
        )}
      </section>

      <section aria-labelledby="sessions-title">
        <h2 id="sessions-title">Your sessions</h2>
        <div class="table-wrap">
          <table>
            <thead><tr><th>Device</th><th>From</th><th>Started</th><th>Last seen</th><th /></tr></thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id}>
                  <td>{device(s.user_agent)}{s.current && ' (this one)'}</td>
                  <td>{s.source}</td>
                  <td>{dateTime(s.created)}</td>
                  <td>{dateTime(s.last_seen)}</td>
                  <td>{!s.current && (
                    <button type="button" class="danger small" onClick={() => revoke(s.id)}>
                      Revoke</button>
                  )}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <Status message={message} error={error} />
    </main>
  );
}
