// The web console end to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): a real
// gateway (runner + HTTP + security, the example bundles seeded as `npm start` does) on 127.0.0.1, one browser
// shared by the tests, each test in a fresh context. Does what a person does: wrong token, sign in, start the
// ask example, see it wait, answer, see it complete live; pause/resume/cancel; upload a bundle (drop and file
// picker); create a schedule and change its interval. CONSOLE_SCREENSHOTS=1 also writes docs/console/*.png.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { seedFlows } from '../../src/cli/seed.ts';
import { loadConfig } from '../../src/config.ts';
import { createGateway, type Gateway } from '../../src/gateway.ts';
import type { GatewayApp } from '../../src/http/app.ts';
import { createHttpApp } from '../../src/serve.ts';
import { bundleZip } from '../http/support.ts';
import { HAS_SHARED, SHARED_BUNDLES } from '../support/shared.ts';
import { startStubLlm } from '../support/stub-llm.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser) console.log(`skip: console browser tests need Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

// The agent bundle of the shared conformance data (tool approval test); without ../shared that test skips under
// the conformance data's one skip line (test/support/shared.ts).
const AGENT_BUNDLE = join(SHARED_BUNDLES, 'basic-agent@0.0.1.flow');
const hasAgent = HAS_SHARED && existsSync(AGENT_BUNDLE);

const TOKEN = 'console-e2e-token-0123456789abcdef';
const T = 20_000; // per test (a browser test does many steps)
const SHOTS = process.env.CONSOLE_SCREENSHOTS === '1' ? join(import.meta.dir, '../../docs/console') : null;

let dir: string;
let gw: Gateway;
let app: GatewayApp;
let base: string;
let browser: Browser;

