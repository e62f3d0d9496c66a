// Owners: the audit log, newest first, with filters.
import { useEffect, useState } from 'preact/hooks';
import { get, messageOf, type Session } from '../api';
import { dateTime } from '../format';
import { Status } from '../components/Status';

interface Entry {
  id: number; at: string; actor: string; action: string; target: string; source: string;
  detail: string;
}

export function AuditPage({ session }: { session: Session }) {
  const [filters, setFilters] = useState({ actor: '', action: '', from: '', to: '', limit: '200' });
  const [entries, setEntries] = useState<Entry[]>([]);
  const [message, setMessage] = useState('');
  const [error, setError] = useState(false);

  const load = async () => {
    const q = new URLSearchParams();
    if (filters.actor.trim()) q.set('actor', filters.actor.trim());
    if (filters.action.trim()) q.set('action', filters.action.trim());
    if (filters.from) q.set('from', String(Math.floor(new Date(filters.from).getTime() / 1000)));
    if (filters.to) q.set('to', String(Math.floor(new Date(filters.to).getTime() / 1000)));
    if (filters.limit) q.set('limit', filters.limit);
    try {
      const r = await get<{ entries: Entry[] }>(`/api/audit?${q}`);
      setEntries(r.entries);
      setMessage(`${r.entries.length} entries.`);
      setError(false);
    } catch (e) {
      setMessage(messageOf(e));
      setError(true);
    }
  };
  useEffect(() => { if (session.role === 'owner') void load(); }, []);

  if (session.role !== 'owner') {
    return <main class="page"><h1>Audit log</h1><p>Only owners read the audit log.</p></main>;
  }
  const field = (name: keyof typeof filters) => ({
    value: filters[name],
    onInput: (e: Event) => setFilters({ ...filters, [name]: (e.target as HTMLInputElement).value }),
  });
  return (
    <main class="page">
      <h1>Audit log</h1>
      <form class="filters" onSubmit={(e) => { e.preventDefault(); void load(); }}>
        <label>Who <input name="actor" {...field('actor')} /></label>
        <label>Action <input name="action" placeholder="login.success" {...field('action')} /></label>
        <label>From <input name="from" type="datetime-local" {...field('from')} /></label>
        <label>To <input name="to" type="datetime-local" {...field('to')} /></label>
        <label>At most <input name="limit" type="number" min={1} max={10000} {...field('limit')} /></label>
        <button type="submit">Show</button>
      </form>
      <div class="table-wrap">
        <table class="audit">
          <thead><tr><th>When</th><th>Who</th><th>Action</th><th>What</th><th>From</th><th>Detail</th></tr></thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>{dateTime(e.at)}</td><td>{e.actor}</td><td>{e.action}</td>
                <td>{e.target}</td><td>{e.source}</td><td>{e.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Status message={message} error={error} />
    </main>
  );
}
