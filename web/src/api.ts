// Talking to the hub: same-origin fetch with the session cookie, the CSRF token on every
// state-changing request, 401 -> the login page, and re-authentication for dangerous actions.

export type Rights = Record<string, string[]>;  // "all" or a camera id -> right names

export interface Session {
  user: string;
  role: 'owner' | 'member' | 'guest';
  csrf_token: string;
  totp_enabled: boolean;
  reauth_until: string;
  rights: Rights;
}

export interface Camera {
  id: number;
  name: string;
  kind: string;
  enabled: boolean;
  state: string;
  url?: string;
  has_credentials?: boolean;
  [key: string]: unknown;
}

export interface PresenceEntry {
  id: number;
  user: string;
  camera: number;
  kind: string;
  since: string;
  device: string;
  source?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: Record<string, unknown> = {},
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
  get reauthRequired(): boolean {
    return this.body.reauth_required === true;
  }
}

let csrfToken = '';
let onUnauthenticated: () => void = () => {};
// 'confirm': a passphrase or TOTP code for a dangerous action; 'unlock': the passphrase,
// which opens the household key (recordings) after the hub restarted.
export type ReauthPurpose = 'confirm' | 'unlock';
let reauthPrompt: ((purpose: ReauthPurpose) => Promise<string | null>) | null = null;

export function setCsrfToken(token: string): void {
  csrfToken = token;
}
export function setUnauthenticatedHandler(f: () => void): void {
  onUnauthenticated = f;
}
// The UI registers a prompt that asks for the passphrase (null: the user cancelled).
export function setReauthPrompt(f: (purpose: ReauthPurpose) => Promise<string | null>): void {
  reauthPrompt = f;
}

export async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (!res.ok) {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = await res.json();
    } catch {
      // not JSON: keep the status text
    }
    const retry = res.headers.get('Retry-After');
    const err = new ApiError(res.status, String(parsed.error ?? res.statusText ?? 'request failed'),
      parsed, retry ? Number(retry) : null);
    if (res.status === 401 && !path.startsWith('/api/login') && !path.startsWith('/api/setup')) {
      onUnauthenticated();
    }
    throw err;
  }
  return res;
}

export async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(method, path, body);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => json<T>('GET', path);

// Runs `call`; when the hub wants a fresh proof, asks for the passphrase (or a TOTP code),
// POSTs /api/reauth and tries once more.
// The household key's state: recordings play only while it is open.
export interface Household { encrypted: boolean; unlocked: boolean; message: string }

// Asks for the passphrase and proves it, which opens the recordings of a hub that
// restarted while this browser stayed logged in. False: the user cancelled.
export async function unlockRecordings(): Promise<boolean> {
  if (!reauthPrompt) return false;
  for (;;) {
    const secret = await reauthPrompt('unlock');
    if (secret === null) return false;
    try {
      await json('POST', '/api/reauth', { password: secret });
      const h = await get<Household>('/api/household');
      if (h.unlocked) return true;
      throw new ApiError(423, 'Your account holds no copy of the recordings key yet: ask an owner to log in once, then try again.');
    } catch (r) {
      if (!(r instanceof ApiError) || r.status !== 403) throw r;
    }
  }
}

export async function withReauth<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    if (e instanceof ApiError && e.status === 423 && e.body.code === 'locked') {
      if (await unlockRecordings()) return withReauth(call);
      throw e;
    }
    if (!(e instanceof ApiError) || !e.reauthRequired || !reauthPrompt) throw e;
    for (;;) {
      const secret = await reauthPrompt('confirm');
      if (secret === null) throw new ApiError(403, 'cancelled: your passphrase was not confirmed');
      const body = /^\d{6}$/.test(secret) ? { code: secret } : { password: secret };
      try {
        await json('POST', '/api/reauth', body);
        break;
      } catch (r) {
        if (!(r instanceof ApiError) || r.status !== 403) throw r;
        // wrong passphrase: ask again
      }
    }
    return call();
  }
}

export function can(session: Session | null, right: string, camera: number): boolean {
  if (!session) return false;
  if (session.role === 'owner') return true;
  return (session.rights.all ?? []).includes(right) ||
    (session.rights[String(camera)] ?? []).includes(right);
}

export function messageOf(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) {
      return e.message + (e.retryAfter ? ` (wait ${e.retryAfter} s)` : '');
    }
    return e.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export function wsUrl(path: string): string {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path;
}
