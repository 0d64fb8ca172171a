/**
 * The web console end to end: a real broker in-process serving the built console at /console/,
 * real headless Chromium driving it, the SDK (Node entry) making the data and checking what the
 * pages say against the Admin API.
 *
 * With STRATA_SCREENSHOTS=1 the run also writes a screenshot of each page to docs/images/ (off in
 * CI, so tests never change the work tree).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type RunningBroker } from '@strata/broker';
import { Strata, silentLogger, type Admin, type Consumer, type Producer } from '@strata/client';
import type { Page } from 'playwright-core';
import { eventually, openBrowser, type TestBrowser } from './helpers/browser';

const SCREENSHOTS = process.env['STRATA_SCREENSHOTS'] === '1';
const IMAGES = join(__dirname, '..', '..', '..', 'docs', 'images');

const ORDERS = 30;
const CONSUMED = 12;
const BLOBS = [new Uint8Array([0x00, 0xff, 0x10, 0x80, 0x7f]), new Uint8Array([0xde, 0xad, 0xbe, 0xef]), new Uint8Array([0x01, 0x02, 0x03])];
const order = (i: number) => ({ id: i, item: ['lamp', 'desk', 'chair'][i % 3], qty: (i % 4) + 1, express: i % 5 === 0 });

jest.setTimeout(120_000);

describe('web console', () => {
  let dataDir: string;
  let broker: RunningBroker;
  let strata: Strata;
  let admin: Admin;
  let producer: Producer;
  let member: Consumer;
  let browser: TestBrowser;
  let page: Page;
  let origin: string;

  const open = async (hash: string) => {
    await page.goto(`${origin}/console/${hash}`);
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  };
  /** A screenshot of the whole page, or of the window scrolled to `heading`. */
  const shoot = async (name: string, heading?: string) => {
    if (!SCREENSHOTS) return;
    if (heading) await page.getByRole('heading', { name: heading }).evaluate((h) => h.scrollIntoView());
    await page.screenshot({ path: join(IMAGES, `console-${name}.png`), fullPage: heading === undefined });
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strata-console-e2e-'));
    broker = await startBroker({ dataDir, port: 0, config: { 'log.level': 'warn' } });
    origin = `http://127.0.0.1:${broker.port}`;
    strata = new Strata({ brokers: [broker.url], logger: silentLogger });
    admin = strata.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: 'orders', numPartitions: 3 },
        { topic: 'blobs', numPartitions: 1 },
        { topic: 'customers', numPartitions: 2, configs: { 'cleanup.policy': 'compact' } },
      ],
    });
    producer = strata.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: Array.from({ length: ORDERS }, (_, i) => ({ key: `order-${i}`, value: JSON.stringify(order(i)), headers: { source: 'e2e' } })) });
    await producer.send({ topic: 'blobs', messages: BLOBS.map((value) => ({ value, partition: 0 })) });
    await producer.send({ topic: 'customers', messages: [{ key: 'c-1', value: 'Ada Lovelace' }] });

    // A group that falls behind: it reads CONSUMED orders, commits them and leaves (empty, with lag).
    const billing = strata.consumer({ groupId: 'billing', autoCommit: false });
    await billing.connect();
    billing.subscribe({ topics: ['orders'], fromBeginning: true });
    let read = 0;
    for await (const m of billing) {
      await billing.commitOffsets([{ topic: m.topic, partition: m.partition, offset: m.offset + 1 }]);
      if (++read === CONSUMED) break;
    }
    await billing.disconnect();
    // A group with a live member that keeps up, for the members table and the records-out chart.
    member = strata.consumer({ groupId: 'archiver', sessionTimeoutMs: 10_000, autoCommitInterval: 500 });
    await member.connect();
    member.subscribe({ topics: ['blobs', 'orders'], fromBeginning: true });
    await member.run({ eachMessage: async () => undefined });

    browser = await openBrowser();
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await member?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await broker?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists the topics with the record counts the broker has', async () => {
    await open('#/topics');
    const { topics } = await admin.describeTopics();
    const expected = Object.fromEntries(topics.filter((t) => !t.isInternal).map((t) => [t.name, t.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0)]));
    expect(expected).toEqual({ orders: ORDERS, blobs: BLOBS.length, customers: 1 });
    for (const [name, records] of Object.entries(expected)) {
      await eventually(async () => expect(await page.locator(`tr[data-topic="${name}"] [data-col="records"]`).textContent()).toBe(String(records)));
    }
    expect(await page.locator('tr[data-topic="customers"]').textContent()).toContain('compact');
    await shoot('topics');
  });

  it('shows the overview: the broker, the topic count and the disk used per topic', async () => {
    await open('#/');
    const main = page.getByRole('main');
    await eventually(async () => expect(await main.getByRole('table', { name: 'Brokers' }).textContent()).toContain(broker.url));
    expect(await main.locator('.facts').textContent()).toContain('Topics3');
    expect(await main.getByRole('table', { name: 'Disk used per topic' }).textContent()).toContain('orders');
    if (SCREENSHOTS) {
      // Data flowing while the chart fills (screenshot runs only).
      for (let i = 0; i < 24; i++) {
        await producer.send({ topic: 'orders', messages: Array.from({ length: 20 + ((i * 7) % 30) }, (_, j) => ({ key: `live-${i}-${j}`, value: JSON.stringify(order(j)) })) });
        await page.waitForTimeout(500);
      }
    }
    await shoot('overview');
  });

  it('browses records: JSON pretty-printed with headers, binary as hex', async () => {
    await open('#/topics/orders');
    const described = (await admin.describeTopics({ topics: ['orders'] })).topics[0]!;
    const partition = described.partitions.find((p) => p.highWatermark > 0)!.partition;
    const browser = page.getByRole('region', { name: 'Messages' });
    await browser.getByLabel('Partition').selectOption(String(partition));
    await browser.getByRole('button', { name: 'Read messages' }).click();
    const first = page.locator('li.record[data-offset="0"]');
    await first.waitFor();
    const key = await first.locator('.bytes-key pre').textContent();
    const id = Number(/^order-(\d+)$/.exec(key ?? '')![1]);
    expect(await first.locator('.bytes-value pre').getAttribute('data-view')).toBe('json');
    expect(await first.locator('.bytes-value pre').textContent()).toBe(JSON.stringify(order(id), null, 2));
    expect(await first.locator('.headers').textContent()).toContain('source');
    await shoot('messages', 'Messages');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shoot('topic', 'Topic orders');

    await open('#/topics/blobs');
    await page.getByRole('button', { name: 'Read messages' }).click();
    await page.locator('li.record').nth(BLOBS.length - 1).waitFor();
    const shown = await page.locator('li.record .bytes-value pre').allTextContents();
    const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
    expect(shown).toEqual(BLOBS.map(hex));
    expect(await page.locator('li.record .bytes-value pre').first().getAttribute('data-view')).toBe('hex');
  });

  it('shows the lag per partition that the admin API reports', async () => {
    const group = await admin.describeGroup('billing');
    expect(group.state).toBe('empty');
    const total = group.offsets.reduce((n, o) => n + o.lag, 0);
    await open('#/groups/billing');
    // It read CONSUMED of ORDERS records: behind (lag counts only the partitions it committed).
    expect(group.offsets.length).toBeGreaterThan(0);
    expect(total).toBeGreaterThan(0);
    await eventually(async () => expect(await page.getByTestId('total-lag').textContent()).toBe(total.toLocaleString('en-US')));
    for (const o of group.offsets) {
      expect(await page.locator(`tr[data-partition="orders-${o.partition}"] [data-col="lag"]`).textContent()).toBe(o.lag.toLocaleString('en-US'));
    }
    await shoot('group');
    await open('#/groups');
    await eventually(async () => expect(await page.locator('tr[data-group="billing"] [data-col="lag"]').textContent()).toBe(total.toLocaleString('en-US')));
    await eventually(async () => expect(await page.locator('tr[data-group="archiver"]').textContent()).toContain('stable'));
    await shoot('groups');
  });

  it('resets the offsets of the empty group to the latest', async () => {
    await open('#/groups/billing');
    const reset = page.getByRole('region', { name: 'Reset offsets' });
    await reset.getByLabel('To', { exact: true }).selectOption('latest');
    await reset.getByRole('button', { name: 'Reset offsets…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reset offsets' }).click();
    await eventually(async () => expect(await page.getByTestId('total-lag').textContent()).toBe('0'));
    expect((await admin.describeGroup('billing')).offsets.map((o) => o.lag)).toEqual([0, 0, 0]);
  });

  it('creates a topic from the form and deletes it after confirmation', async () => {
    await open('#/topics');
    await page.getByText('Create a topic').click();
    await page.getByLabel('Name').fill('made-in-console');
    await page.getByLabel('Partitions').fill('4');
    await page.getByRole('button', { name: 'Create topic' }).click();
    await page.locator('tr[data-topic="made-in-console"]').waitFor();
    expect((await admin.describeTopics({ topics: ['made-in-console'] })).topics[0]!.partitions).toHaveLength(4);

    await page.getByRole('button', { name: 'Delete topic made-in-console' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete topic made-in-console?' });
    const confirm = dialog.getByRole('button', { name: 'Delete topic' });
    expect(await confirm.isDisabled()).toBe(true); // until the name is typed
    await dialog.getByLabel('Type made-in-console to confirm').fill('made-in-console');
    await confirm.click();
    await page.locator('tr[data-topic="made-in-console"]').waitFor({ state: 'detached' });
    expect(await admin.listTopics()).not.toContain('made-in-console');
  });

  it('produces a test message that the browser then shows', async () => {
    const before = (await admin.fetchTopicOffsets('customers')).find((p) => p.partition === 1)!.high;
    await open('#/topics/customers');
    const form = page.getByRole('region', { name: 'Produce a test message' });
    await form.getByLabel('Partition').selectOption('1');
    await form.getByLabel('Key (empty: none)').fill('c-2');
    await form.getByLabel('Value', { exact: true }).fill('{"name":"Grace Hopper"}');
    await form.getByRole('button', { name: 'Send message' }).click();
    await eventually(async () => expect(await form.getByRole('status').textContent()).toBe(`Written to partition 1 at offset ${before}.`));
    expect((await admin.fetchTopicOffsets('customers')).find((p) => p.partition === 1)!.high).toBe(before + 1);
  });

  it('is usable with the keyboard: a skip link first, Escape closes a dialog', async () => {
    await open('#/topics');
    await page.reload(); // a fresh load: focus starts at the top of the document
    await page.getByRole('table', { name: 'Topics' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.getByRole('button', { name: 'Delete topic orders' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await admin.listTopics()).toContain('orders');
  });

  it('fits a narrow window: the page never scrolls sideways', async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    for (const hash of ['#/', '#/topics', '#/topics/orders', '#/groups/billing']) {
      await open(hash);
      await page.getByRole('heading', { level: 1 }).waitFor();
      const wide = await page.evaluate(() =>
        Array.from(document.querySelectorAll('body *')).filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-region')).map((e) => `${e.tagName}.${e.className}`),
      );
      expect([hash, wide]).toEqual([hash, []]);
      expect([hash, await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)]).toEqual([hash, true]);
    }
    await open('#/topics');
    await shoot('narrow');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('logged no error and requested nothing but the broker', () => {
    expect(browser.errors).toEqual([]);
    const foreign = browser.requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(`ws://127.0.0.1:${broker.port}`) && !url.startsWith('data:'));
    expect(foreign).toEqual([]);
    expect(browser.requests.some((url) => url.startsWith('ws://'))).toBe(true);
  });
});
