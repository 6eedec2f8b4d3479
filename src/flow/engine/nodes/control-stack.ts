// The durable control stack of schedulers (docs/flows.md "Executing"), kept in `_temp._control`.

import type { StepPlan } from '../../../runtime/types.ts';
import type { Vars } from '../../../model/index.ts';
import type { Exec } from '../exec.ts';
import type { NodeResult } from '../spec.ts';

/** Pushes `id` unless already on the stack; an implicit-return marker aimed at it is consumed. */
export function pushControl(x: Exec, id: string): void {
  const c = x.control;
  if (c.return_to === id) delete c.return_to;
  if (!c.stack.includes(id)) c.stack.push(id);
}

/** Removes the scheduler and its frame (and anything stacked above it, abandoned by an explicit exit). */
function popControl(x: Exec, id: string): void {
  const c = x.control;
  const at = c.stack.lastIndexOf(id);
  if (at >= 0) for (const gone of c.stack.splice(at)) delete c.frames[gone];
  delete c.frames[id];
}

/**
 * Frame of the scheduler being visited. HEAD re-entry rule: reached through an explicit exec edge (not an
 * implicit return from its body) with a frame of the same kind → a fresh frame (new pass).
 */
export async function enterScheduler<F extends Vars>(x: Exec, kind: string, init: () => F | Promise<F>): Promise<{ frame: F; fresh: boolean }> {
  const c = x.control;
  const id = x.node.id;
  const implicit = c.return_to === id;
  if (implicit) delete c.return_to;
  const existing = c.frames[id];
  if (implicit && existing?.kind === kind && c.stack.includes(id)) return { frame: existing as F, fresh: false };
  // Explicit entry: drop anything stacked above an older frame of this scheduler, then start over.
  if (c.stack.includes(id)) for (const gone of c.stack.splice(c.stack.lastIndexOf(id) + 1)) delete c.frames[gone];
  c.frames[id] = { ...(await init()), kind };
  pushControl(x, id);
  return { frame: c.frames[id] as F, fresh: true };
}

/** Moves to `target` through exec handle `handle` (recorded for join_exec). */
export function goTo(x: Exec, handle: string, target: string): NodeResult {
  x.temp.prev_exec_handle = handle;
  const plan: StepPlan = { node_id: x.node.id, next_node: target };
  return { kind: 'plan', plan };
}

/**
 * The scheduler is done: pop it, then continue at its `done`/`completed` target, else complete with
 * `{success, result: _last_output}` (which the step loop turns into a return to the enclosing scheduler).
 */
export function finishScheduler(x: Exec, exitHandle: 'done' | 'completed'): NodeResult {
  popControl(x, x.node.id);
  const r = x.routing;
  const target = r.kind === 'scheduler' ? r.handles[exitHandle] : undefined;
  if (target) return goTo(x, exitHandle, target);
  return { kind: 'plan', plan: { node_id: x.node.id, complete_output: { success: true, result: x.lastOutput ?? null } } };
}

/** Scheduler error (docs/flows.md "Executing"): pop and complete with an error (again a return when nested). */
export function failScheduler(x: Exec, error: string): NodeResult {
  popControl(x, x.node.id);
  return { kind: 'fail', error };
}
