// Applying inbox commands to runs (docs/runtime.md "Commands"). Each command's outcome (applied, or rejected
// with the reason) is recorded durably in the same transaction as its effect on the runs. Payloads are
// validated with zod at this edge; clients of the Python gateway send camelCase aliases of some keys
// (`waitKey`, `sessionId`, …), accepted here and nowhere else. Command types owned by product features
// (update_schedule, compact_memory) are registered on the runtime instance (`rt.registerCommand`).
import { z } from 'zod';
import type { CommandWithOutcome } from '../store/index.ts';
import { COMMAND_TYPES, InvalidCommand, isPlainObject, RunNotFound } from '../model/index.ts';
import { deliverEvent } from './events.ts';
import { parseScope } from './keys.ts';
import type { Runtime } from './runtime.ts';

/**
 * Applies one command; returns the outcome. Never throws for a bad command: it is rejected with a reason.
 * The command's effect on the runs, its outcome and the runner's cursor commit in ONE transaction, so a crash
 * either leaves the command untouched (re-applied on restart, nobody saw an outcome) or fully applied. A command
 * that already has an outcome is never applied again. Null when another runner holds the inbox right now.
 */
export async function applyCommand(
  rt: Runtime,
  cmd: CommandWithOutcome,
): Promise<{ status: 'applied' | 'rejected'; reason: string | null } | null> {
  const store = rt.store;
  let out: { status: 'applied' | 'rejected'; reason: string | null } | null;
  try {
    out = await store.tx(async () => {
      if (!(await claimCommand(rt, cmd))) return null;
      const note = (await dispatch(rt, cmd)) || null;
      await store.commands.setOutcome(cmd.seq, 'applied', note);
      await store.commands.saveCursor(cmd.seq);
      return { status: 'applied' as const, reason: note };
    });
  } catch (err) {
    // The failed attempt rolled back entirely; the rejection and the cursor commit together.
    const reason = err instanceof Error ? err.message : String(err);
    out = await store.tx(async () => {
      if (!(await claimCommand(rt, cmd))) return null;
      await store.commands.setOutcome(cmd.seq, 'rejected', reason);
      await store.commands.saveCursor(cmd.seq);
      return { status: 'rejected' as const, reason };
    });
  }
  store.fault('command.applied');
  return out;
}

/**
 * Inside the command's transaction: true when this runner may apply it now. The cursor row is the inbox's
 * lock (on PostgreSQL taken FOR UPDATE SKIP LOCKED: null while another runner applies commands), and the
 * command must still be pending (another runner may have applied it since this one listed it).
 */
async function claimCommand(rt: Runtime, cmd: CommandWithOutcome): Promise<boolean> {
  if ((await rt.store.commands.cursor()) === null) return false;
  if (!rt.store.multiRunner) return true;
  return (await rt.store.commands.get(cmd.command_id))?.status === 'pending';
}

// ---- payload schemas -----------------------------------------------------------------------------------

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * An object schema whose snake_case keys also accept their camelCase alias (the snake form wins when both are
 * set). Unknown keys are kept and ignored; a payload that is not an object reads as `{}`.
 */
export function commandPayload<T extends z.ZodRawShape>(shape: T) {
  return z.preprocess((v) => {
    const out: Record<string, unknown> = isPlainObject(v) ? { ...v } : {};
    for (const k of Object.keys(shape)) {
      const alias = camel(k);
      if (alias !== k && (out[k] === undefined || out[k] === null) && out[alias] !== undefined) out[k] = out[alias];
    }
    return out;
  }, z.looseObject(shape));
}

/** Parses a command payload; the first issue's message is the rejection reason. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown): z.output<S> {
  const r = schema.safeParse(payload);
  if (!r.success) throw new InvalidCommand(r.error.issues[0]?.message ?? 'invalid command payload');
  return r.data;
}

/** Any value; a non-empty string (trimmed) or null. */
export const optText = z.unknown().optional().transform((v) => (typeof v === 'string' && v.trim() ? v.trim() : null));
/** Any value; the string itself or null. */
const optString = z.unknown().optional().transform((v) => (typeof v === 'string' ? v : null));

const ControlPayload = commandPayload({ reason: optString });
const ResumePayload = commandPayload({
  payload: z.record(z.string(), z.unknown(), { error: 'resume payload.payload must be an object' }).optional(),
  wait_key: optString,
});
const EmitPayload = commandPayload({
  name: z.string({ error: 'emit_event requires payload.name' }).refine((s) => s.trim() !== '', 'emit_event requires payload.name'),
  scope: z.unknown().optional(),
  session_id: optText,
  workflow_id: optText,
  run_id: optText,
  event_id: optText,
  emitted_at: optText,
  payload: z.unknown().optional(),
});

// ---- dispatch ------------------------------------------------------------------------------------------

async function requireRun(rt: Runtime, runId: string) {
  const run = await rt.store.runs.get(runId);
  if (!run) throw new RunNotFound(runId);
  return run;
}

async function dispatch(rt: Runtime, cmd: CommandWithOutcome): Promise<string | void> {
  const extra = rt.commandApplier(cmd.type);
  if (extra) return extra(rt, cmd);
  if (!(COMMAND_TYPES as readonly string[]).includes(cmd.type)) throw new InvalidCommand(`Unknown command type '${cmd.type}'`);
  switch (cmd.type) {
    case 'pause': {
      await requireRun(rt, cmd.run_id);
      const { reason } = parsePayload(ControlPayload, cmd.payload);
      for (const id of await rt.tree(cmd.run_id)) await rt.pause(id, reason);
      return;
    }
    case 'cancel': {
      await requireRun(rt, cmd.run_id);
      const { reason } = parsePayload(ControlPayload, cmd.payload);
      for (const id of await rt.tree(cmd.run_id)) await rt.cancel(id, reason);
      return;
    }
    case 'resume': {
      const run = await requireRun(rt, cmd.run_id);
      const p = parsePayload(ResumePayload, cmd.payload);
      if (p.payload !== undefined) {
        await rt.applyResume(run, p.payload, p.wait_key); // in this command's transaction, on the run just loaded
        return;
      }
      for (const id of await rt.tree(cmd.run_id)) await rt.resumeRun(id);
      await rt.treeResumed(cmd.run_id);
      return;
    }
    case 'emit_event': {
      const p = parsePayload(EmitPayload, cmd.payload);
      const scope = parseScope(p.scope);
      const sessionId = p.session_id ?? cmd.run_id;
      const scopeId =
        scope === 'session' ? sessionId
        : scope === 'workflow' ? p.workflow_id
        : scope === 'run' ? p.run_id
        : 'global';
      const r = await deliverEvent(rt, {
        name: p.name,
        scope,
        scopeId,
        sessionId,
        payload: p.payload,
        eventId: p.event_id,
        emittedAt: p.emitted_at,
        emitter: { source: 'external', client_id: cmd.client_id },
      });
      return `delivered to ${r.delivered} run(s)`;
    }
    default:
      throw new InvalidCommand(`Command type '${cmd.type}' is not supported by this gateway yet`);
  }
}
