// The workload of the deterministic fault-injection test (issue 12 §3): one run through each multi-write path —
// a `resume` command answering ask_user, an `emit_event` command and an emit_event node each waking a listener,
// a root whose declared listener is parked by its first tick, a sync and an async+wait subflow whose child does an external effect, and a two-fire schedule — plus the
// invariants checked after a kill at any commit boundary and a clean restart.
import { FlowWorkflows } from '../../src/flow/workflows.ts';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { Runner } from '../../src/runtime/runner.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import { installSchedules, ScheduledWorkflows, startScheduledRun } from '../../src/features/schedules.ts';
import type { RunState, StepRecord } from '../../src/model/index.ts';
import { isTerminal } from '../../src/model/index.ts';
import type { Store } from '../../src/store/index.ts';
import { end, flow, n, start } from './visualflow.ts';

export const SESSION = 'fault-session';

const child = graphWorkflow('child', 'work', {
  work: (run) => ({ effect: { type: 'work', payload: { x: run.vars.x ?? 0 }, result_key: 'w' }, next_node: 'done' }),
  done: (run) => ({ complete_output: { w: run.vars.w } }),
});

const workflows = [
  graphWorkflow('asker', 'ask', {
    ask: () => ({ effect: { type: 'ask_user', payload: { prompt: 'ok?' }, result_key: 'answer' }, next_node: 'done' }),
    done: (run) => ({ complete_output: { answer: run.vars.answer } }),
  }),
  // Loops on its event: a second delivery of the same event would show as a second resume.
  ...['ping', 'pong', 'app.evt', 'vf.evt'].map((name) =>
    graphWorkflow(`listen_${name.replace('.', '_')}`, 'wait', {
      wait: () => ({ effect: { type: 'wait_event', payload: { name, scope: 'session' }, result_key: 'got' }, next_node: 'count' }),
      count: (run) => {
        run.vars.n = (run.vars.n ?? 0) + 1;
        return { next_node: 'wait' };
      },
    }),
  ),
  graphWorkflow('emitter', 'emit', {
    emit: () => ({ effect: { type: 'emit_event', payload: { name: 'pong', scope: 'session', payload: { from: 'node' } }, result_key: 'r' }, next_node: 'done' }),
    done: (run) => ({ complete_output: { delivered: run.vars.r?.delivered ?? null } }),
  }),
  // A root with a declared listener: its first tick parks the listener, then it emits to it at once.
  graphWorkflow(
    'app',
    'emit',
    {
      emit: () => ({ effect: { type: 'emit_event', payload: { name: 'app.evt', scope: 'session', payload: { from: 'app' } }, result_key: 'r' }, next_node: 'done' }),
      done: (run) => ({ complete_output: { delivered: run.vars.r?.delivered ?? null } }),
    },
    ['listen_app_evt'],
  ),
  graphWorkflow('parent_sync', 'sub', {
    sub: () => ({ effect: { type: 'start_subworkflow', payload: { workflow_id: 'child', vars: { x: 1 } }, result_key: 's' }, next_node: 'done' }),
    done: (run) => ({ complete_output: { child: run.vars.s?.output ?? null } }),
  }),
  graphWorkflow('parent_async', 'sub', {
    sub: () => ({ effect: { type: 'start_subworkflow', payload: { workflow_id: 'child', vars: { x: 2 }, async: true, wait: true }, result_key: 's' }, next_node: 'done' }),
    done: (run) => ({ complete_output: { child: run.vars.s?.output ?? null } }),
  }),
  child,
];

/** A VisualFlow emitter: the engine numbers each emit in the run's vars, so a replayed step must not re-emit. */
const vfEmit = flow(
  'vf_emit',
  [start('s'), n('em', 'emit_event', { in: ['exec-in', 'name', 'payload'], out: ['exec-out', 'delivered'], pinDefaults: { name: 'vf.evt', payload: { from: 'vf' } } }), end('e', ['delivered'])],
  ['s.exec-out>em.exec-in', 'em.exec-out>e.exec-in', 'em.delivered>e.delivered'],
);

