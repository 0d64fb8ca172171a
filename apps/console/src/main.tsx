/**
 * Entry point of the console bundle: reads config.json from beside index.html, then renders the
 * app into <div id="app">. A config that cannot be read is shown on the page.
 */
import { render } from 'preact';
import { App } from './app';
import { parseConsoleConfig } from './console-config';

async function boot(root: HTMLElement): Promise<void> {
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    const config = parseConsoleConfig(await response.json());
    root.replaceChildren(); // the "Loading" note (render() keeps what it does not own)
    render(<App config={config} />, root);
  } catch (error) {
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = `The console cannot start: ${error instanceof Error ? error.message : String(error)}`;
    root.replaceChildren(p);
  }
}

void boot(document.getElementById('app')!);
