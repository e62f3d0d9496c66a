// The live <video> of one camera with its transport badge. The same element serves both
// transports, so tests can read getVideoPlaybackQuality() whichever is active.
import type { ComponentChildren, RefObject } from 'preact';
import type { LiveState } from '../live/useLive';

interface Props {
  video: RefObject<HTMLVideoElement>;
  live: LiveState;
  label: string;
  muted?: boolean;
  big?: boolean;
  badge?: boolean;               // the transport badge (a share link's viewer has none)
  children?: ComponentChildren;  // drawn over the picture (a share link's watermark)
}

export function LiveVideo({ video, live, label, muted = true, big = false, badge = true, children }: Props) {
  const text = live.transport === 'webrtc' ? 'WebRTC'
    : live.transport === 'mse' ? 'MSE fallback' : 'connecting…';
  return (
    <div class={big ? 'live live-big' : 'live'} data-transport={live.transport}>
      <video ref={video} autoplay playsInline muted={muted} aria-label={label} />
      {badge && <span class={`badge badge-${live.transport}`} title="how the video gets here">{text}</span>}
      {children}
      {live.error && <p class="live-error" role="alert">{live.error}</p>}
    </div>
  );
}
