// Runs, the runner process and the command inbox, end to end across real processes sharing one data dir.
import { afterAll, describe, expect, setDefaultTimeout, test } from 'bun:test';

setDefaultTimeout(30_000);
import { Database } from 'bun:sqlite';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { Bg, cli, cliJson, dataDirWithExamples, until } from './helpers.ts';

const tmp = tempDir('ag-cli-runs-');
const { dataDir } = dataDirWithExamples(join(tmp.path, 'data'));
const dd = ['--data-dir', dataDir];
const env = { ABSTRACTGATEWAY_POLL_S: '0.05' };
const bgs: Bg[] = [];
afterAll(async () => {
  await Promise.all(bgs.map((b) => b.stop('SIGKILL')));
  tmp.cleanup();
});
const bg = (args: string[]) => { const b = new Bg(args, { env }); bgs.push(b); return b; };
const status = async (id: string) => (await cliJson(['runs', 'show', id, ...dd])).status as string;

let helloId = '';
let runner1: Bg;

describe('runs and the runner', () => {
  test('start queues a run; nothing runs it until a runner is up', async () => {
    const r = await cli(['runs', 'start', 'hello', '--input', 'name=Ada', ...dd], { env });
    expect(r.code).toBe(0);
    helloId = r.stdout.trim();
    expect(r.stderr).toContain('no runner is active');
    expect(helloId).toMatch(/^[0-9a-f-]{36}$/);
    const list = await cliJson(['runs', 'list', ...dd]);
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ run_id: helloId, status: 'running', workflow_id: 'hello@1.0.0:hello', paused: false }); // a boolean, as over HTTP
    const unknown = await cli(['runs', 'start', 'nope', ...dd], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Bundle 'nope' not found");
  });

  test('a runner process picks it up; tail replays it and exits 0', async () => {
    runner1 = bg(['runner', ...dd]);
    await runner1.waitFor(/runner active for/);
    await until(async () => (await status(helloId)) === 'completed', 'hello to complete');
    const t = await cli(['runs', 'tail', helloId, ...dd]);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('says: Hello, Ada');
    expect(t.stdout).toContain('run completed');
    const nd = await cli(['runs', 'tail', helloId, '--json', ...dd]);
    const records = nd.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records.at(-1)).toMatchObject({ run_id: helloId, effect: { type: 'emit_event' } });
    const show = await cliJson(['runs', 'show', helloId, ...dd]);
    expect(show).toMatchObject({ status: 'completed', output: { greeting: 'Hello, Ada' }, ledger_len: records.length });
  });

  test('a second runner waits, then takes over when the first stops (SIGTERM exits 0)', async () => {
    const runner2 = bg(['runner', ...dd]);
    await runner2.waitFor(/waiting: the runner for .* is held by/);
    expect(await runner1.stop('SIGTERM')).toBe(0);
    expect(runner1.out).toContain('runner stopped');
    await runner2.waitFor(/took over: runner active/);
    // a runner that dies without cleaning up (SIGKILL) is taken over too: its pid is gone
    const runner3 = bg(['runner', ...dd]);
    await runner3.waitFor(/waiting: the runner/);
    await runner2.stop('SIGKILL');
    await runner3.waitFor(/took over: runner active/);
  });

  test('tail renders a user wait; `commands answer` resumes it through the inbox', async () => {
    const start = await cli(['runs', 'start', 'ask', ...dd], { env });
    const askId = start.stdout.trim();
    const tail = bg(['runs', 'tail', askId, ...dd]);
    await tail.waitFor(/asks: What is your name\?/);
    await tail.waitFor(/waiting for an answer: abstractgateway commands answer/);
    const ans = await cli(['commands', 'answer', askId, 'Grace', '--wait', ...dd]);
    expect(ans.code).toBe(0);
    expect(ans.stdout).toMatch(/Queued resume for run .*: seq \d+/);
    expect(ans.stdout).toContain('Outcome: applied');
    expect(await tail.proc.exited).toBe(0);
    expect(tail.out).toContain('says: You said: Grace');
    const again = await cli(['commands', 'answer', askId, 'again', ...dd]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not waiting for input (status completed)');
  });

  test('cancel through the inbox; tail of a cancelled run exits 1', async () => {
    const askId = (await cli(['runs', 'start', 'ask', ...dd], { env })).stdout.trim();
    await until(async () => (await status(askId)) === 'waiting', 'ask to wait');
    const res = await cliJson(['commands', 'cancel', askId, '--reason', 'test', '--wait', ...dd]);
    expect(res).toMatchObject({ accepted: true, type: 'cancel', outcome: { status: 'applied' } });
    expect(await status(askId)).toBe('cancelled');
    const t = await cli(['runs', 'tail', askId, ...dd]);
    expect(t.code).toBe(1);
    expect(t.stdout).toContain('run cancelled');
    const list = await cliJson(['runs', 'list', '--status', 'cancelled', ...dd]);
    expect(list.items.map((r: any) => r.run_id)).toEqual([askId]);
  });

  test('pause and resume through the inbox (typed --input k:=json)', async () => {
    // A wait of an hour: the run is parked on it for the whole test, whatever the machine's load. (That a paused
    // run does not move once its wait is due is a runtime test with a manual clock: test/runtime/clock.test.ts.)
    const id = (await cli(['runs', 'start', 'countdown', '--input', 'delay:=3600', '--input', 'steps:=["a","b","c"]', ...dd], { env })).stdout.trim();
    await until(async () => (await status(id)) === 'waiting', 'countdown to wait');
    const shown = await cliJson(['runs', 'show', id, ...dd]);
    expect(shown.vars).toMatchObject({ delay: 3600, steps: ['a', 'b', 'c'] });
    expect(shown.waiting.reason).toBe('until');
    expect((await cliJson(['commands', 'pause', id, '--reason', 'lunch', '--wait', ...dd])).outcome.status).toBe('applied');
    const paused = await cliJson(['runs', 'show', id, ...dd]);
    expect(paused.vars._runtime.control).toMatchObject({ paused: true, pause_reason: 'lunch' });
    expect((await cli(['runs', 'show', id, ...dd])).stdout).toContain('(paused)');
    expect((await cliJson(['commands', 'resume', id, '--wait', ...dd])).outcome.status).toBe('applied');
    const resumed = await cliJson(['runs', 'show', id, ...dd]);
    expect(resumed.vars._runtime.control.paused).toBeUndefined();
    expect(resumed.vars._runtime.control.resumed_at).toEqual(expect.any(String));
    expect(resumed).toMatchObject({ status: 'waiting', ledger_len: paused.ledger_len });
    expect((await cliJson(['commands', 'cancel', id, '--wait', ...dd])).outcome.status).toBe('applied');
  });

  test('commands are idempotent by --command-id and refuse unknown runs', async () => {
    const a = await cliJson(['commands', 'pause', helloId, '--command-id', 'op-1', ...dd]);
    const b = await cliJson(['commands', 'pause', helloId, '--command-id', 'op-1', ...dd]);
    expect(a).toMatchObject({ accepted: true, duplicate: false });
    expect(b).toMatchObject({ accepted: false, duplicate: true, seq: a.seq });
    const emit = await cliJson(['commands', 'emit', 'ping', '--scope', 'global', '--payload', '{"n": 1}', '--wait', ...dd]);
    expect(emit).toMatchObject({ type: 'emit_event', run_id: 'global', outcome: { status: 'applied', reason: 'delivered to 0 run(s)' } });
    const unknown = await cli(['commands', 'pause', 'no-such-run', ...dd]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Run 'no-such-run' not found");
  });

  test('verify: intact chain exits 0, a tampered record exits 1', async () => {
    expect((await cli(['runs', 'verify', helloId, ...dd])).code).toBe(0);
    const db = new Database(join(dataDir, 'gateway.sqlite3'));
    const row = db.query('SELECT record_json FROM ledger WHERE run_id = ? AND seq = 2').get(helloId) as { record_json: string };
    db.query('UPDATE ledger SET record_json = ? WHERE run_id = ? AND seq = 2').run(row.record_json.replace('Hello, Ada', 'Hello, Eve'), helloId);
    db.close();
    const r = await cli(['runs', 'verify', helloId, ...dd]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('BROKEN');
    expect(r.stdout).toContain('seq 2: record_hash_mismatch');
    const j = await cli(['runs', 'verify', helloId, '--json', ...dd]);
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, first_bad_seq: 2 });
  });
});