export function buildRuntime(store: Store): Runtime {
  let rt!: Runtime;
  const flows = new FlowWorkflows({ source: { getWorkflow: (id) => (id === 'vf_emit' ? structuredClone(vfEmit) : undefined) } });
  // A short claim on PostgreSQL: a killed worker's runs come back to the restarted one quickly.
  rt = new Runtime(store, new StaticWorkflows(workflows, [new ScheduledWorkflows(() => rt), flows]), { claimMs: 1500 });
  rt.registerEffect('work', async (ctx) => {
    await Bun.sleep(1);
    return { status: 'completed', result: { v: ctx.effect.payload.x * 10 } };
  });
  installSchedules(rt);
  return rt;
}

export function runner(store: Store, rt: Runtime): Runner {
  return new Runner(store, rt, { pollMs: 10, commandBatchLimit: 100, tickMaxSteps: 3, runScanLimit: 100 });
}

/** Creates the runs (listeners and the asker parked on their waits) and appends the two acknowledged commands. */
export async function seed(store: Store, rt: Runtime): Promise<void> {
  const ids: Record<string, string> = {};
  for (const wf of ['listen_ping', 'listen_pong', 'listen_vf_evt', 'asker']) {
    const r = await rt.start(wf, { sessionId: SESSION });
    ids[wf] = r.run_id;
    await rt.tick(r.run_id);
  }
  await store.commands.append({ command_id: 'c-resume', run_id: ids.asker!, type: 'resume', payload: { payload: { answer: 'yes' } } });
  await store.commands.append({ command_id: 'c-emit', run_id: ids.asker!, type: 'emit_event', payload: { name: 'ping', scope: 'session', session_id: SESSION, payload: { from: 'command' } } });
  for (const wf of ['emitter', 'parent_sync', 'parent_async', 'app', 'vf_emit']) await rt.start(wf, { sessionId: SESSION });
  await startScheduledRun(rt, { target_workflow_id: 'child', input_data: { x: 3 }, interval: '20ms', repeat_count: 2, overlap: 'queue', session_id: SESSION });
}

/** True when everything that can end has ended (the two listeners wait forever by design). */
export async function settled(store: Store): Promise<boolean> {
  for (const status of ['running', 'waiting'] as const) {
    const open = (await store.runs.list({ status, includeInternal: true, limit: 1000 })).items;
    if (open.some((r) => !r.workflow_id.startsWith('listen_'))) return false;
  }
  return true;
}

export interface Outcomes { [commandId: string]: { status: string; reason: string | null } }

export async function outcomes(store: Store): Promise<Outcomes> {
  const out: Outcomes = {};
  for (const id of ['c-resume', 'c-emit']) {
    const c = (await store.commands.get(id))!;
    if (c.status !== 'pending') out[id] = { status: c.status, reason: c.reason };
  }
  return out;
}

/** Every run, read through the store contract (pages of the run list, then each checkpoint). */
async function all(store: Store): Promise<RunState[]> {
  const out: RunState[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: { run_id: string }[]; next_cursor: string | null } = await store.runs.list({ includeInternal: true, limit: 500, cursor });
    for (const r of page.items) out.push((await store.runs.get(r.run_id))!);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}
const ledger = (store: Store, runId: string): Promise<StepRecord[]> => store.ledger.listAfter(runId, 0, 100_000);

