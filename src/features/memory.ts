// Memory compaction (docs/runtime.md "Memory compaction"): summarise the older part of a run's `context.messages` with the
// configured LLM, archive the originals as an artifact, and keep system messages + one summary message + the
// `preserve_recent` newest. The LLM call is an internal child run with one `llm_call` step, so it goes through
// the registered provider effect (retries, secrets handling, ledger) like any other call.
//
// The `compact_memory` command starts an internal run (`__compact_memory__`) whose single step is the
// `memory_compact` effect; the compaction itself is appended to the TARGET run's ledger as a `memory_compact`
// record with idempotency key `command:compact_memory:<command_id>`, so a re-applied command does nothing twice.
import { z } from 'zod';
import { sha256Hex } from '../util/json.ts';
import { InvalidCommand, isPlainObject, RunNotFound, routingOf, runtimeSection, type EffectOutcome, type RunState, type Vars } from '../model/index.ts';
import { nowIso } from '../util/time.ts';
import { graphWorkflow } from '../runtime/graph.ts';
import { effectRecord } from '../runtime/records.ts';
import { commandPayload, parsePayload } from '../runtime/commands.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { EffectContext, Workflow } from '../runtime/types.ts';

export const COMPACT_LLM_WORKFLOW = '__memory_compact_llm__';
export const COMPACT_COMMAND_WORKFLOW = '__compact_memory__';
const MODES = ['light', 'standard', 'heavy'] as const;

interface Message { role: string; content: string; timestamp?: string; metadata: Vars }

export function normalizeMessages(raw: unknown): Message[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(isPlainObject).map((m) => {
    const metadata: Vars = isPlainObject(m.metadata) ? { ...m.metadata } : {};
    if (typeof metadata.message_id !== 'string') metadata.message_id = `msg_${crypto.randomUUID().replaceAll('-', '')}`;
    return {
      ...m,
      role: typeof m.role === 'string' && m.role ? m.role : 'user',
      content: typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''),
      timestamp: typeof m.timestamp === 'string' ? m.timestamp : nowIso(),
      metadata,
    };
  });
}

export function splitForCompaction(messages: Message[], preserveRecent: number) {
  const system = messages.filter((m) => m.role === 'system');
  const rest = messages.filter((m) => m.role !== 'system');
  if (preserveRecent > 0 && rest.length <= preserveRecent) return { system, older: [] as Message[], recent: rest };
  const cut = preserveRecent > 0 ? rest.length - preserveRecent : rest.length;
  return { system, older: rest.slice(0, cut), recent: rest.slice(cut) };
}

const PROMPTS: Record<(typeof MODES)[number], string> = {
  light: 'Summarise briefly, keeping every decision and fact that later turns may need.',
  standard: 'Summarise the conversation, keeping decisions, facts, open questions and commitments.',
  heavy: 'Summarise as tightly as possible: only what is essential to continue the conversation.',
};

function compactionPrompt(older: Message[], mode: (typeof MODES)[number], focus: string | null): string {
  const transcript = older.map((m) => `${m.role}: ${m.content}`).join('\n');
  return [
    PROMPTS[mode],
    focus ? `Focus on: ${focus}.` : '',
    'Answer with strict JSON only: {"summary": string, "key_points": string[], "confidence": number between 0 and 1}.',
    '--- conversation ---',
    transcript,
  ].filter(Boolean).join('\n');
}

function parseSummary(content: string): { summary: string; key_points: string[]; confidence: number | null } {
  const m = /\{[\s\S]*\}/.exec(content);
  if (m) {
    try {
      const v = JSON.parse(m[0]);
      if (isPlainObject(v) && typeof v.summary === 'string') {
        return {
          summary: v.summary,
          key_points: Array.isArray(v.key_points) ? v.key_points.map(String) : [],
          confidence: typeof v.confidence === 'number' ? v.confidence : null,
        };
      }
    } catch {}
  }
  return { summary: content.trim(), key_points: [], confidence: null };
}