describe.skipIf(!hasBrowser)('web console in Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ag-console-'));
    await seedFlows(join(dir, 'flows'));
    const config = { ...loadConfig({}, { dataDir: dir, flowsDir: join(dir, 'flows') }), pollMs: 50 };
    gw = await createGateway(config, { env: { ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN }, log: () => {} });
    await gw.runner.start();
    app = createHttpApp(gw).app;
    app.listen({ port: 0, hostname: '127.0.0.1' });
    base = `http://127.0.0.1:${app.server!.port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop(true);
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openPage(): Promise<Page> {
    const ctx = await browser.newContext({ viewport: { width: 1360, height: 860 }, colorScheme: 'dark' });
    const page = await ctx.newPage();
    page.setDefaultTimeout(8000);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !/401|Unauthorized|ERR_CONNECTION_REFUSED/.test(m.text())) errors.push(m.text()); });
    (page as Page & { jsErrors: string[] }).jsErrors = errors;
    return page;
  }
  const shot = async (page: Page, name: string) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: name.startsWith('run-') });
  };
  async function signIn(page: Page) {
    await page.goto(`${base}/`);
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
  }

  test('a wrong token shows the error state; the right one signs in and is kept in sessionStorage only', async () => {
    const page = await openPage();
    await page.goto(`${base}/`);
    expect(page.url()).toBe(`${base}/console`);
    await shot(page, 'signin');
    await page.getByLabel('API token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.getAttribute('data-state')).toBe('token');
    expect(await alert.textContent()).toContain('Wrong token');

    // A gateway that does not answer has its own state.
    await page.route('**/api/gateway/bundles', (r) => r.abort('connectionrefused'));
    await page.getByLabel('API token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[role="alert"][data-state="unreachable"]').waitFor();
    await page.unroute('**/api/gateway/bundles');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect(await page.evaluate(() => ({ s: Object.values(sessionStorage), l: Object.values(localStorage) }))).toEqual({ s: [TOKEN], l: ['dark'] });
    expect(page.url()).not.toContain(TOKEN);
    await page.reload(); // same tab: still signed in
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
    await page.context().close();
  }, T);

  test('start the ask example, see it wait, answer, see it complete live', async () => {
    const page = await openPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Start a run' }).click();
    await page.getByLabel('Bundle').selectOption('ask');
    await page.getByRole('textbox', { name: /question/ }).waitFor();
    expect(await page.getByRole('textbox', { name: /question/ }).inputValue()).toBe('What is your name?'); // the pin default
    await page.getByRole('textbox', { name: /question/ }).fill('Who goes there?');
    await shot(page, 'start');
    await page.getByRole('button', { name: 'Start run' }).click();

    await page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
    const runId = decodeURIComponent(page.url().split('/').pop()!);
    const prompt = page.locator('#wait-prompt');
    await prompt.waitFor();
    expect(await prompt.textContent()).toBe('Who goes there?');
    expect(await page.locator('.run-page').getAttribute('data-run-status')).toBe('waiting');
    await page.locator('.graph .node.current.waiting[data-node-id="ask"]').waitFor();
    await page.locator('.timeline .rec[data-status="waiting"]').waitFor();
    await shot(page, 'run-waiting');

    const before = await page.locator('.timeline .rec').count();
    await page.getByRole('textbox', { name: 'Your answer' }).fill('Ada');
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.locator('.run-page[data-run-status="completed"]').waitFor();
    await page.locator('li[data-command-type="resume"][data-command-status="applied"]').waitFor();
    await page.locator('.timeline .rec', { hasText: 'You said: Ada' }).first().waitFor(); // streamed in, no reload
    await page.locator('.live', { hasText: 'complete' }).waitFor();
    // Every record exactly once, in cursor order, equal to the server's ledger.
    const cursors = await page.locator('.timeline .rec').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-cursor'))));
    const ledger = await (await fetch(`${base}/api/gateway/runs/${runId}/ledger?limit=2000`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as { items: unknown[] };
    expect(cursors).toEqual(ledger.items.map((_, i) => i + 1));
    expect(cursors.length).toBeGreaterThan(before);
    expect(await page.locator('#output-h').count()).toBe(1);
    expect(await page.locator('.panel', { has: page.locator('#output-h') }).textContent()).toContain('"answer": "Ada"');
    // The hash chain as the gateway verifies it (GET /runs/{id}/ledger/verify), re-checked once the run ended.
    await page.locator('[data-testid="chain-result"]', { hasText: `Chain intact: ${ledger.items.length} records` }).waitFor();
    await page.locator('.timeline').evaluate((el) => { el.scrollTop = 0; });
    await shot(page, 'run-completed');

    await page.getByRole('link', { name: 'Runs', exact: true }).click();
    const row = page.locator(`tr[data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-status]').first().getAttribute('data-status')).toBe('completed');
    expect(await row.locator('code.id').first().textContent()).toBe(`…${runId.slice(-12)}`); // the distinguishing tail
    await page.keyboard.press('/'); // keyboard: `/` focuses the id search
    await page.keyboard.type(runId.slice(-12));
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'contains' }).waitFor();
    expect(await page.locator('tbody tr[data-run-id]').count()).toBe(1);
    await page.getByRole('button', { name: 'Switch to light theme' }).click();
    await page.locator('html[data-theme="light"]').waitFor({ state: 'attached' });
    expect(await page.evaluate(() => localStorage.getItem('abstractgateway.console.theme'))).toBe('light'); // remembered
    expect((page as Page & { jsErrors: string[] }).jsErrors).toEqual([]);
    await page.context().close();
  }, T);

  test('the list updates live; the timeline survives a broken stream without gaps or duplicates', async () => {
    const page = await openPage();
    await signIn(page);
    const api = (path: string, body?: unknown) => fetch(`${base}/api/gateway${path}`, {
      method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    }).then((r) => r.json() as Promise<any>);
    const { run_id: runId } = await api('/runs/start', { bundle_id: 'ask', input_data: { question: 'Again?' } });
    const row = page.locator(`tr[data-run-id="${runId}"]`); // appears without a reload
    await row.locator('[data-status="waiting"]').waitFor();

    // The first stream answers a duplicate of a record already replayed, then one from the future, then drops.
    const streams: string[] = [];
    let first = true;
    await page.route('**/ledger/stream**', async (route) => {
      streams.push(new URL(route.request().url()).searchParams.get('after')!);
      if (!first) return route.continue();
      first = false;
      const fake = (cursor: number, node: string) => `id: ${cursor}\nevent: step\ndata: ${JSON.stringify({ cursor, record: { run_id: runId, node_id: node, status: 'completed', step_id: 'x', started_at: new Date().toISOString() } })}\n\n`;
      await route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: fake(2, 'DUPLICATE') + fake(9, 'FUTURE') });
    });
    await row.locator('a').first().click();
    await page.locator('#wait-prompt', { hasText: 'Again?' }).waitFor();
    for (let i = 0; i < 100 && streams.length < 2; i++) await Bun.sleep(50); // the client reconnects by itself
    expect(streams).toEqual(['2', '2']); // after the replayed records; the broken stream added nothing: same cursor
    await page.locator('.live', { hasText: 'live' }).waitFor();
    await api('/commands', { command_id: crypto.randomUUID(), run_id: runId, type: 'resume', payload: { payload: { response: 'Yes' } } });
    await page.locator('.run-page[data-run-status="completed"]').waitFor();
    await page.locator('.live', { hasText: 'complete' }).waitFor();
    const cursors = await page.locator('.timeline .rec').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-cursor'))));
    const ledger = await api(`/runs/${runId}/ledger?limit=2000`);
    expect(cursors).toEqual(ledger.items.map((_: unknown, i: number) => i + 1));
    expect(await page.locator('.timeline').textContent()).not.toMatch(/DUPLICATE|FUTURE/);
    await page.context().close();
  }, T);

  test('pause, resume, emit an event, cancel a run, each with its durable outcome', async () => {
    const page = await openPage();
    await signIn(page);
    await page.goto(`${base}/console#/start?bundle=countdown`);
    await page.getByRole('spinbutton', { name: /delay/ }).fill('60');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/#\/runs\//);
    await page.locator('.run-page[data-run-status="waiting"]').waitFor(); // waiting 60 s between steps

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('li[data-command-type="pause"][data-command-status="applied"]').waitFor();
    await page.locator('#run-status [data-status="paused"]').waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.locator('li[data-command-type="resume"][data-command-status="applied"]').waitFor();
    await page.locator('#run-status [data-status="paused"]').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Emit event…' }).click();
    await page.getByRole('textbox', { name: 'Event name' }).fill('console.ping');
    await page.getByRole('textbox', { name: 'Payload (JSON)' }).fill('{"text": "hi"}');
    await page.getByRole('button', { name: 'Emit', exact: true }).click();
    await page.locator('li[data-command-type="emit_event"][data-command-status="applied"]').waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('li[data-command-type="cancel"][data-command-status="applied"]').waitFor();
    await page.locator('.run-page[data-run-status="cancelled"]').waitFor();
    expect(await page.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
    await page.context().close();
  }, T);

  test('upload a bundle by drag and drop and with the file picker; it can then be started', async () => {
    const page = await openPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Bundles' }).click();
    await page.locator('[data-entrypoint="ask:ask"]').waitFor();

    const zip = Buffer.from(bundleZip('dropped', '2.0.0'));
    await page.locator('[data-testid="drop-zone"]').evaluate((el, bytes) => { // runs in the page: DOM globals
      const w = globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } }; DragEvent: new (t: string, i: object) => Event };
      const dt = new w.DataTransfer();
      dt.items.add(new File([new Uint8Array(bytes)], 'dropped@2.0.0.flow'));
      el.dispatchEvent(new w.DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, [...zip]);
    await page.getByRole('status').filter({ hasText: 'Installed dropped@2.0.0' }).waitFor();
    await page.locator('[data-entrypoint="dropped:root"]').waitFor();

    const file = join(dir, 'picked@1.0.0.flow');
    writeFileSync(file, bundleZip('picked', '1.0.0'));
    await page.getByLabel('Upload a .flow bundle').setInputFiles(file);
    await page.locator('[data-entrypoint="picked:root"]').waitFor();
    await shot(page, 'bundles');

    // Uploading the same version again is refused with the gateway's message.
    await page.getByLabel('Upload a .flow bundle').setInputFiles(file);
    await page.getByRole('alert').filter({ hasText: 'already installed' }).waitFor();

    // Deprecate (with a reason), undeprecate, reload, remove.
    const picked = page.locator('[data-entrypoint="picked:root"]');
    page.once('dialog', (d) => void d.accept('retired'));
    await picked.getByRole('button', { name: 'Deprecate' }).click();
    await picked.locator('.badge', { hasText: 'deprecated: retired' }).waitFor();
    await picked.getByRole('button', { name: 'Undeprecate' }).click();
    await picked.getByRole('button', { name: 'Deprecate' }).waitFor();
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.getByRole('status').filter({ hasText: /Reloaded: \d+ bundle/ }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Remove dropped@2.0.0' }).click();
    await page.getByRole('status').filter({ hasText: 'Removed dropped@2.0.0' }).waitFor();
    await page.locator('[data-entrypoint="dropped:root"]').waitFor({ state: 'detached' });
    await page.context().close();
  }, T);

  test('create an interval schedule, see its next fire times, change its interval', async () => {
    const page = await openPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Schedules' }).click();
    await page.getByRole('link', { name: 'New schedule' }).click();
    await page.getByLabel('Bundle').selectOption('hello');
    await page.getByRole('textbox', { name: /^Interval/ }).fill('1h');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.waitForURL(/#\/runs\//);
    const panel = page.locator('.panel', { has: page.locator('#schedule-h') });
    await panel.waitFor();
    expect(await panel.textContent()).toContain('1h');
    await panel.locator('time').first().waitFor(); // a next fire time
    await panel.getByRole('textbox', { name: /^New interval/ }).fill('2h');
    await panel.getByRole('button', { name: 'Change interval' }).click();
    await page.locator('li[data-command-type="update_schedule"][data-command-status="applied"]').waitFor();
    await panel.filter({ hasText: '2h' }).waitFor();
    const runId = decodeURIComponent(page.url().split('/').pop()!);
    await page.getByRole('link', { name: 'Schedules' }).click();
    await page.locator(`tr[data-run-id="${runId}"]`, { hasText: 'every 2h' }).waitFor();

    // A cron schedule in a time zone.
    await page.getByRole('link', { name: 'New schedule' }).click();
    await page.getByLabel('Bundle').selectOption('hello');
    await page.getByRole('radio', { name: 'Cron schedule' }).check();
    await page.getByRole('textbox', { name: /^Cron expression/ }).fill('30 9 * * 1-5');
    await page.getByRole('textbox', { name: /^Time zone/ }).fill('Europe/Paris');
    await page.getByRole('button', { name: 'Create schedule' }).click();
    await page.waitForURL((u) => !u.hash.startsWith('#/start'));
    const cronPanel = page.locator('.panel', { has: page.locator('#schedule-h') });
    await cronPanel.filter({ hasText: 'cron 30 9 * * 1-5 (Europe/Paris)' }).waitFor();
    await cronPanel.locator('time').nth(2).waitFor(); // three next fire times

    if (SHOTS) { // the list with the runs of this file, both themes
      await page.getByRole('link', { name: 'Runs', exact: true }).click();
      await page.locator('tbody tr[data-run-id]').nth(4).waitFor();
      await shot(page, 'runs');
      await page.getByRole('button', { name: 'Switch to light theme' }).click();
      await shot(page, 'runs-light');
    }
    await page.context().close();
  }, T);

  test('"Load more" follows the server cursor: every run once', async () => {
    const h = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    await Promise.all(Array.from({ length: 60 }, (_, i) => fetch(`${base}/api/gateway/runs/start`, {
      method: 'POST', headers: h, body: JSON.stringify({ bundle_id: 'hello', input_data: { name: `n${i}` } }),
    })));
    // Let them finish first: a run updated while the person pages moves to the top of the list.
    for (let i = 0; i < 200; i++) {
      const busy = await (await fetch(`${base}/api/gateway/runs?status=running&limit=1`, { headers: h })).json() as { items: unknown[] };
      if (!busy.items.length) break;
      await Bun.sleep(25);
    }
    const all = await (await fetch(`${base}/api/gateway/runs?root_only=true&limit=500`, { headers: h })).json() as { items: { run_id: string }[] };
    expect(all.items.length).toBeGreaterThanOrEqual(60);
    const page = await openPage();
    await signIn(page);
    const rows = page.locator('tbody tr[data-run-id]');
    await rows.nth(49).waitFor();
    expect(await rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Load more' }).click();
    await rows.nth(all.items.length - 1).waitFor();
    const ids = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-run-id')));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(all.items.map((r) => r.run_id)));
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0); // last page
    await page.context().close();
  }, T);

  test.skipIf(!hasAgent)('an agent asks to call a tool: the call is shown on its child run, approving it completes the run', async () => {
    const stub = startStubLlm();
    const adir = mkdtempSync(join(tmpdir(), 'ag-console-agent-'));
    mkdirSync(join(adir, 'flows'));
    copyFileSync(AGENT_BUNDLE, join(adir, 'flows', 'basic-agent@0.0.1.flow'));
    const config = { ...loadConfig({}, { dataDir: adir, flowsDir: join(adir, 'flows') }), pollMs: 20 };
    const agw = await createGateway(config, {
      env: { ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, LMSTUDIO_BASE_URL: `${stub.url}/v1`, ABSTRACTGATEWAY_TOOL_MODE: 'passthrough' },
      log: () => {},
    });
    await agw.runner.start();
    const aapp = createHttpApp(agw).app;
    aapp.listen({ port: 0, hostname: '127.0.0.1' });
    const abase = `http://127.0.0.1:${aapp.server!.port}`;
    try {
      stub.enqueue({ tool_calls: [{ name: 'list_files', arguments: { directory_path: '.' }, id: 'call_1' }] }, { content: 'The workspace is empty.' });
      const page = await openPage();
      await page.goto(`${abase}/console#/start?bundle=basic-agent`);
      await page.getByLabel('API token').fill(TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('textbox', { name: /prompt/ }).fill('What is in my workspace?');
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.waitForURL(/#\/runs\//);
      const rootUrl = page.url();
      // The root waits for its agent child; the child run tree links to it.
      const child = page.locator('.panel', { has: page.locator('#children-h') }).locator('li', { hasText: 'abstractgateway.agent.react' }).locator('a').first();
      await child.waitFor({ timeout: 15_000 });
      await child.click();
      const wait = page.locator('.panel', { has: page.locator('#wait-h') });
      await wait.filter({ hasText: 'Approve tool calls' }).waitFor({ timeout: 15_000 });
      expect(await wait.textContent()).toContain('list_files');
      expect(await wait.textContent()).toContain('"directory_path": "."');
      await shot(page, 'run-tool-approval');
      await wait.getByRole('button', { name: 'Approve' }).click();
      await page.locator('li[data-command-type="resume"][data-command-status="applied"]').waitFor();
      await page.locator('.run-page[data-run-status="completed"]').waitFor({ timeout: 15_000 });
      await page.locator('.timeline .rec', { hasText: 'tools: list_files ok' }).first().waitFor();
      await page.locator('.timeline .rec', { hasText: '“The workspace is empty.”' }).first().waitFor();
      await page.goto(rootUrl);
      await page.locator('.run-page[data-run-status="completed"]').waitFor({ timeout: 15_000 });
      expect(stub.pending()).toBe(0);
      await page.context().close();
    } finally {
      await aapp.stop(true);
      await agw.close();
      stub.stop();
      rmSync(adir, { recursive: true, force: true });
    }
  }, 40_000);
});
