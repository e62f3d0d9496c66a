// The persistent "being watched" indicator: who else is watching this camera.
import type { PresenceEntry } from '../api';
import { clock, device } from '../format';

export function Watchers({ others }: { others: PresenceEntry[] }) {
  if (others.length === 0) {
    return <p class="watchers watchers-none">Nobody else is watching</p>;
  }
  const names = [...new Set(others.map((p) => p.user))].join(', ');
  return (
    <p class="watchers watchers-on" title={others.map((p) =>
      `${p.user} since ${clock(p.since)} (${device(p.device)})`).join('\n')}>
      <span aria-hidden="true">●</span> Also watching: {names}
    </p>
  );
}