/** Internal workflows: the one-step LLM child and the command's maintenance run. */
export function memoryWorkflows(): Workflow[] {
  return [
    graphWorkflow(COMPACT_LLM_WORKFLOW, 'llm', {
      llm: (run) => ({
        effect: { type: 'llm_call', payload: { prompt: run.vars.prompt, provider: run.vars.provider, model: run.vars.model, params: { temperature: 0 } }, result_key: 'llm' },
        next_node: 'done',
      }),
      done: (run) => ({ complete_output: { content: String(run.vars.llm?.content ?? ''), usage: run.vars.llm?.usage ?? null } }),
    }),
    graphWorkflow(COMPACT_COMMAND_WORKFLOW, 'compact', {
      compact: (run) => ({ effect: { type: 'memory_compact', payload: { ...run.vars.request }, result_key: 'result' }, next_node: 'done' }),
      done: (run) => ({ complete_output: { success: true, result: run.vars.result } }),
    }),
  ];
}

const toolResult = (success: boolean, output: string, meta: Vars = {}, error: string | null = null): Vars => ({
  mode: 'executed',
  results: [{ call_id: 'compact_memory', name: 'compact_memory', success, output, error, meta }],
});

export async function compactMemory(rt: Runtime, ctx: EffectContext): Promise<EffectOutcome> {
  const p = ctx.effect.payload;
  const targetId = typeof p.target_run_id === 'string' && p.target_run_id ? p.target_run_id : ctx.run.run_id;
  const isSelf = targetId === ctx.run.run_id;
  const target = isSelf ? ctx.run : await rt.store.runs.get(targetId);
  if (!target) return { status: 'failed', error: `Run '${targetId}' not found` };
  if (!isSelf && rt.isInflight(targetId)) return { status: 'failed', error: `Run '${targetId}' is busy; retry compact_memory when it waits` };
  const commandKey = typeof p.command_id === 'string' ? `command:compact_memory:${p.command_id}` : null;
  if (commandKey) {
    const prior = await rt.store.ledger.findCompleted(targetId, commandKey);
    if (prior) return { status: 'completed', result: prior.result };
  }
  const preserve = Number.isInteger(p.preserve_recent) && p.preserve_recent >= 0 ? p.preserve_recent : 6;
  const mode = (MODES as readonly string[]).includes(p.compression_mode) ? (p.compression_mode as (typeof MODES)[number]) : 'standard';
  const focus = typeof p.focus === 'string' && p.focus.trim() ? p.focus.trim() : null;
  const messages = normalizeMessages(target.vars.context?.messages);
  if (!messages.length) return { status: 'completed', result: toolResult(true, 'No messages to compact.') };
  const { system, older, recent } = splitForCompaction(messages, preserve);
  if (!older.length) return { status: 'completed', result: toolResult(true, `Nothing to compact (${recent.length} messages, preserve_recent=${preserve}).`) };

  // Deterministic child id: an attempt re-executed after a crash adopts the LLM child (and its answer) instead of
  // calling the model again.
  const child = await rt.startChild(ctx, COMPACT_LLM_WORKFLOW, {
    vars: { prompt: compactionPrompt(older, mode, focus), ...routingOf(target.vars) },
    sessionId: ctx.run.session_id,
    actorId: ctx.run.actor_id,
    startListeners: false,
  });
  const done = await rt.tickChild(ctx.run.run_id, child.run_id, 10);
  if (done.status !== 'completed') return { status: 'failed', error: `Compaction LLM unavailable: ${done.error ?? done.status}` };
  const parsed = parseSummary(String(done.output?.content ?? ''));

  const span = {
    from_timestamp: older[0]!.timestamp, to_timestamp: older.at(-1)!.timestamp,
    from_message_id: older[0]!.metadata.message_id, to_message_id: older.at(-1)!.metadata.message_id, message_count: older.length,
  };
  // The archive row and the target's compaction record commit together (the blob file is written first).
  const result = await rt.store.tx(async () => {
    // The target moved on during the LLM call: committing the copy read before it would undo that progress.
    if (!isSelf && (rt.isInflight(targetId) || (await rt.store.runs.updatedAt(targetId)) !== target.updated_at)) return null;
    // The archive's id is derived from the attempt, so a re-executed attempt overwrites its own row, never adds one.
    const archive = await rt.store.artifacts.putJson(
      { messages: older, span, created_at: nowIso() },
      { runId: targetId, artifactId: sha256Hex(`${ctx.run.run_id}\0${ctx.idempotencyKey}\0span`).slice(0, 32), tags: { kind: 'conversation_span', compression_mode: mode, preserve_recent: String(preserve), ...(focus ? { focus } : {}) } },
    );
    const summaryId = `msg_${sha256Hex(archive.artifact_id).slice(0, 32)}`;
    const summaryMessage = {
      role: 'system',
      content: `[CONVERSATION HISTORY SUMMARY span_id=${archive.artifact_id}]: ${parsed.summary}`,
      timestamp: nowIso(),
      metadata: { kind: 'memory_summary', message_id: summaryId, source_message_ids: older.map((m) => m.metadata.message_id), ...span },
    };
    const context = isPlainObject(target.vars.context) ? target.vars.context : (target.vars.context = {});
    context.messages = [...system, summaryMessage, ...recent];
    const rtv: Vars = runtimeSection(target.vars);
    (rtv.memory_spans ??= []).push({
      kind: 'conversation_span', artifact_id: archive.artifact_id, created_at: nowIso(), summary_message_id: summaryId,
      ...span, compression_mode: mode, focus,
    });
    const meta = { llm_run_id: child.run_id, span_id: archive.artifact_id, summary_message_id: summaryId, preserve_recent: preserve, compression_mode: mode, focus, key_points: parsed.key_points, confidence: parsed.confidence };
    const result = toolResult(true, `Compacted ${older.length} messages into span_id=${archive.artifact_id}`, meta);
    if (commandKey) rtv.last_compact_memory = { command_id: p.command_id, span_id: archive.artifact_id, at: nowIso() };
    if (!isSelf) {
      const rec = effectRecord(target, target.current_node, { type: 'memory_compact', payload: p, result_key: null }, commandKey ?? ctx.idempotencyKey, 'completed');
      rec.ended_at = nowIso();
      rec.result = result;
      await rt.commit(target, [rec]);
    }
    return result;
  });
  rt.store.fault('compact.committed');
  if (!result) return { status: 'failed', error: `Run '${targetId}' changed during compaction; retry compact_memory when it waits` };
  return { status: 'completed', result };
}

