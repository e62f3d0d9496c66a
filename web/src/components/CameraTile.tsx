// One camera in the grid: live video, name and state, who else is watching.
import { useRef } from 'preact/hooks';
import type { Camera, PresenceEntry } from '../api';
import { useLive } from '../live/useLive';
import { navigate } from '../router';
import { LiveVideo } from './LiveVideo';
import { Watchers } from './Watchers';

interface Props {
  camera: Camera;
  others: PresenceEntry[];
}

export function CameraTile({ camera, others }: Props) {
  const video = useRef<HTMLVideoElement>(null);
  const live = useLive(camera.id, video);
  return (
    <li class="tile" data-camera={camera.id}>
      {/* The picture opens the camera too (the name button is the keyboard way). */}
      <div class="tile-video" onClick={() => navigate(`/camera/${camera.id}`)}>
        <LiveVideo video={video} live={live} label={`Live view of ${camera.name}`} />
      </div>
      <div class="tile-info">
        <h2>
          <button type="button" class="link" onClick={() => navigate(`/camera/${camera.id}`)}
            aria-label={`Open ${camera.name}`}>{camera.name}</button>
        </h2>
        <span class={`state state-${camera.state}`}>{camera.state}</span>
      </div>
      <Watchers others={others} />
    </li>
  );
}
