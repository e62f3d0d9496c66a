// Login: name and passphrase, then a TOTP or recovery code when the hub asks for one.
// Throttled attempts (429) say how long to wait.
import { useState } from 'preact/hooks';
import { ApiError, json, messageOf, type Session } from '../api';
import { Status } from '../components/Status';

export function LoginPage({ onSession }: { onSession: (s: Session) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setMessage('Logging in…');
    setError(false);
    try {
      const body: Record<string, string> = { username: username.trim(), password };
      if (needCode && code.trim()) body.code = code.trim();
      const s = await json<Session>('POST', '/api/login', body);
      setMessage('');
      onSession(s);
    } catch (err) {
      if (err instanceof ApiError && err.body.second_factor === true) {
        setNeedCode(true);
      }
      if (err instanceof ApiError && err.status === 429) {
        setMessage(`Too many failed logins. ${err.retryAfter
          ? `Try again in ${err.retryAfter} seconds.` : 'Wait a while and try again.'}`);
      } else {
        setMessage(messageOf(err));
      }
      setError(true);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page narrow">
      <h1>Log in to Hearth</h1>
      <form onSubmit={submit}>
        <label>Name
          <input name="username" autocomplete="username" required value={username}
            onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>Passphrase
          <input name="password" type="password" autocomplete="current-password" required
            value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        {needCode && (
          <label>Code from your authenticator app, or a recovery code
            <input name="code" autocomplete="one-time-code" required value={code}
              onInput={(e) => setCode(e.currentTarget.value)} autoFocus />
          </label>
        )}
        <button type="submit" disabled={busy}>Log in</button>
      </form>
      <p class="hint"><a href="#/recover">Forgot your passphrase?</a></p>
      <Status message={message} error={error} />
    </main>
  );
}
