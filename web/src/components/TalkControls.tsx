// Talk back through the camera: push-to-talk (hold the button, or hold Space) and an open
// line. Sends {"type":"talk"} and attaches or detaches the microphone (RtcLive.setTalk).
import { useEffect, useState } from 'preact/hooks';
import type { RtcLive } from '../live/webrtc';

interface Props {
  rtc: RtcLive;
  onMessage: (message: string, error: boolean) => void;
}

export function TalkControls({ rtc, onMessage }: Props) {
  const [pushing, setPushing] = useState(false);
  const [openLine, setOpenLine] = useState(false);

  const talk = async (on: boolean) => {
    try {
      await rtc.setTalk(on);
      onMessage(on ? 'Talking: they can hear you.' : 'Microphone off.', false);
    } catch (e) {
      onMessage(`Cannot talk: ${e instanceof Error ? e.message : e}`, true);
      setPushing(false);
      setOpenLine(false);
    }
  };

  const press = (on: boolean) => {
    if (openLine || pushing === on) return;
    setPushing(on);
    void talk(on);
  };

  // Space works as push-to-talk anywhere on the page except in text fields.
  useEffect(() => {
    const typing = (e: KeyboardEvent) =>
      e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
    const down = (e: KeyboardEvent) => {
      if (e.code === 'Space' && !e.repeat && !typing(e)) { e.preventDefault(); press(true); }
    };
    const up = (e: KeyboardEvent) => {
      if (e.code === 'Space' && !typing(e)) { e.preventDefault(); press(false); }
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => { window.removeEventListener('keydown', down); window.removeEventListener('keyup', up); };
  });

  return (
    <div class="talk" role="group" aria-label="Talk through the camera">
      <button type="button" class={pushing ? 'ptt active' : 'ptt'} aria-pressed={pushing}
        disabled={openLine}
        onPointerDown={(e) => { (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId); press(true); }}
        onPointerUp={() => press(false)} onPointerCancel={() => press(false)}
        onKeyDown={(e) => { if (e.key === 'Enter' && !e.repeat) press(true); }}
        onKeyUp={(e) => { if (e.key === 'Enter') press(false); }}>
        {pushing ? 'Talking…' : 'Hold to talk (or hold Space)'}
      </button>
      <button type="button" aria-pressed={openLine} class={openLine ? 'active' : ''}
        onClick={() => { const on = !openLine; setOpenLine(on); void talk(on); }}>
        {openLine ? 'Close the line' : 'Open line'}
      </button>
    </div>
  );
}
