// Applying inbox commands to runs (gateway-contract §4.6, §7.3). Each command's outcome (applied, or rejected
// with the reason) is recorded durably in the same transaction as its effect on the runs.
import type { CommandWithOutcome } from '../store/index.ts';
import { isPlainObject } from '../util/json.ts';
import { deliverEvent } from './events.ts';
import { parseScope } from './keys.ts';
import { RuntimeError, type Runtime } from './runtime.ts';
import { COMMAND_TYPES, type Vars } from './types.ts';

/** Command types handled by other modules (schedules, memory) register here. */
export type CommandApplier = (rt: Runtime, cmd: CommandWithOutcome) => string | void;
const extraAppliers = new Map<string, CommandApplier>();
export function registerCommandType(type: string, applier: CommandApplier): void {
  extraAppliers.set(type, applier);
}
/** Called after a tree-wide resume (e.g. a recurrent schedule fires at once when resumed). */
const treeResumedHooks: ((rt: Runtime, runId: string) => void)[] = [];
export function onTreeResumed(hook: (rt: Runtime, runId: string) => void): void {
  if (!treeResumedHooks.includes(hook)) treeResumedHooks.push(hook);
}

/**
 * Applies one command; returns the outcome. Never throws for a bad command: it is rejected with a reason.
 * The command's effect on the runs, its outcome and the runner's cursor commit in ONE transaction, so a crash
 * either leaves the command untouched (re-applied on restart, nobody saw an outcome) or fully applied. A command
 * that already has an outcome is never applied again: the cursor just moves past it.
 */
export function applyCommand(rt: Runtime, cmd: CommandWithOutcome): { status: 'applied' | 'rejected'; reason: string | null } {
  const store = rt.store;
  if (cmd.status !== 'pending') {
    store.tx(() => store.commands.saveCursor(cmd.seq));
    return { status: cmd.status, reason: cmd.reason };
  }
  let out: { status: 'applied' | 'rejected'; reason: string | null };
  try {
    out = store.tx(() => {
      const note = dispatch(rt, cmd) || null;
      store.commands.setOutcome(cmd.seq, 'applied', note);
      store.commands.saveCursor(cmd.seq);
      return { status: 'applied' as const, reason: note };
    });
  } catch (err) {
    // The failed attempt rolled back entirely; the rejection and the cursor commit together.
    const reason = err instanceof Error ? err.message : String(err);
    store.tx(() => {
      store.commands.setOutcome(cmd.seq, 'rejected', reason);
      store.commands.saveCursor(cmd.seq);
    });
    out = { status: 'rejected', reason };
  }
  store.fault('command.applied');
  return out;
}

function requireRun(rt: Runtime, runId: string) {
  const run = rt.store.runs.get(runId);
  if (!run) throw new RuntimeError(`Run '${runId}' not found`);
  return run;
}

function dispatch(rt: Runtime, cmd: CommandWithOutcome): string | void {
  const p: Vars = isPlainObject(cmd.payload) ? cmd.payload : {};
  const extra = extraAppliers.get(cmd.type);
  if (extra) return extra(rt, cmd);
  if (!(COMMAND_TYPES as readonly string[]).includes(cmd.type)) throw new RuntimeError(`Unknown command type '${cmd.type}'`);
  switch (cmd.type) {
    case 'pause': {
      requireRun(rt, cmd.run_id);
      const reason = typeof p.reason === 'string' ? p.reason : null;
      for (const id of rt.tree(cmd.run_id)) rt.pause(id, reason);
      return;
    }
    case 'cancel': {
      requireRun(rt, cmd.run_id);
      const reason = typeof p.reason === 'string' ? p.reason : null;
      for (const id of rt.tree(cmd.run_id)) rt.cancel(id, reason);
      return;
    }
    case 'resume': {
      requireRun(rt, cmd.run_id);
      if ('payload' in p) {
        if (!isPlainObject(p.payload)) throw new RuntimeError('resume payload.payload must be an object');
        const waitKey = p.wait_key ?? p.waitKey ?? null;
        rt.resume(cmd.run_id, p.payload, typeof waitKey === 'string' ? waitKey : null);
        return;
      }
      for (const id of rt.tree(cmd.run_id)) rt.resumeRun(id);
      for (const hook of treeResumedHooks) hook(rt, cmd.run_id);
      return;
    }
    case 'emit_event': {
      const name = p.name;
      if (typeof name !== 'string' || !name.trim()) throw new RuntimeError('emit_event requires payload.name');
      const scope = parseScope(p.scope);
      const sessionId = str(p.session_id ?? p.sessionId) ?? cmd.run_id;
      const scopeId =
        scope === 'session' ? sessionId
        : scope === 'workflow' ? str(p.workflow_id ?? p.workflowId)
        : scope === 'run' ? str(p.run_id ?? p.runId)
        : 'global';
      const r = deliverEvent(rt, {
        name,
        scope,
        scopeId,
        sessionId,
        payload: p.payload,
        eventId: str(p.event_id ?? p.eventId),
        emittedAt: str(p.emitted_at ?? p.emittedAt),
        emitter: { source: 'external', client_id: cmd.client_id },
      });
      return `delivered to ${r.delivered} run(s)`;
    }
    default:
      throw new RuntimeError(`Command type '${cmd.type}' is not supported by this gateway yet`);
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : null);
