// TOTP enrolment: QR code and secret, confirm a code, then the recovery codes shown once
// with an "I have written them down" step. Used by setup and by the account page.
import { useEffect, useState } from 'preact/hooks';
import { json, messageOf, withReauth } from '../api';
import { Status } from './Status';

interface Enrolment {
  secret: string;
  otpauth_uri: string;
  qr_svg: string;
}

export function TotpEnrol({ onDone }: { onDone: () => void }) {
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [codes, setCodes] = useState<string[] | null>(null);
  const [written, setWritten] = useState(false);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);

  useEffect(() => {
    withReauth(() => json<Enrolment>('POST', '/api/totp'))
      .then(setEnrolment)
      .catch((e) => { setMessage(messageOf(e)); setError(true); });
  }, []);

  const confirm = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await json<{ recovery_codes: string[] }>('POST', '/api/totp/confirm',
        { code: code.trim() });
      setCodes(r.recovery_codes);
      setMessage('Two-factor login is on.');
      setError(false);
    } catch (err) {
      setMessage(messageOf(err));
      setError(true);
    }
  };

  if (codes) {
    return (
      <section aria-labelledby="codes-title">
        <h2 id="codes-title">Your recovery codes</h2>
        <p>Each code lets you log in once without your phone. They are shown only now: write
          them down and keep them somewhere safe.</p>
        <ol class="codes" data-testid="recovery-codes">
          {codes.map((c) => <li key={c}><code>{c}</code></li>)}
        </ol>
        <label class="check">
          <input type="checkbox" checked={written}
            onChange={(e) => setWritten(e.currentTarget.checked)} />
          I have written them down
        </label>
        <button type="button" disabled={!written} onClick={onDone}>Continue</button>
        <Status message={message} />
      </section>
    );
  }
  return (
    <section aria-labelledby="totp-title">
      <h2 id="totp-title">Two-factor login</h2>
      {enrolment ? (
        <>
          <p>Scan this code with an authenticator app, or type the secret into it.</p>
          <img class="qr" alt="QR code for your authenticator app" width="220" height="220"
            src={'data:image/svg+xml,' + encodeURIComponent(enrolment.qr_svg)} />
          <p>Secret: <code class="secret" data-testid="totp-secret">{enrolment.secret}</code></p>
          <form onSubmit={confirm}>
            <label>
              Code from the app
              <input name="totp" inputMode="numeric" autocomplete="one-time-code" required
                pattern="[0-9]{6}" maxLength={6} value={code}
                onInput={(e) => setCode(e.currentTarget.value)} />
            </label>
            <button type="submit">Turn on two-factor login</button>
          </form>
        </>
      ) : !error && <p>Preparing…</p>}
      <Status message={message} error={error} />
    </section>
  );
}
