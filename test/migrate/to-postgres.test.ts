// `migrate --to postgres://…`: a SQLite data directory copied into PostgreSQL by the real CLI (a child process):
// runs as stored, ledgers byte for byte with their hashes (chains verify on the copy), commands with their seq and
// outcome, the cursor, artifacts with their bytes. A second copy copies nothing; a gateway started on the copy
// answers a run that was waiting in the SQLite data directory.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { graphWorkflow } from '../../src/runtime/graph.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { Proc } from '../../scripts/soak/gateway.ts';
import { createHarness, tempDir } from '../support/harness.ts';
import { describePg, freshDatabase, type FreshDatabase } from '../support/pg.ts';
import { eventually } from '../support/clock.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { BUNDLE_ID, BUNDLE_VERSION, soakBundle } from '../../scripts/soak/workload.ts';

const CLI = join(import.meta.dir, '../../src/cli.ts');
const ask = graphWorkflow('ask', 'ask', {
  ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'Name?' }, result_key: 'answer' }, next_node: 'done' }),
  done: (run) => ({ complete_output: { answer: run.vars.answer } }),
});
const steps = graphWorkflow('steps', 'a', {
  a: () => ({ effect: { type: 'answer_user', payload: { message: 'one' }, result_key: null }, next_node: 'b' }),
  b: () => ({ effect: { type: 'answer_user', payload: { message: 'two' }, result_key: null }, next_node: 'c' }),
  c: (run) => ({ complete_output: { ok: true, n: run.vars.n } }),
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([process.execPath, CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdout: 'pipe', stderr: 'pipe' });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

const TOKEN = `t-${crypto.randomUUID()}`;
const AUTH = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
function gatewayEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('ABSTRACTGATEWAY_')) env[k] = v;
  return { ...env, NO_COLOR: '1', ABSTRACTGATEWAY_AUTH_TOKEN: TOKEN, ABSTRACTGATEWAY_POLL_S: '0.05', ...extra };
}

