// Hash routing (#/camera/3/timeline), so the hub serves only "/".
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'grid' }
  | { page: 'setup' }
  | { page: 'login' }
  | { page: 'recover' }
  | { page: 'camera'; id: number }
  | { page: 'timeline'; id: number }
  | { page: 'settings'; id: number }
  | { page: 'account' }
  | { page: 'users' }
  | { page: 'audit' }
  | { page: 'addcamera' }
  | { page: 'shares' }
  | { page: 'shared'; token: string }
  | { page: 'notfound' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const parts = path.split('/').filter(Boolean);
  if (parts.length === 0) return { page: 'grid' };
  if (parts.length === 1 && ['setup', 'login', 'recover', 'account', 'users', 'audit', 'shares'].includes(parts[0])) {
    return { page: parts[0] } as Route;
  }
  if (parts.length === 2 && parts[0] === 'cameras' && parts[1] === 'add') return { page: 'addcamera' };
  // A share link (#/shared/<token>): the token stays in the fragment, so no server sees it
  // in a request line or a log; the viewer page sends it only in the body of its POST.
  // A mangled link still lands here (no login page), and the hub says it does not know it.
  if (parts[0] === 'shared') return { page: 'shared', token: parts.slice(1).join('/') };
  if (parts[0] === 'camera' && /^\d+$/.test(parts[1] ?? '')) {
    const id = Number(parts[1]);
    if (parts.length === 2) return { page: 'camera', id };
    if (parts.length === 3 && parts[2] === 'timeline') return { page: 'timeline', id };
    if (parts.length === 3 && parts[2] === 'settings') return { page: 'settings', id };
  }
  return { page: 'notfound' };
}

export function navigate(path: string): void {
  if (location.hash !== '#' + path) location.hash = path;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