/** Every invariant of the workload after the final clean run; returns the violations (empty = all hold). */
export async function violations(store: Store, firstOutcomes: Outcomes | null): Promise<string[]> {
  const bad: string[] = [];
  const runs = await all(store);
  const byWf = (wf: string) => runs.filter((r) => r.workflow_id === wf);
  const one = (wf: string) => {
    const rs = byWf(wf);
    if (rs.length !== 1) bad.push(`${rs.length} runs of ${wf}`);
    return rs[0]!;
  };
  // Commands: applied exactly once, with the outcome a client could have read first.
  const now = await outcomes(store);
  for (const id of ['c-resume', 'c-emit']) {
    if (now[id]?.status !== 'applied') bad.push(`${id} is ${JSON.stringify(now[id])}`);
    if (firstOutcomes?.[id] && JSON.stringify(firstOutcomes[id]) !== JSON.stringify(now[id])) {
      bad.push(`${id} outcome changed from ${JSON.stringify(firstOutcomes[id])} to ${JSON.stringify(now[id])}`);
    }
  }
  if (now['c-emit']?.reason !== 'delivered to 1 run(s)') bad.push(`c-emit reason ${now['c-emit']?.reason}`);
  const asker = one('asker');
  if (asker.status !== 'completed' || asker.output?.answer?.answer !== 'yes') bad.push(`asker ${asker.status} ${JSON.stringify(asker.output)}`);
  // Events: each listener woke exactly once, by the right emitter.
  for (const [wf, from] of [['listen_ping', 'command'], ['listen_pong', 'node'], ['listen_app_evt', 'app'], ['listen_vf_evt', 'vf']] as const) {
    const l = one(wf);
    const resumes = (await ledger(store, l.run_id)).filter((r) => r.effect?.type === 'resume');
    if (resumes.length !== 1 || resumes[0]!.effect!.payload.payload?.payload?.from !== from) {
      bad.push(`${wf} resumed ${resumes.length} times: ${JSON.stringify(resumes.map((r) => r.effect!.payload.payload))}`);
    }
    if (l.status !== 'waiting' || l.vars.n !== 1) bad.push(`${wf} ${l.status} n=${l.vars.n}`);
  }
  for (const wf of ['emitter', 'app', 'vf_emit']) {
    const em = one(wf);
    if (em.status !== 'completed' || em.output?.delivered !== 1) bad.push(`${wf} ${em.status} ${JSON.stringify(em.output)}`);
  }
  if (one('listen_app_evt').parent_run_id !== one('app').run_id) bad.push('the listener is not the child of its root');
  // Subflows: one child per parent, each executed once.
  for (const [wf, v] of [['parent_sync', 10], ['parent_async', 20]] as const) {
    const p = one(wf);
    const kids = runs.filter((r) => r.parent_run_id === p.run_id);
    if (kids.length !== 1) bad.push(`${wf} has ${kids.length} children`);
    if (p.status !== 'completed' || p.output?.child?.w?.v !== v) bad.push(`${wf} ${p.status} ${JSON.stringify(p.output)} ${p.error ?? ''}`.trim());
  }
  // Schedule: two fires, two children.
  const sched = runs.find((r) => r.workflow_id.startsWith('scheduled:'));
  if (!sched) bad.push('no scheduled run');
  else {
    const kids = runs.filter((r) => r.parent_run_id === sched.run_id);
    if (kids.length !== 2 || sched.status !== 'completed' || sched.output?.executions !== 2) {
      bad.push(`schedule ${sched.status} ${JSON.stringify(sched.output)} with ${kids.length} children`);
    }
  }
  for (const r of runs) {
    const recs = await ledger(store, r.run_id);
    const v = await store.ledger.verify(r.run_id);
    if (!v.ok) bad.push(`chain of ${r.workflow_id} ${r.run_id} broken: ${JSON.stringify(v.errors[0])}`);
    const keys = recs.filter((x) => x.status === 'completed' && x.idempotency_key).map((x) => x.idempotency_key!);
    if (new Set(keys).size !== keys.length) bad.push(`${r.workflow_id} ${r.run_id} completed an effect twice`);
    if (r.workflow_id === 'child') {
      const work = recs.filter((x) => x.effect?.type === 'work' && x.status === 'completed').length;
      if (work !== 1 || !isTerminal(r.status)) bad.push(`child ${r.run_id} ${r.status} worked ${work} times`);
    }
  }
  return bad;
}
