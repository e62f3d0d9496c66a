// The top navigation: the pages this account may open, and logout.
import type { Session } from '../api';

interface Props {
  session: Session;
  current: string;
  onLogout: () => void;
}

export function Nav({ session, current, onLogout }: Props) {
  const links: [string, string, boolean][] = [
    ['#/', 'Cameras', true],
    ['#/shares', 'Shared links', true],
    ['#/account', 'Account', true],
    ['#/users', 'Users', session.role === 'owner'],
    ['#/audit', 'Audit log', session.role === 'owner'],
  ];
  return (
    <header class="top">
      <a class="brand" href="#/">Hearth</a>
      <nav aria-label="Main">
        <ul>
          {links.filter(([, , show]) => show).map(([href, text]) => (
            <li key={href}>
              <a href={href} aria-current={current === href ? 'page' : undefined}>{text}</a>
            </li>
          ))}
        </ul>
      </nav>
      <span class="who">{session.user} ({session.role})</span>
      <button type="button" class="secondary" onClick={onLogout}>Log out</button>
    </header>
  );
}
