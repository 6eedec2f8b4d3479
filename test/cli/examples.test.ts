// The shipped example bundles are real: they load, compile and run to the documented result on the real engine.
import { afterAll, expect, test } from 'bun:test';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BundleRegistry } from '../../src/flow/bundle/registry.ts';
import { FlowWorkflows } from '../../src/flow/workflows.ts';
import { packExample } from '../../scripts/make-examples.ts';
import { createHarness, tempDir } from '../support/harness.ts';

const root = join(import.meta.dir, '..', '..', 'assets');
const dir = tempDir('ag-examples-');
afterAll(() => dir.cleanup());
cpSync(join(root, 'bundles'), join(dir.path, 'flows'), { recursive: true });
const registry = new BundleRegistry({ flowsDir: join(dir.path, 'flows'), dataDir: dir.path });
const loaded = registry.reload();
const h = createHarness({ workflows: new FlowWorkflows({ source: registry }) });
afterAll(() => h.close());

const start = async (bundle: string, vars: Record<string, unknown> = {}) => {
  const { workflow_id } = registry.resolveStart({ bundle_id: bundle });
  return (await h.runtime.start(workflow_id, { vars })).run_id;
};

test('committed .flow files match their sources (run scripts/make-examples.ts)', () => {
  expect(loaded).toMatchObject({ ok: true, bundle_ids: ['ask', 'countdown', 'hello'] });
  for (const id of ['ask', 'countdown', 'hello']) {
    const { name, bytes } = packExample(join(root, 'examples', id));
    expect(Buffer.compare(readFileSync(join(root, 'bundles', name)), Buffer.from(bytes))).toBe(0);
  }
});

test('hello echoes its input', async () => {
  const run = await h.runToEnd(await start('hello', { name: 'Ada' }));
  expect(run.status).toBe('completed');
  expect(run.output).toMatchObject({ greeting: 'Hello, Ada' });
  const said = (await h.ledger(run.run_id)).filter((r) => r.effect?.type === 'answer_user' && r.status === 'completed');
  expect(said.map((r) => r.effect!.payload.message)).toEqual(['Hello, Ada']);
});

test('ask waits for the user, then echoes the answer', async () => {
  const runId = await start('ask');
  const waiting = await h.runToEnd(runId);
  expect(waiting.status).toBe('waiting');
  expect(waiting.waiting).toMatchObject({ reason: 'user', prompt: 'What is your name?' });
  const done = await h.answer(runId, { response: 'Grace' }, waiting.waiting!.wait_key);
  expect(done.status).toBe('completed');
  expect(done.output).toMatchObject({ answer: 'Grace' });
});

test('countdown says every step', async () => {
  const run = await h.runToEnd(await start('countdown'));
  expect(run.status).toBe('completed');
  const said = (await h.ledger(run.run_id)).filter((r) => r.effect?.type === 'answer_user' && r.status === 'completed');
  expect(said.map((r) => r.effect!.payload.message)).toEqual(['3', '2', '1', 'liftoff!']);
});
