// The household recovery key, shown once: 24 words and a QR code of them, to print or
// write down. Without it, an owner who forgets every passphrase loses the recordings.
import { useState } from 'preact/hooks';

export interface RecoveryKeyShown { words: string; qr_svg: string }

export function RecoveryKey({ shown, onDone }: { shown: RecoveryKeyShown; onDone: () => void }) {
  const [stored, setStored] = useState(false);
  const words = shown.words.split(' ');
  return (
    <section class="recovery-key" aria-labelledby="recovery-title">
      <h2 id="recovery-title">Your recovery key</h2>
      <p>Recordings are encrypted so that only your household can watch them. If every
        owner forgets their passphrase, these 24 words are the only way back in. Print this
        page or write the words down, and keep them somewhere safe, away from the hub.
        Hearth will not show them again.</p>
      <ol class="recovery-words" data-testid="recovery-words">
        {words.map((w, i) => <li key={i}>{w}</li>)}
      </ol>
      {shown.qr_svg && (
        <img class="qr" alt="QR code of the recovery words" width="220" height="220"
          src={'data:image/svg+xml,' + encodeURIComponent(shown.qr_svg)} />
      )}
      <div class="row">
        <button type="button" class="secondary" onClick={() => window.print()}>Print</button>
      </div>
      <label class="check">
        <input type="checkbox" checked={stored} onChange={(e) => setStored(e.currentTarget.checked)} />
        I have printed or written down the recovery key
      </label>
      <button type="button" disabled={!stored} onClick={onDone}>Continue</button>
    </section>
  );
}
