// State lives only in run.vars: a run paused inside a loop resumes correctly in a fresh process (new store
// handle, runtime and compiled workflows) from the database alone.
import { afterAll, expect, test } from 'bun:test';
import { join } from 'node:path';
import { FlowWorkflows } from '../../../src/flow/workflows.ts';
import { createHarness, tempDir } from '../../support/harness.ts';
import { end, flow, getVar, lit, n, setVar, start } from './helpers.ts';

const dir = tempDir('ag-durable-');
afterAll(() => dir.cleanup());

const doc = flow(
  'survey',
  [
    start('s'),
    lit('items', ['red', 'green', 'blue']),
    n('loop', 'loop', { in: ['exec-in', 'items'], out: ['loop', 'done', 'item', 'index'] }),
    n('cc', 'concat', { in: ['a', 'b'], out: ['result'], pinDefaults: { a: 'Do you like' } }),
    n('ask', 'ask_user', { in: ['exec-in', 'prompt'], out: ['exec-out', 'response'] }),
    getVar('gv', 'answers'),
    n('app', 'array_append', { in: ['array', 'item'], out: ['result'] }),
    setVar('save', 'answers'),
    getVar('all', 'answers'),
    end('e', ['answers']),
  ],
  [
    's.exec-out>loop.exec-in', 'items.value>loop.items', 'loop.loop>ask.exec-in', 'loop.item>cc.b', 'cc.result>ask.prompt',
    'ask.exec-out>save.exec-in', 'gv.value>app.array', 'ask.response>app.item', 'app.result>save.value', 'loop.done>e.exec-in', 'all.value>e.answers',
  ],
);

/** A "process": its own store handle, runtime and compiled-workflow cache over the same database file. */
function open() {
  return createHarness({ path: join(dir.path, 'runs.db'), workflows: new FlowWorkflows({ source: { getWorkflow: (id) => (id === 'survey' ? structuredClone(doc) : undefined) } }) });
}

test('a ForEach with ask_user in its body survives a restart at every wait', async () => {
  let h = open();
  const run = await h.runtime.start('survey', { vars: { answers: [] } });
  await h.settle();
  const answers = ['yes', 'no', 'maybe'];
  for (let i = 0; i < 3; i++) {
    const waiting = await h.run(run.run_id);
    expect(waiting.status).toBe('waiting');
    expect(waiting.waiting!.prompt).toBe(`Do you like ${['red', 'green', 'blue'][i]}`);
    // The loop frame advanced before the body ran: the item being asked is already consumed.
    expect(waiting.vars._temp._control.frames.loop.idx).toBe(i + 1);
    await h.close();
    h = open();
    await h.answer(run.run_id, { response: answers[i] });
  }
  const done = await h.run(run.run_id);
  expect(done.status).toBe('completed');
  expect(done.output).toEqual({ answers, success: true });
  expect(done.vars._temp._control.stack).toEqual([]);
  await h.close();
});