// A real terminal (pty via util-linux `script`): tail asks the prompt itself and sends the typed answer.
describe.skipIf(process.platform !== 'linux' || !Bun.which('script'))('tail in a terminal', () => {
  /** `runs tail` inside a pty; resolves once the interactive prompt is on screen. */
  async function ptyTail(runId: string) {
    const inner = [process.execPath, join(import.meta.dir, '..', '..', 'src', 'cli.ts'), 'runs', 'tail', runId, ...dd].map((a) => `'${a}'`).join(' ');
    const proc = Bun.spawn(['script', '-qfec', inner, '/dev/null'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '1' } });
    const term = { proc, out: '', type: async (s: string) => { await proc.stdin.write(s); await proc.stdin.flush(); } };
    void (async () => { for await (const ch of proc.stdout) term.out += new TextDecoder().decode(ch); })();
    await until(() => term.out.includes('What is your name? >'), 'the interactive prompt');
    return term;
  }

  const waitingAsk = async () => {
    const runId = (await cli(['runs', 'start', 'ask', ...dd], { env })).stdout.trim();
    await until(async () => (await status(runId)) === 'waiting', 'ask to wait');
    return runId;
  };

  test('answers an ask_user prompt interactively', async () => {
    const term = await ptyTail(await waitingAsk());
    await term.type('Lin\n');
    expect(await term.proc.exited).toBe(0);
    await until(() => term.out.includes('run completed'), 'final line');
    expect(term.out).toMatch(/sent \(command seq \d+\)/);
    expect(term.out).toContain('says: You said: Lin');
  });

  test('answered elsewhere: the prompt is withdrawn, nothing late is sent', async () => {
    const runId = await waitingAsk();
    const term = await ptyTail(runId);
    const other = await cli(['commands', 'answer', runId, 'Bob', '--wait', ...dd]);
    expect(other.code).toBe(0);
    expect(await term.proc.exited).toBe(0);
    expect(term.out).toContain('prompt withdrawn: the wait was answered elsewhere');
    expect(term.out).toContain('says: You said: Bob');
    expect(term.out).not.toMatch(/sent \(command seq/);
  });

  test('cancelled elsewhere: the prompt is withdrawn and tail exits 1', async () => {
    const runId = await waitingAsk();
    const term = await ptyTail(runId);
    expect((await cli(['commands', 'cancel', runId, '--wait', ...dd])).code).toBe(0);
    expect(await term.proc.exited).toBe(1);
    expect(term.out).toContain('prompt withdrawn: the run was cancelled');
    expect(term.out).toContain('run cancelled');
  });

  test('Ctrl-C at the prompt ends the tail with 130 and sends nothing', async () => {
    const runId = await waitingAsk();
    const term = await ptyTail(runId);
    await term.type('\x03');
    expect(await term.proc.exited).toBe(130);
    expect(await status(runId)).toBe('waiting');
  });
});
