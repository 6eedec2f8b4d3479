import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { graphWorkflow } from '../../src/runtime/graph.ts';
import { startGateway, waitFor, type TestGateway } from './support.ts';

let gw: TestGateway;
beforeAll(async () => { gw = await startGateway(); });
afterAll(() => gw.close());

const submit = (body: unknown) => gw.post('/api/gateway/commands', body);

describe('POST /commands', () => {
  test('accepted with a store seq; duplicate command_id appends nothing and returns the original seq', async () => {
    const a = await submit({ command_id: 'c-1', run_id: 'r1', type: 'pause', payload: { reason: 'x' }, client_id: 'web' });
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ accepted: true, duplicate: false, seq: expect.any(Number) });
    const dup = await submit({ command_id: 'c-1', run_id: 'other', type: 'cancel' });
    expect(dup.body).toEqual({ accepted: false, duplicate: true, seq: a.body.seq });
    expect(await gw.store.commands.lastSeq()).toBe(a.body.seq);
    const stored = (await gw.store.commands.get('c-1'))!;
    expect(stored).toMatchObject({ run_id: 'r1', type: 'pause', payload: { reason: 'x' }, client_id: 'web' });
  });

  test('empty command_id → generated id (no idempotency)', async () => {
    const a = await submit({ command_id: '', run_id: 'r1', type: 'resume' });
    const b = await submit({ command_id: '', run_id: 'r1', type: 'resume' });
    expect(a.body.accepted && b.body.accepted).toBe(true);
    expect(b.body.seq).toBeGreaterThan(a.body.seq);
  });

  test('bad type → 400 listing the types (case-sensitive)', async () => {
    const r = await submit({ command_id: 'c-2', run_id: 'r1', type: 'Pause' });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe('type must be one of pause|resume|cancel|emit_event|update_schedule|compact_memory');
  });

  test('empty run_id → 400 "Failed to append command: ..."', async () => {
    const r = await submit({ command_id: 'c-3', run_id: '  ', type: 'pause' });
    expect(r.status).toBe(400);
    expect(r.body.detail).toStartWith('Failed to append command: ');
  });

  test('missing command_id → 422; non-object payload → 422, each naming the field', async () => {
    const m = await submit({ run_id: 'r1', type: 'pause' });
    expect(m.status).toBe(422);
    expect(m.body.detail).toContain("'command_id'");
    const p = await submit({ command_id: 'c-4', run_id: 'r1', type: 'pause', payload: [1] });
    expect(p.status).toBe(422);
    expect(p.body.detail).toContain("'payload'");
  });
});

describe('GET /commands/{command_id}', () => {
  test('pending until applied, then the durable outcome', async () => {
    const a = await submit({ command_id: 'c-out', run_id: 'r9', type: 'cancel' });
    const p = await gw.json('/api/gateway/commands/c-out');
    expect(p.body).toEqual({ command_id: 'c-out', seq: a.body.seq, status: 'pending', reason: null });
    await gw.store.tx(() => gw.store.commands.setOutcome(a.body.seq, 'rejected', "Run 'r9' not found"));
    const q = await gw.json('/api/gateway/commands/c-out');
    expect(q.body).toEqual({ command_id: 'c-out', seq: a.body.seq, status: 'rejected', reason: "Run 'r9' not found" });
  });

  test('unknown command → 404', async () => {
    const r = await gw.json('/api/gateway/commands/nope');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('command_not_found');
  });
});

// Bun sends socket writes on its next turn of the event loop, not at the write. The runner is woken by commits
// made inside request handlers and must let the loop turn before ticking, or the SSE bytes of a command's commit
// wait for the tick. The test blocks the tick synchronously until a client in another process has seen the
// resume record, which it cannot unless the bytes left first (the wait then gives up after 10 s and it fails).
describe('the runner works in tasks of its own', () => {
  const blockUntil = (file: string) => {
    const until = Date.now() + 10_000;
    while (!existsSync(file) && Date.now() < until) Bun.sleepSync(1);
    return existsSync(file);
  };
  const child = (code: string) => Bun.spawn([process.execPath, '-e', code], { stdout: 'pipe', stderr: 'inherit' });

  test("a resume's record reaches SSE before the runner ticks the resumed run", async () => {
    let seen = '';
    const gate = graphWorkflow('gate@0.0.1:root', 'ask', {
      ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'go?' }, result_key: 'answer' }, next_node: 'hold' }),
      hold: () => ({ complete_output: { client_saw_resume: blockUntil(seen) } }),
    });
    const g = await startGateway({ runner: true, workflows: [gate] });
    try {
      seen = join(g.dataDir, 'resume-seen');
      const run = await g.runtime.start('gate@0.0.1:root');
      await waitFor(() => g.store.runs.get(run.run_id), (r) => r?.status === 'waiting');
      const client = child(`
        const res = await fetch(${JSON.stringify(g.url(`/api/gateway/runs/${run.run_id}/ledger/stream?after=0`))});
        const reader = res.body.getReader();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) process.exit(3);
          text += new TextDecoder().decode(value);
          if (text.includes('"ask_user"')) console.log('ready');
          if (text.includes('"resume"')) break;
        }
        require('node:fs').writeFileSync(${JSON.stringify(seen)}, 'yes');
        process.exit(0);`);
      const out = client.stdout.getReader();
      await out.read(); // "ready": subscribed, the ask on screen
      await g.post('/api/gateway/commands', { command_id: 'c-gate', run_id: run.run_id, type: 'resume', payload: { payload: { go: true } } });
      expect(await client.exited).toBe(0);
      const done = await waitFor(() => g.store.runs.get(run.run_id), (r) => r?.status === 'completed', 15_000);
      expect(done!.output).toEqual({ client_saw_resume: true });
    } finally {
      await g.close();
    }
  });
});
