// The app: finds out whether the hub needs its owner or a login, then routes by hash.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { get, json, setCsrfToken, setUnauthenticatedHandler, type Session } from './api';
import { navigate, useRoute } from './router';
import { Nav } from './components/Nav';
import { ReauthDialog } from './components/ReauthDialog';
import { Status } from './components/Status';
import { SetupPage } from './pages/Setup';
import { LoginPage } from './pages/Login';
import { RecoverPage } from './pages/Recover';
import { GridPage } from './pages/Grid';
import { CameraPage } from './pages/Camera';
import { TimelinePage } from './pages/Timeline';
import { AccountPage } from './pages/Account';
import { UsersPage } from './pages/Users';
import { AddCameraPage } from './pages/AddCamera';
import { AuditPage } from './pages/Audit';
import { CameraSettingsPage } from './pages/CameraSettings';
import { SharesPage } from './pages/Shares';
import { SharedPage } from './pages/Shared';

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null>(null);
  const [checked, setChecked] = useState(false);
  const [problem, setProblem] = useState('');
  const asked = useRef(false);
  // A share link's page is for someone without an account: it asks the hub nothing about
  // setup or sessions, never sends them to the login page, and shows no navigation.
  const shared = route.page === 'shared';

  const adopt = useCallback((s: Session | null) => {
    setCsrfToken(s?.csrf_token ?? '');
    setSession(s);
  }, []);

  useEffect(() => {
    if (shared || asked.current) return;
    asked.current = true;
    setUnauthenticatedHandler(() => {
      adopt(null);
      navigate('/login');
    });
    (async () => {
      try {
        const setup = await get<{ needed: boolean }>('/api/setup');
        if (setup.needed) {
          navigate('/setup');
          return;
        }
        try {
          adopt(await get<Session>('/api/session'));
        } catch {
          navigate('/login');
        }
      } catch (e) {
        setProblem(`The hub does not answer: ${e instanceof Error ? e.message : e}`);
      } finally {
        setChecked(true);
      }
    })();
  }, [shared]);

  const logout = async () => {
    // Close the live views first, so none of them is still connecting when the session ends.
    const token = session?.csrf_token ?? '';
    adopt(null);
    navigate('/login');
    setCsrfToken(token);
    try {
      await json('POST', '/api/logout');
    } catch {
      // the session is gone either way
    } finally {
      setCsrfToken('');
    }
  };

  if (route.page === 'shared') return <SharedPage key={route.token} token={route.token} />;
  if (!checked) return <main class="page"><Status message={problem || 'Loading…'} /></main>;

  let page;
  switch (route.page) {
    case 'setup':
      page = <SetupPage onSession={adopt} />;
      break;
    case 'login':
      page = <LoginPage onSession={(s) => { adopt(s); navigate('/'); }} />;
      break;
    case 'recover':
      page = <RecoverPage />;
      break;
    default:
      if (!session) {
        page = <LoginPage onSession={(s) => { adopt(s); }} />;
        break;
      }
      switch (route.page) {
        case 'grid': page = <GridPage session={session} />; break;
        case 'camera': page = <CameraPage key={route.id} id={route.id} session={session} />; break;
        case 'timeline': page = <TimelinePage key={route.id} id={route.id} session={session} />; break;
        case 'settings': page = <CameraSettingsPage key={route.id} id={route.id} session={session} />; break;
        case 'account': page = <AccountPage session={session} onSession={adopt} />; break;
        case 'users': page = <UsersPage session={session} />; break;
        case 'audit': page = <AuditPage session={session} />; break;
        case 'shares': page = <SharesPage session={session} />; break;
        case 'addcamera': page = session.role === 'owner' ? <AddCameraPage />
          : <main class="page"><h1>Only owners add cameras</h1><a href="#/">Back to the cameras</a></main>; break;
        default: page = <main class="page"><h1>Not found</h1><a href="#/">Back to the cameras</a></main>;
      }
  }
  const showNav = session && route.page !== 'setup' && route.page !== 'login' && route.page !== 'recover';
  return (
    <>
      {showNav && <Nav session={session} current={location.hash || '#/'} onLogout={logout} />}
      {problem && <Status message={problem} error />}
      {page}
      <ReauthDialog />
    </>
  );
}
