// The compaction path of the fault-injection test (issue 12 §3): a `compact_memory` command starts a maintenance
// run whose effect calls the LLM in a child run (a real HTTP stub), archives the older messages as an artifact
// (blob file + row) and records the compaction in the target's ledger. Checked after a kill at any boundary.
import { createLlmEffects } from '../../src/llm/index.ts';
import { graphWorkflow, StaticWorkflows } from '../../src/runtime/graph.ts';
import { COMPACT_COMMAND_WORKFLOW, COMPACT_LLM_WORKFLOW, installMemory, memoryWorkflows } from '../../src/features/memory.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { RunState } from '../../src/model/index.ts';
import type { SqliteStore, Store } from '../../src/store/index.ts';
import { stubConfig } from '../llm/helpers.ts';

export const SUMMARY = '{"summary":"They planned a trip.","key_points":["trip"],"confidence":0.9}';

const chat = graphWorkflow('chat', 'w', {
  w: () => ({ effect: { type: 'wait_event', payload: { name: 'never' }, result_key: null }, next_node: 'w' }),
});

export function buildCompactRuntime(store: Store, llmUrl: string): Runtime {
  const rt = new Runtime(store, new StaticWorkflows([chat, ...memoryWorkflows()]), { provider: 'openai', model: 'stub-model' });
  for (const [t, h] of Object.entries(createLlmEffects(stubConfig(llmUrl)))) rt.registerEffect(t, h);
  installMemory(rt);
  return rt;
}

export async function seedCompact(store: Store, rt: Runtime): Promise<void> {
  const messages = [{ role: 'system', content: 'be nice' }, ...Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` }))];
  const run = await rt.start('chat', { vars: { context: { messages } } });
  await rt.tick(run.run_id);
  await store.commands.append({ command_id: 'cm1', run_id: run.run_id, type: 'compact_memory', payload: { preserve_recent: 4 } });
}

export function compactSettled(store: SqliteStore): boolean {
  const row = store.db.query("SELECT COUNT(*) AS n FROM runs WHERE status NOT IN ('completed','failed','cancelled') AND workflow_id <> 'chat'").get() as { n: number };
  const cmd = store.db.query("SELECT outcome FROM commands WHERE command_id = 'cm1'").get() as { outcome: string };
  return row.n === 0 && cmd.outcome !== 'pending';
}

export async function compactViolations(store: SqliteStore, first: { status: string; reason: string | null } | null): Promise<string[]> {
  const bad: string[] = [];
  const runs = (store.db.query('SELECT run_json FROM runs').all() as { run_json: string }[]).map((r) => JSON.parse(r.run_json) as RunState);
  const target = runs.find((r) => r.workflow_id === 'chat')!;
  const cmd = (await store.commands.get('cm1'))!;
  if (cmd.status !== 'applied' || (first && (first.status !== cmd.status || first.reason !== cmd.reason))) {
    bad.push(`cm1 ${cmd.status} ${cmd.reason} (first read ${JSON.stringify(first)})`);
  }
  const maint = runs.filter((r) => r.workflow_id === COMPACT_COMMAND_WORKFLOW);
  if (maint.length !== 1 || maint[0]!.status !== 'completed') bad.push(`${maint.length} maintenance runs: ${maint.map((m) => `${m.status} ${m.error ?? ''}`)}`);
  const llm = runs.filter((r) => r.workflow_id === COMPACT_LLM_WORKFLOW);
  if (llm.length !== 1 || llm[0]!.status !== 'completed') bad.push(`${llm.length} LLM child runs (expected 1)`);
  const recs = (await store.ledger.listAfter(target.run_id, 0, 10_000)).filter((r) => r.idempotency_key === 'command:compact_memory:cm1');
  if (recs.length !== 1) bad.push(`${recs.length} compaction records in the target's ledger`);
  const msgs = target.vars.context.messages as { content: string }[];
  const summaries = msgs.filter((m) => m.content.startsWith('[CONVERSATION HISTORY SUMMARY'));
  if (msgs.length !== 6 || summaries.length !== 1) bad.push(`target has ${msgs.length} messages, ${summaries.length} summaries`);
  const spans = target.vars._runtime.memory_spans ?? [];
  const arts = store.db.query('SELECT artifact_id FROM artifacts WHERE run_id = ?').all(target.run_id) as { artifact_id: string }[];
  if (spans.length !== 1 || arts.length !== 1 || arts[0]!.artifact_id !== spans[0].artifact_id) {
    bad.push(`${spans.length} spans, ${arts.length} artifact rows for the target`);
  }
  for (const r of runs) {
    const v = await store.ledger.verify(r.run_id);
    if (!v.ok) bad.push(`chain of ${r.workflow_id} broken: ${JSON.stringify(v.errors[0])}`);
  }
  return bad;
}
