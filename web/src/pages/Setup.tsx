// First run: the owner account from the one-time setup code, the household recovery key
// (shown once), then TOTP enrolment and the recovery codes. Shows the certificate fingerprint to check against the hub's console.
import { useEffect, useState } from 'preact/hooks';
import { get, json, messageOf, type Session } from '../api';
import { navigate } from '../router';
import { Status } from '../components/Status';
import { TotpEnrol } from '../components/TotpEnrol';
import { RecoveryKey, type RecoveryKeyShown } from '../components/RecoveryKey';

export function SetupPage({ onSession }: { onSession: (s: Session) => void }) {
  const [fingerprint, setFingerprint] = useState('');
  const [needed, setNeeded] = useState<boolean | null>(null);
  const [step, setStep] = useState<'account' | 'recovery' | 'totp'>('account');
  const [recovery, setRecovery] = useState<RecoveryKeyShown | null>(null);
  const [form, setForm] = useState({ code: '', username: '', password: '', again: '' });
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    get<{ needed: boolean; fingerprint: string }>('/api/setup')
      .then((r) => { setFingerprint(r.fingerprint); setNeeded(r.needed); })
      .catch((e) => { setMessage(messageOf(e)); setError(true); });
  }, []);

  const field = (name: keyof typeof form) => ({
    value: form[name],
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });

  const submit = async (e: Event) => {
    e.preventDefault();
    if (form.password !== form.again) {
      setMessage('The two passphrases differ.');
      setError(true);
      return;
    }
    setBusy(true);
    setMessage('Creating the owner account… (hashing the passphrase takes a moment)');
    setError(false);
    try {
      const s = await json<Session & { recovery_key?: RecoveryKeyShown }>('POST', '/api/setup',
        { code: form.code.trim(), username: form.username.trim(), password: form.password });
      const { recovery_key, ...session } = s;
      onSession(session);
      setMessage('Owner account created.');
      if (recovery_key) {
        setRecovery(recovery_key);
        setStep('recovery');
      } else {
        setStep('totp');
      }
    } catch (err) {
      // The server's message says why a passphrase is refused and how to do better.
      setMessage(messageOf(err));
      setError(true);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page narrow">
      <h1>Set up your Hearth hub</h1>
      <p>First check that you are talking to your own hub: this certificate fingerprint must be
        the one the hub printed when it started.</p>
      <p class="fingerprint" data-testid="fingerprint">{fingerprint || '…'}</p>
      {needed === false && step === 'account' ? (
        <p>This hub is already set up. <a href="#/login">Log in</a>.</p>
      ) : step === 'account' ? (
        <form onSubmit={submit}>
          <label>Setup code
            <input name="code" autocomplete="one-time-code" required maxLength={64}
              placeholder="XXXXX-XXXXX-XXXXX-XXXXX" {...field('code')} />
          </label>
          <label>Your name (to log in)
            <input name="username" autocomplete="username" required maxLength={64}
              pattern="[A-Za-z0-9._\-]+" {...field('username')} />
          </label>
          <label>Passphrase
            <input name="password" type="password" autocomplete="new-password" required
              minLength={12} maxLength={1024} {...field('password')} />
          </label>
          <label>Passphrase again
            <input name="again" type="password" autocomplete="new-password" required
              minLength={12} maxLength={1024} {...field('again')} />
          </label>
          <p class="hint">At least 12 characters and hard to guess: four or five random words
            work well. It may not contain your name or "hearth".</p>
          <button type="submit" disabled={busy}>Create the owner account</button>
        </form>
      ) : step === 'recovery' && recovery ? (
        <RecoveryKey shown={recovery} onDone={() => { setRecovery(null); setStep('totp'); }} />
      ) : (
        <>
          <TotpEnrol onDone={() => navigate('/')} />
          <button type="button" class="secondary" onClick={() => navigate('/')}>
            Skip two-factor login for now</button>
        </>
      )}
      <Status message={message} error={error} />
    </main>
  );
}
