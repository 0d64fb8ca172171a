/**
 * The console's shell: connects (nothing of the cluster is shown before the connection is up),
 * then renders the page the URL fragment names, with a navigation bar. Moving to another page moves
 * the keyboard focus to its heading region and updates the document title.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './hooks';
import { Monitor } from './monitor';
import { GroupDetailPage } from './pages/group-detail';
import { GroupsPage } from './pages/groups';
import { OverviewPage } from './pages/overview';
import { TopicDetailPage } from './pages/topic-detail';
import { TopicsPage } from './pages/topics';
import { parseRoute, routeHref, type Route } from './router';
import { needsCredentials, Session, type Credentials } from './session';
import type { ConsoleConfig } from './console-config';

type Connection = { kind: 'connecting' } | { kind: 'ready'; session: Session; monitor: Monitor } | { kind: 'failed'; error: unknown };

export function App({ config }: { config: ConsoleConfig }) {
  const [connection, setConnection] = useState<Connection>({ kind: 'connecting' });
  const [attempt, setAttempt] = useState(0);
  const [credentials, setCredentials] = useState<Credentials | null>(null);
  const route = useRoute();

  useEffect(() => {
    let live = true;
    let opened: { session: Session; monitor: Monitor } | null = null;
    setConnection({ kind: 'connecting' });
    Session.open({ brokers: config.brokers, logger: config.logger, location: window.location, credentials }).then(
      (session) => {
        const monitor = new Monitor(session.admin, config.refreshMs);
        opened = { session, monitor };
        if (!live) return void session.close();
        monitor.start();
        setConnection({ kind: 'ready', session, monitor });
      },
      (error: unknown) => live && setConnection({ kind: 'failed', error }),
    );
    return () => {
      live = false;
      opened?.monitor.stop();
      void opened?.session.close();
    };
  }, [config, attempt, credentials]);

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={routeHref({ page: 'overview' })}>
          Strata console
        </a>
        {connection.kind === 'ready' && <Nav route={route} />}
      </header>
      <Main route={route}>
        {connection.kind === 'connecting' && <p role="status">Connecting to {config.brokers.length > 0 ? config.brokers.join(', ') : 'the broker'}…</p>}
        {connection.kind === 'failed' &&
          (needsCredentials(connection.error) ? (
            <SignIn error={credentials ? connection.error : null} onSubmit={setCredentials} />
          ) : (
            <ConnectFailed error={connection.error} onRetry={() => setAttempt((n) => n + 1)} />
          ))}
        {connection.kind === 'ready' && <Page route={route} session={connection.session} monitor={connection.monitor} />}
      </Main>
      {connection.kind === 'ready' && (
        <footer class="bottom">
          Connected to <code>{connection.session.brokers.join(', ')}</code> · refreshed every {config.refreshMs / 1000} s
        </footer>
      )}
    </>
  );
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function Nav({ route }: { route: Route }) {
  const items = [
    { label: 'Overview', href: routeHref({ page: 'overview' }), current: route.page === 'overview' },
    { label: 'Topics', href: routeHref({ page: 'topics' }), current: route.page === 'topics' || route.page === 'topic' },
    { label: 'Consumer groups', href: routeHref({ page: 'groups' }), current: route.page === 'groups' || route.page === 'group' },
  ];
  return (
    <nav aria-label="Main">
      <ul>
        {items.map((i) => (
          <li key={i.href}>
            <a href={i.href} aria-current={i.current ? 'page' : undefined}>
              {i.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function titleOf(route: Route): string {
  switch (route.page) {
    case 'overview':
      return 'Overview';
    case 'topics':
      return 'Topics';
    case 'topic':
      return `Topic ${route.topic}`;
    case 'groups':
      return 'Consumer groups';
    case 'group':
      return `Group ${route.group}`;
    case 'not-found':
      return 'Not found';
  }
}

function Main({ route, children }: { route: Route; children: preact.ComponentChildren }) {
  const ref = useRef<HTMLElement>(null);
  const first = useRef(true);
  const key = JSON.stringify(route);
  useEffect(() => {
    document.title = `${titleOf(route)} · Strata console`;
    if (first.current) first.current = false;
    else ref.current?.focus();
  }, [key]);
  return (
    <main id="main" ref={ref} tabIndex={-1}>
      {children}
    </main>
  );
}

function Page({ route, session, monitor }: { route: Route; session: Session; monitor: Monitor }) {
  switch (route.page) {
    case 'overview':
      return <OverviewPage monitor={monitor} />;
    case 'topics':
      return <TopicsPage session={session} monitor={monitor} />;
    case 'topic':
      return <TopicDetailPage key={route.topic} session={session} monitor={monitor} topic={route.topic} />;
    case 'groups':
      return <GroupsPage monitor={monitor} />;
    case 'group':
      return <GroupDetailPage key={route.group} session={session} monitor={monitor} group={route.group} />;
    case 'not-found':
      return (
        <>
          <h1>Not found</h1>
          <p>
            The console has no page <code>{route.hash}</code>. <a href={routeHref({ page: 'overview' })}>Go to the overview</a>
          </p>
        </>
      );
  }
}

function ConnectFailed({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <>
      <h1>Cannot connect</h1>
      <p role="alert">{errorText(error)}</p>
      <button type="button" onClick={onRetry}>
        Try again
      </button>
    </>
  );
}

/**
 * The broker asks clients to authenticate: a SCRAM user name and password (the mechanisms the
 * SDK speaks in a browser). Nothing of the cluster is shown until they are accepted; a refusal is
 * shown above the form. The password stays in this page's memory.
 */
function SignIn({ error, onSubmit }: { error: unknown; onSubmit: (c: Credentials) => void }) {
  const [mechanism, setMechanism] = useState<Credentials['mechanism']>('scram-sha-256');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  return (
    <>
      <h1>Sign in</h1>
      <p>This broker asks clients to authenticate.</p>
      {error !== null && <p role="alert">{errorText(error)}</p>}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit({ mechanism, username, password });
        }}
      >
        <label>
          User name
          <input name="username" autoComplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
        <label>
          Mechanism
          <select name="mechanism" value={mechanism} onChange={(e) => setMechanism(e.currentTarget.value as Credentials['mechanism'])}>
            <option value="scram-sha-256">SCRAM-SHA-256</option>
            <option value="scram-sha-512">SCRAM-SHA-512</option>
          </select>
        </label>
        <button type="submit">Sign in</button>
      </form>
    </>
  );
}