describePg('migrate --to postgres', () => {
  const dir = tempDir('ag-mig-pg-');
  let db: FreshDatabase;
  let askId = '';
  const ids: string[] = [];
  let artifactId = '';

  beforeAll(async () => {
    db = await freshDatabase('migto');
    const h = createHarness({ workflows: [ask, steps], path: join(dir.path, 'gateway.sqlite3') });
    for (let i = 0; i < 5; i++) {
      const r = await h.runtime.start('steps', { vars: { n: i } });
      await h.runToEnd(r.run_id);
      ids.push(r.run_id);
    }
    const waitingId = (await h.runtime.start('ask')).run_id;
    await h.runToEnd(waitingId);
    ids.push(waitingId);
    await h.store.commands.append({ command_id: 'old-1', run_id: ids[0]!, type: 'pause' });
    await h.store.commands.setOutcome(1, 'rejected', 'Run is not running');
    await h.store.commands.saveCursor(1);
    artifactId = (await h.store.artifacts.put(Buffer.from('bytes of a note'), { runId: ids[1]!, contentType: 'text/plain', tags: { kind: 'note' } })).artifact_id;
    await h.close();
    // A real bundle's ask run, waiting in the SQLite data dir, started by a real gateway (it runs on the copy later).
    mkdirSync(join(dir.path, 'flows'), { recursive: true });
    writeFileSync(join(dir.path, 'flows', `${BUNDLE_ID}.flow`), soakBundle());
    const serve = new Proc(['serve', '--port', '0', '--quiet', '--data-dir', dir.path], gatewayEnv({}));
    try {
      const url = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const res = await fetch(`${url}/api/gateway/runs/start`, { method: 'POST', headers: AUTH, body: JSON.stringify({ bundle_id: `${BUNDLE_ID}@${BUNDLE_VERSION}`, flow_id: 'ask', input_data: {} }) });
      askId = ((await res.json()) as { run_id: string }).run_id;
      await eventually(async () => ((await (await fetch(`${url}/api/gateway/runs/${askId}`, { headers: AUTH })).json()) as { status: string }).status === 'waiting', 20_000, 'the ask run waits');
    } finally {
      await serve.kill('SIGTERM');
    }
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
    dir.cleanup();
  });

  test('copies everything with its hashes, idempotently, and the copy runs', async () => {
    const first = await cli(['migrate', '--to', db.url, '--data-dir', dir.path, '--json']);
    expect(first.code).toBe(0);
    const s = JSON.parse(first.out);
    expect(s.runs).toMatchObject({ copied: 7, updated: 0 });
    expect(s.commands).toMatchObject({ copied: 1 });
    expect(s.cursor.after).toBe(1);
    expect(s.artifacts).toMatchObject({ copied: 1 });
    expect(s.ledger.diverged).toEqual([]);

    const src = await openStore({ backend: 'sqlite', dbPath: join(dir.path, 'gateway.sqlite3') });
    const dst: Store = await openStore({ backend: 'postgres', databaseUrl: db.url, poolMax: 2 });
    try {
      for (const id of [...ids, askId]) {
        expect(await dst.runs.get(id)).toEqual((await src.runs.get(id))!);
        expect(await dst.ledger.listRawAfter(id, 0, 1000)).toEqual(await src.ledger.listRawAfter(id, 0, 1000));
        expect(await dst.ledger.verify(id)).toEqual(await src.ledger.verify(id));
        expect((await dst.ledger.verify(id)).ok).toBe(true);
      }
      expect(await dst.commands.get('old-1')).toEqual((await src.commands.get('old-1'))!);
      expect(await (await dst.artifacts.content(artifactId))!.text()).toBe('bytes of a note');
      expect((await dst.artifacts.meta(artifactId))!.tags).toEqual({ kind: 'note' });
    } finally {
      await src.close();
      await dst.close();
    }

    const again = await cli(['migrate', '--to', db.url, '--data-dir', dir.path, '--json']);
    expect(again.code).toBe(0);
    const s2 = JSON.parse(again.out);
    expect(s2.runs).toMatchObject({ copied: 0, updated: 0, unchanged: 7 });
    expect(s2.ledger.records).toBe(0);
    expect(s2.commands.copied).toBe(0);
    expect(s2.artifacts.copied).toBe(0);

    // A gateway on the copy: the run that waited in SQLite is answered over HTTP and completes.
    const env = gatewayEnv({ ABSTRACTGATEWAY_STORE_BACKEND: 'postgres', ABSTRACTGATEWAY_DATABASE_URL: db.url });
    const serve = new Proc(['serve', '--port', '0', '--quiet', '--data-dir', join(dir.path, 'pg-node'), '--flows-dir', join(dir.path, 'flows')], env);
    try {
      const url = (await serve.waitFor(/listening on (http:\/\/\S+)/))[1]!;
      const auth = AUTH;
      const res = await fetch(`${url}/api/gateway/commands`, { method: 'POST', headers: auth, body: JSON.stringify({ command_id: 'answer', run_id: askId, type: 'resume', payload: { payload: { response: 'pg' } } }) });
      expect(res.status).toBe(200);
      const runOf = async () => (await (await fetch(`${url}/api/gateway/runs/${askId}`, { headers: auth })).json()) as { status: string; output: unknown };
      await eventually(async () => (await runOf()).status === 'completed', 20_000, 'the copied run completes');
      expect((await runOf()).output).toMatchObject({ name: 'pg' });
    } finally {
      await serve.kill('SIGTERM');
    }
  }, 60_000);

  test('usage errors say what to do', async () => {
    const both = await cli(['migrate', '--to', db.url, '--from', dir.path]);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--from and --to are two different migrations');
    const notPg = await cli(['migrate', '--to', 'mysql://x', '--data-dir', dir.path]);
    expect(notPg.code).toBe(2);
    expect(notPg.err).toContain('is not a PostgreSQL URL');
  });
});
