// A forgotten passphrase: the owner types the recovery key's 24 words and a new passphrase.
// The hub checks the words against the household key, so a wrong key changes nothing.
import { useState } from 'preact/hooks';
import { json, messageOf } from '../api';
import { Status } from '../components/Status';

export function RecoverPage() {
  const [form, setForm] = useState({ username: '', words: '', password: '', again: '' });
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

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
    setError(false);
    setMessage('Checking the recovery key…');
    try {
      await json('POST', '/api/recover',
        { username: form.username.trim(), recovery_key: form.words, password: form.password });
      setDone(true);
      setMessage('');
    } catch (err) {
      setMessage(messageOf(err));
      setError(true);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page narrow">
      <h1>Forgot your passphrase?</h1>
      {done ? (
        <p role="status">Your new passphrase is set, and it opens the recordings. <a href="#/login">Log in</a>.</p>
      ) : (
        <form onSubmit={submit}>
          <p>An owner can set a new passphrase with the recovery key shown when the hub was set
            up. Members ask an owner instead.</p>
          <label>Owner name
            <input name="username" autocomplete="username" required maxLength={64} {...field('username')} />
          </label>
          <label>Recovery key (24 words)
            <textarea name="recovery_key" required rows={4} maxLength={1024} spellcheck={false}
              autocomplete="off" {...field('words')} />
          </label>
          <label>New passphrase
            <input name="password" type="password" autocomplete="new-password" required
              minLength={12} maxLength={1024} {...field('password')} />
          </label>
          <label>New passphrase again
            <input name="again" type="password" autocomplete="new-password" required
              minLength={12} maxLength={1024} {...field('again')} />
          </label>
          <button type="submit" disabled={busy}>Set the new passphrase</button>
        </form>
      )}
      <Status message={message} error={error} />
    </main>
  );
}
