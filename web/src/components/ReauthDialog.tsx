// Asks for the passphrase (or a six-digit TOTP code) when the hub wants a fresh proof
// for a dangerous action, or for the passphrase alone to unlock the recordings;
// api.withReauth() and api.unlockRecordings() call it through setReauthPrompt().
import { useEffect, useRef, useState } from 'preact/hooks';
import { setReauthPrompt, type ReauthPurpose } from '../api';

export function ReauthDialog() {
  const [resolver, setResolver] = useState<((v: string | null) => void) | null>(null);
  const [secret, setSecret] = useState('');
  const [purpose, setPurpose] = useState<ReauthPurpose>('confirm');
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    setReauthPrompt((why) => new Promise<string | null>((resolve) => {
      setSecret('');
      setPurpose(why);
      setResolver(() => resolve);
    }));
  }, []);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (resolver && !d.open) d.showModal();
    if (!resolver && d.open) d.close();
  }, [resolver]);

  const finish = (value: string | null) => {
    resolver?.(value);
    setResolver(null);
  };

  return (
    <dialog ref={dialog} class="reauth" aria-labelledby="reauth-title"
      onCancel={(e) => { e.preventDefault(); finish(null); }}>
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); finish(secret); }}>
        <h2 id="reauth-title">{purpose === 'unlock' ? 'Unlock the recordings' : 'Confirm it is you'}</h2>
        <p>{purpose === 'unlock'
          ? 'Recordings are encrypted, and the hub restarted since you logged in: your passphrase opens them again.'
          : 'This action needs your passphrase (or a code from your authenticator app).'}</p>
        <label>
          {purpose === 'unlock' ? 'Passphrase' : 'Passphrase or code'}
          <input type="password" name="reauth" autocomplete="current-password" required
            value={secret} onInput={(e) => setSecret(e.currentTarget.value)} />
        </label>
        <div class="row">
          <button type="submit">{purpose === 'unlock' ? 'Unlock' : 'Confirm'}</button>
          <button type="button" class="secondary" onClick={() => finish(null)}>Cancel</button>
        </div>
      </form>
    </dialog>
  );
}
