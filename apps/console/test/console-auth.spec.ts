/**
 * The console against a broker that requires SCRAM: nothing of the cluster is shown before a
 * sign-in is accepted, a wrong password is refused with the broker's answer, and the right one
 * opens the pages with that user's rights. Real broker in-process, real headless Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';
import { Strata, silentLogger } from '@strata/client';
import { eventually, openBrowser, type TestBrowser } from './helpers/browser';

jest.setTimeout(120_000);

describe('web console with authentication', () => {
  let dataDir: string;
  let broker: RunningBroker;
  let browser: TestBrowser;
  let origin: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strata-console-auth-'));
    // Users are created on the broker before it requires authentication (docs/security.md).
    const open = await startBroker({ dataDir, port: 0, config: { 'log.level': 'warn' } });
    const setup = new Strata({ brokers: [open.url], logger: silentLogger }).admin();
    await setup.connect();
    await setup.upsertUser({ user: 'operator', password: 'operator-secret' });
    await setup.createTopics({ topics: [{ topic: 'payments', numPartitions: 2 }] });
    await setup.disconnect();
    await open.close();
    broker = await startBroker({
      dataDir,
      port: 0,
      config: { 'log.level': 'warn', 'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512', 'authorizer.enable': true, 'super.users': 'User:operator', 'auth.failure.max.attempts': 0 },
    });
    origin = `http://127.0.0.1:${broker.port}`;
    browser = await openBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for credentials and shows nothing of the cluster before they are accepted', async () => {
    const page = browser.page;
    await page.goto(`${origin}/console/#/topics`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain('payments');
  });

  it('refuses a wrong password with the broker\'s answer and stays signed out', async () => {
    const page = browser.page;
    await page.getByLabel('User name').fill('operator');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await eventually(async () => expect(await page.getByRole('alert').textContent()).toMatch(/SASL_AUTHENTICATION_FAILED|authentication failed/i));
    expect(await page.getByRole('navigation', { name: 'Main' }).count()).toBe(0);
  });

  it('opens the pages once the right password is given', async () => {
    const page = browser.page;
    await page.getByLabel('User name').fill('operator');
    await page.getByLabel('Password').fill('operator-secret');
    await page.getByLabel('Mechanism').selectOption('scram-sha-512');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await eventually(async () => expect(await page.locator('tr[data-topic="payments"]').count()).toBe(1));
  });
});
