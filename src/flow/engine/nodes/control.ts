// Control flow (docs/flows.md "Node families"): if/switch branching, the schedulers (sequence, parallel, loop, for,
// while) and the internal join_exec of fan-in lowering (docs/flows.md "Compiling"; path_mux is a builtin). Scheduler frames are stored in
// `_temp._control` and advanced *before* the body runs, so a pause or crash mid-body never repeats an item.

import { type Vars, isPlainObject } from '../../../model/index.ts';
import { cloneValue, pyFloat, pyStr, toFloat, truthy } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { config } from '../model.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';
import { enterScheduler, failScheduler, finishScheduler, goTo } from './control-stack.ts';

const MAX_LOOP_ITERATIONS = 10_000;

async function ifNode(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('function');
  const condition = input.condition ?? null;
  return { kind: 'value', output: { branch: truthy(condition) ? 'true' : 'false', condition }, branch: truthy(condition) ? 'true' : 'false' };
}

async function switchNode(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('function');
  const value = input.value ?? null;
  const text = value === null ? '' : pyStr(value);
  const cases = config(x.node, 'switchConfig').cases;
  for (const c of Array.isArray(cases) ? cases : []) {
    if (!isPlainObject(c) || typeof c.id !== 'string' || !c.id || c.value === null || c.value === undefined) continue;
    if (pyStr(c.value) === text) {
      const branch = `case:${c.id}`;
      return { kind: 'value', output: { branch, value, matched: pyStr(c.value) }, branch };
    }
  }
  return { kind: 'value', output: { branch: 'default', value }, branch: 'default' };
}

/** Iteration object: previous `_last_output` (object, else `{input}`) plus the iteration keys. */
function iteration(x: Exec, keys: Vars): Vars {
  const lo = x.lastOutput;
  const base = isPlainObject(lo) ? { ...lo } : x.hasLastOutput ? { input: lo } : {};
  const out = { ...base, ...keys };
  x.setOutput(x.node.id, out);
  x.vars._last_output = x.bucket('node_outputs')[x.node.id];
  return out;
}

function loopTarget(x: Exec): string | undefined {
  const r = x.routing;
  return r.kind === 'scheduler' ? r.handles.loop : undefined;
}

async function forEach(x: Exec): Promise<NodeResult> {
  const { frame } = await enterScheduler(x, 'loop', async () => {
    const items = cloneValue((await x.inputs('function')).items ?? null);
    return { idx: 0, items: items === null ? [] : Array.isArray(items) ? items : [items] };
  });
  const target = loopTarget(x);
  if (!target || frame.idx >= frame.items.length) return finishScheduler(x, 'done');
  const index = frame.idx;
  frame.idx = index + 1;
  iteration(x, { item: frame.items[index], index, total: frame.items.length });
  return goTo(x, 'loop', target);
}

function toNumber(v: unknown, what: string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  const n = toFloat(v);
  if (!Number.isFinite(n)) throw new Error(`${what} must be a finite number`);
  return n;
}

async function forRange(x: Exec): Promise<NodeResult> {
  let bad: string | null = null;
  const { frame } = await enterScheduler(x, 'for', async () => {
    const i = await x.inputs('function');
    try {
      if (i.start === undefined || i.start === null || i.end === undefined || i.end === null) throw new Error('For needs both start and end');
      const start = toNumber(i.start, 'For start');
      const end = toNumber(i.end, 'For end');
      const step = i.step === undefined || i.step === null ? 1 : toNumber(i.step, 'For step');
      if (step === 0) throw new Error('For step must not be 0');
      const total = Math.max(0, Math.ceil((end - start) / step));
      if (total > MAX_LOOP_ITERATIONS) throw new Error(`For would run ${total} iterations (max ${MAX_LOOP_ITERATIONS})`);
      return { start, end, step, i: start, index: 0, total };
    } catch (err) {
      bad = (err as Error).message;
      return { start: 0, end: 0, step: 1, i: 0, index: 0, total: 0 };
    }
  });
  if (bad) return failScheduler(x, bad);
  const target = loopTarget(x);
  const more = frame.step > 0 ? frame.i < frame.end : frame.i > frame.end;
  if (!target || !more) return finishScheduler(x, 'done');
  const cur = { i: frame.i, index: frame.index };
  frame.i += frame.step;
  frame.index += 1;
  // Python's For emits a float `i` (range over floats) and an int `index`.
  iteration(x, { i: pyFloat(cur.i), index: cur.index, total: frame.total });
  return goTo(x, 'loop', target);
}

async function whileLoop(x: Exec): Promise<NodeResult> {
  const { frame } = await enterScheduler(x, 'while', () => ({ iters: 0 }));
  const condition = truthy((await x.inputs('function')).condition);
  const target = loopTarget(x);
  if (!condition || !target) return finishScheduler(x, 'done');
  if (frame.iters >= MAX_LOOP_ITERATIONS) return failScheduler(x, `While exceeded ${MAX_LOOP_ITERATIONS} iterations`);
  const lo = x.lastOutput;
  const item = isPlainObject(lo) && Object.hasOwn(lo, 'item') ? lo.item : (lo ?? null);
  const index = frame.iters;
  frame.iters = index + 1;
  iteration(x, { item, index });
  return goTo(x, 'loop', target);
}

/** Sequence and Parallel: run each connected `then:i` branch to its end, in pin order (single cursor). */
function branches(kind: 'sequence' | 'parallel') {
  return async (x: Exec): Promise<NodeResult> => {
    const r = x.routing;
    const then = r.kind === 'scheduler' ? r.then : [];
    const { frame } = await enterScheduler(x, kind, () => ({ idx: 0, then: then.map((t) => t.target) }));
    const at = frame.idx;
    if (at < then.length) {
      frame.idx = at + 1;
      return goTo(x, then[at]!.handle, then[at]!.target);
    }
    return finishScheduler(x, kind === 'parallel' ? 'completed' : 'done');
  };
}

/** Which incoming route reached the join (HEAD `join_exec`): exact (node, handle), else node, else route 0. */
function joinExec(x: Exec): NodeResult {
  const routes = x.flow.joins.get(x.node.id) ?? [];
  const from = typeof x.temp.prev_node_id === 'string' ? x.temp.prev_node_id : null;
  const handle = typeof x.temp.prev_exec_handle === 'string' ? x.temp.prev_exec_handle : null;
  let which = routes.findIndex((r) => r.source === from && r.handle === handle);
  if (which < 0) which = routes.findIndex((r) => r.source === from);
  if (which < 0) {
    which = 0;
    const warnings = Array.isArray(x.vars._flow_warnings) ? x.vars._flow_warnings : (x.vars._flow_warnings = []);
    warnings.push(`#FALLBACK join '${x.node.id}' could not tell which route entered (from ${from ?? 'nowhere'}); using route 0`);
  }
  const output: Vars = { which, from };
  if (handle) output.from_handle = handle;
  return { kind: 'pass', output };
}

export const CONTROL_NODES: Record<string, NodeSpec> = {
  if: { family: 'function', exec: ifNode },
  switch: { family: 'function', exec: switchNode },
  loop: { family: 'scheduler', exec: forEach },
  for: { family: 'scheduler', exec: forRange },
  while: { family: 'scheduler', exec: whileLoop },
  sequence: { family: 'scheduler', exec: branches('sequence') },
  parallel: { family: 'scheduler', exec: branches('parallel') },
  join_exec: { family: 'adapter', exec: joinExec },
};