/** Picks the run to compact: explicit target, else the run, else its most recent descendant with messages. */
async function compactTarget(rt: Runtime, runId: string, explicit: unknown): Promise<RunState> {
  if (typeof explicit === 'string' && explicit) {
    const t = await rt.store.runs.get(explicit);
    if (!t) throw new RunNotFound(explicit);
    return t;
  }
  const ids = await rt.tree(runId);
  const hasMessages = (r: RunState | null) => !!r && Array.isArray(r.vars?.context?.messages) && r.vars.context.messages.length > 0;
  const candidates = (await Promise.all(ids.map((id) => rt.store.runs.get(id)))).filter(hasMessages) as RunState[];
  if (!candidates.length) throw new InvalidCommand(`No run with context.messages under '${runId}'`);
  const self = candidates.find((r) => r.run_id === runId);
  return self ?? candidates.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))[0]!;
}

const CompactPayload = commandPayload({
  target_run_id: z.unknown().optional(),
  preserve_recent: z.int({ error: 'preserve_recent must be an integer >= 0' }).min(0, 'preserve_recent must be an integer >= 0').optional(),
  compression_mode: z.enum(MODES, { error: `compression_mode must be one of ${MODES.join(', ')}` }).optional(),
  focus: z.unknown().optional(),
});

export function installMemory(rt: Runtime): void {
  rt.registerEffect('memory_compact', (ctx) => compactMemory(rt, ctx), { external: true });
  rt.registerCommand('compact_memory', async (rt2, cmd) => {
    if (!(await rt2.store.runs.get(cmd.run_id))) throw new RunNotFound(cmd.run_id);
    const p = parsePayload(CompactPayload, cmd.payload);
    const target = await compactTarget(rt2, cmd.run_id, p.target_run_id);
    const preserve = p.preserve_recent;
    const mode = p.compression_mode;
    const request = { target_run_id: target.run_id, preserve_recent: preserve ?? 6, compression_mode: mode ?? 'standard', focus: p.focus ?? null, command_id: cmd.command_id };
    // A maintenance run created in the command's transaction: the runner ticks it without blocking the command
    // loop on the LLM call. Its outcome lands in the target's ledger.
    await rt2.createRun(memoryWorkflows()[1]!, { vars: { request }, sessionId: target.session_id });
    return `compaction of ${target.run_id} started`;
  });
}
