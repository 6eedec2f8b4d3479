// Memory nodes end to end through the real Runtime and SQLite store: notes as JSON artifacts with spans,
// metadata-first recall, tags, rehydration into context.messages, session/global scopes; the KG triple store
// with filters, FTS5 lexical ranking, semantic ranking through the stub provider's /v1/embeddings over real
// HTTP, token packing, entity resolution and memact_compose.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { installMemoryNodes } from '../../src/memory/index.ts';
import type { Vars } from '../../src/model/index.ts';
import { end, flow, flowHarness, n, start, type FlowHarness } from '../flow/engine/helpers.ts';
import { stubConfig } from '../llm/helpers.ts';
import { startStubLlm, type StubLlm } from '../support/stub-llm.ts';

let stub: StubLlm;
beforeAll(() => { stub = startStubLlm(); });
afterAll(() => stub.stop());

function harness(docs: Vars[]): FlowHarness {
  const h = flowHarness(docs);
  installMemoryNodes(h.runtime, stubConfig(stub.url, { maxAttempts: 1 }));
  return h;
}

const noteFlow = flow('note', [
  start('s', ['content', 'tags', 'scope', 'keep']),
  n('mn', 'memory_note', { in: ['exec-in', 'content', 'tags', 'scope', 'keep_in_context', 'location'], out: ['exec-out', 'note_id'], pinDefaults: { location: 'lab' } }),
  end('e', ['note_id']),
], ['s.exec-out>mn.exec-in', 's.content>mn.content', 's.tags>mn.tags', 's.scope>mn.scope', 's.keep>mn.keep_in_context', 'mn.exec-out>e.exec-in', 'mn.note_id>e.note_id']);

const recallFlow = flow('recall', [
  start('s', ['query', 'tags', 'tags_mode', 'scope', 'locations']),
  n('mq', 'memory_query', { in: ['exec-in', 'query', 'tags', 'tags_mode', 'scope', 'locations', 'limit'], out: ['exec-out', 'rendered', 'results', 'span_ids'] }),
  end('e', ['rendered', 'span_ids', 'results']),
], ['s.exec-out>mq.exec-in', 's.query>mq.query', 's.tags>mq.tags', 's.tags_mode>mq.tags_mode', 's.scope>mq.scope', 's.locations>mq.locations', 'mq.exec-out>e.exec-in', 'mq.rendered>e.rendered', 'mq.span_ids>e.span_ids', 'mq.results>e.results']);

describe('span memory', () => {
  test('memory_note stores a JSON artifact + span; keep_in_context adds a synthetic message', async () => {
    const h = harness([noteFlow]);
    const run = await h.start('note', { content: 'The launch code is blue', tags: { topic: 'launch' }, keep: true });
    const id = run.output!.note_id as string;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    const span = run.vars._runtime.memory_spans[0];
    expect(span).toMatchObject({ kind: 'memory_note', artifact_id: id, message_count: 0, note_preview: 'The launch code is blue', location: 'lab', tags: { topic: 'launch' } });
    const body = await (await h.store.artifacts.content(id))!.json();
    expect(body).toMatchObject({ note: 'The launch code is blue', sources: { run_id: run.run_id, span_ids: [], message_ids: [] }, location: 'lab' });
    expect((await h.store.artifacts.meta(id))!.tags).toEqual({ topic: 'launch', kind: 'memory_note' });
    expect(run.vars.context.messages.at(-1)).toMatchObject({ role: 'system', content: `[MEMORY NOTE span_id=${id}]: The launch code is blue`, metadata: { kind: 'memory_note', span_id: id } });
    await h.close();
  });

  test('session scope: notes land in session_memory_<sid>; recall filters by tags/tags_mode/locations and the body text', async () => {
    const h = harness([noteFlow, recallFlow]);
    await h.start('note', { content: 'Alice likes tea', tags: { person: 'alice', drink: 'tea' }, scope: 'session' }, 'sess-1');
    await h.start('note', { content: 'Bob likes coffee', tags: { person: 'bob', drink: 'coffee' }, scope: 'session' }, 'sess-1');
    const owner = (await h.store.runs.get('session_memory_sess-1'))!;
    expect(owner.workflow_id).toBe('__session_memory__');
    expect(owner.status).toBe('completed');
    expect(owner.vars._runtime.memory_spans).toHaveLength(2);

    const all = await h.start('recall', { query: '', tags: { person: 'alice', drink: 'coffee' }, tags_mode: 'any', scope: 'session' }, 'sess-1');
    expect(all.output!.span_ids).toHaveLength(2);
    const both = await h.start('recall', { query: '', tags: { person: 'alice', drink: 'coffee' }, tags_mode: 'all', scope: 'session' }, 'sess-1');
    expect(both.output!.span_ids).toEqual([]);
    expect(both.output!.rendered).toBe('No memory matched.');
    const tea = await h.start('recall', { query: 'TEA', scope: 'session' }, 'sess-1');
    expect(tea.output!.span_ids).toHaveLength(1);
    expect(tea.output!.rendered).toContain('Alice likes tea');
    expect(tea.output!.results[0]).toMatchObject({ kind: 'memory_note', owner_run_id: 'session_memory_sess-1' });
    const elsewhere = await h.start('recall', { query: '', scope: 'session', locations: ['mars'] }, 'sess-1');
    expect(elsewhere.output!.span_ids).toEqual([]);
    // Another session sees nothing; run scope of a fresh run sees nothing.
    expect((await h.start('recall', { query: '', scope: 'session' }, 'sess-2')).output!.span_ids).toEqual([]);
    await h.close();
  });

  test('memory_tag merges tags on a span; memory_rehydrate inserts the note after system messages, deduplicated', async () => {
    const tagRehydrate = flow('tagre', [
      start('s', ['span']),
      n('mt', 'memory_tag', { in: ['exec-in', 'span_id', 'tags', 'scope'], out: ['exec-out', 'rendered', 'success'], pinDefaults: { tags: { reviewed: 'yes' }, scope: 'global' } }),
      n('mr', 'memory_rehydrate', { in: ['exec-in', 'span_ids', 'placement'], out: ['exec-out', 'inserted', 'skipped'], pinDefaults: { placement: 'after_system' } }),
      n('mr2', 'memory_rehydrate', { in: ['exec-in', 'span_ids', 'placement'], out: ['exec-out', 'inserted', 'skipped'], pinDefaults: { placement: 'after_system' } }),
      end('e', ['ok', 'first', 'again']),
    ], ['s.exec-out>mt.exec-in', 's.span>mt.span_id', 'mt.exec-out>mr.exec-in', 's.span>mr.span_ids', 'mr.exec-out>mr2.exec-in', 's.span>mr2.span_ids', 'mr2.exec-out>e.exec-in', 'mt.success>e.ok', 'mr.inserted>e.first', 'mr2.skipped>e.again']);
    const h = harness([noteFlow, tagRehydrate]);
    const noted = await h.start('note', { content: 'Global fact', tags: { a: '1' }, scope: 'global' });
    const id = noted.output!.note_id;
    const run = await h.start('tagre', { span: id, context: { messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: 'hi' }] } });
    expect(run.output).toEqual({ ok: true, first: 1, again: 1, success: true });
    expect((await h.store.runs.get('global_memory'))!.vars._runtime.memory_spans[0].tags).toEqual({ a: '1', reviewed: 'yes' });
    expect(run.vars.context.messages.map((m: Vars) => m.content)).toEqual(['sys', `[MEMORY NOTE span_id=${id}]: Global fact`, 'hi']);
    await h.close();
  });

  test('connected recall adds time and tag neighbours of the matches', async () => {
    const connectedRecall = flow('crecall', [
      start('s', ['query', 'connect_by']),
      n('mq', 'memory_query', { in: ['exec-in', 'query', 'scope', 'connected', 'connect_by'], out: ['exec-out', 'results'], pinDefaults: { scope: 'global', connected: 'true' } }),
      end('e', ['results']),
    ], ['s.exec-out>mq.exec-in', 's.query>mq.query', 's.connect_by>mq.connect_by', 'mq.exec-out>e.exec-in', 'mq.results>e.results']);
    const h = harness([noteFlow, connectedRecall]);
    for (const [content, tags] of [['first note', { t: 'a' }], ['second note', { t: 'b' }], ['third note', { t: 'c' }], ['fourth note', { t: 'a' }]] as const) {
      await h.start('note', { content, tags, scope: 'global' });
    }
    const byTime = await h.start('crecall', { query: 'third', connect_by: ['time'] });
    expect(byTime.output!.results.map((r: Vars) => [r.note_preview, r.connected_via ?? null])).toEqual([['third note', null], ['second note', 'time'], ['fourth note', 'time']]);
    const byTag = await h.start('crecall', { query: 'first', connect_by: ['tag'] });
    expect(byTag.output!.results.map((r: Vars) => [r.note_preview, r.connected_via ?? null])).toEqual([['first note', null], ['fourth note', 'tag']]);
    await h.close();
  });

  test('an invalid scope fails the node with a clear message', async () => {
    const h = harness([noteFlow]);
    const run = await h.start('note', { content: 'x', scope: 'galaxy' });
    expect(run.status).toBe('failed');
    expect(run.error).toContain("memory_note node 'mn': scope must be one of run, session, global");
    await h.close();
  });
});

const kgFlow = flow('kg', [
  start('s', ['assertions', 'q']),
  n('ka', 'memory_kg_assert', { in: ['exec-in', 'assertions', 'scope'], out: ['exec-out', 'assertion_ids', 'count', 'ok'], pinDefaults: { scope: 'global' } }),
  n('kq', 'memory_kg_query', { in: ['exec-in', 'subject', 'predicate', 'object', 'query_text', 'scope', 'limit', 'max_input_tokens', 'min_score', 'model', 'active_at'], out: ['exec-out', 'items', 'count', 'active_memory_text', 'packed_count', 'dropped'], pinDefaults: { scope: 'global' } }),
  n('mc', 'memact_compose', { in: ['exec-in', 'kg_result', 'stimulus'], out: ['exec-out', 'memact_system_prompt', 'ok'] }),
  end('e', ['ids', 'count', 'text', 'prompt', 'items', 'dropped']),
], ['s.exec-out>ka.exec-in', 's.assertions>ka.assertions', 'ka.exec-out>kq.exec-in', 'kq.exec-out>mc.exec-in', 'mc.exec-out>e.exec-in', 'ka.assertion_ids>e.ids', 'kq.count>e.count', 'kq.active_memory_text>e.text', 'mc.memact_system_prompt>e.prompt', 'kq.items>e.items', 'kq.dropped>e.dropped']);

function kgWith(query: Vars): Vars {
  const doc = structuredClone(kgFlow) as Vars;
  const kq = doc.nodes.find((x: Vars) => x.id === 'kq');
  kq.data.pinDefaults = { ...kq.data.pinDefaults, ...query };
  // memact_compose reads the whole query output as its kg_result
  doc.edges.push({ source: 'kq', sourceHandle: 'raw', target: 'mc', targetHandle: 'kg_result' });
  kq.data.outputs.push({ id: 'raw', label: 'raw', type: 'object' });
  return doc;
}

const FACTS = [
  { subject: 'Alice', predicate: 'works at', object: 'Acme', subject_type: 'person', object_type: 'org' },
  { subject: 'Alice', predicate: 'likes', object: 'green tea' },
  { subject: 'Bob', predicate: 'likes', object: 'coffee', valid_until: '2020-01-01T00:00:00+00:00' },
];

describe('knowledge graph', () => {
  test('assert deduplicates; query filters by subject/predicate; memact_compose builds CURRENT CONTEXT', async () => {
    const h = harness([kgWith({ subject: 'alice' })]);
    const run = await h.start('kg', { assertions: FACTS });
    expect(run.status).toBe('completed');
    expect(run.output!.ids).toHaveLength(3);
    expect(run.output!.count).toBe(2);
    expect(run.output!.text.split('\n').sort()).toEqual(['- Alice likes green tea', '- Alice works_at Acme']);
    expect(run.output!.prompt).toStartWith('## CURRENT CONTEXT');
    const again = await h.start('kg', { assertions: FACTS });
    expect(again.output!.ids).toEqual(run.output!.ids); // same owner + triple → same assertion
    expect((h.store.db.query('SELECT COUNT(*) AS n FROM kg_assertions').get() as { n: number }).n).toBe(3);
    await h.close();
  });

  test('active_at drops expired facts; query_text ranks lexically (FTS5); max_input_tokens packs and reports drops', async () => {
    const h = harness([kgWith({ predicate: 'likes', active_at: '2024-06-01T00:00:00+00:00' })]);
    const run = await h.start('kg', { assertions: FACTS });
    expect(run.output!.text).toBe('- Alice likes green tea');
    await h.close();
    const h2 = harness([kgWith({ query_text: 'coffee', limit: 5 })]);
    const lex = await h2.start('kg', { assertions: FACTS });
    expect(lex.output!.items[0]).toMatchObject({ subject: 'Bob', object: 'coffee' });
    expect(lex.output!.items[0].score).toBeGreaterThan(0);
    await h2.close();
    const h3 = harness([kgWith({ max_input_tokens: 7 })]);
    const packed = await h3.start('kg', { assertions: FACTS });
    expect(packed.output!.count).toBe(3);
    expect(packed.output!.dropped).toBeGreaterThan(0);
    await h3.close();
  });

  test('semantic ranking asks the provider /v1/embeddings over HTTP and filters by min_score', async () => {
    const before = stub.requests.length;
    const h = harness([kgWith({ query_text: 'likes tea', model: 'stub-embed', min_score: 0.5 })]);
    const run = await h.start('kg', { assertions: FACTS });
    expect(run.status).toBe('completed');
    const calls = stub.requests.slice(before).filter((r) => r.path === '/v1/embeddings');
    expect(calls.length).toBe(1);
    expect(calls[0]!.body.model).toBe('stub-embed');
    expect(calls[0]!.body.input[0]).toBe('likes tea');
    const scores = (run.output!.items as Vars[]).map((i) => i.score);
    expect(scores.every((s) => s >= 0.5)).toBe(true);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // Vectors are cached per (assertion, model): a second query embeds only the query text.
    const again = await h.start('kg', { assertions: [] });
    const second = stub.requests.slice(before).filter((r) => r.path === '/v1/embeddings')[1]!;
    expect(again.status).toBe('completed');
    expect(second.body.input).toEqual(['likes tea']);
    await h.close();
  });

  test('memory_kg_resolve maps a label to entity candidates, filtered by expected_type', async () => {
    const resolve = flow('resolve', [
      start('s', ['assertions', 'label', 'type']),
      n('ka', 'memory_kg_assert', { in: ['exec-in', 'assertions'], out: ['exec-out'] }),
      n('kr', 'memory_kg_resolve', { in: ['exec-in', 'label', 'expected_type'], out: ['exec-out', 'candidates', 'count'] }),
      end('e', ['candidates']),
    ], ['s.exec-out>ka.exec-in', 's.assertions>ka.assertions', 'ka.exec-out>kr.exec-in', 's.label>kr.label', 's.type>kr.expected_type', 'kr.exec-out>e.exec-in', 'kr.candidates>e.candidates']);
    const h = harness([resolve]);
    const run = await h.start('resolve', { assertions: FACTS, label: 'alice', type: 'person' });
    expect(run.output!.candidates).toEqual([expect.objectContaining({ label: 'Alice', type: 'person' })]);
    await h.close();
  });
});

describe('llm_call memory-source pins run the memory pre-effects', () => {
  test('use_kg_memory + use_span_memory: KG query and span recall/rehydrate happen before the call', async () => {
    const { createLlmEffects } = await import('../../src/llm/index.ts');
    const doc = flow('mem-llm', [
      start('s', ['facts', 'note']),
      n('ka', 'memory_kg_assert', { in: ['exec-in', 'assertions'], out: ['exec-out'] }),
      n('mn', 'memory_note', { in: ['exec-in', 'content'], out: ['exec-out', 'note_id'] }),
      n('llm', 'llm_call', {
        in: ['exec-in', 'prompt', 'use_kg_memory', 'use_span_memory', 'memory_query', 'use_context'], out: ['exec-out', 'response'],
        pinDefaults: { prompt: 'What does Alice like?', use_kg_memory: true, use_span_memory: true, memory_query: 'alice', use_context: true },
      }),
      end('e', ['response']),
    ], ['s.exec-out>ka.exec-in', 's.facts>ka.assertions', 'ka.exec-out>mn.exec-in', 's.note>mn.content', 'mn.exec-out>llm.exec-in', 'llm.exec-out>e.exec-in', 'llm.response>e.response']);
    const h = harness([doc]);
    const cfg = stubConfig(stub.url, { maxAttempts: 1, stream: false });
    for (const [type, handler] of Object.entries(createLlmEffects(cfg))) h.runtime.registerEffect(type, handler, { external: true });
    stub.enqueue({ content: 'Green tea.' });
    const before = stub.requests.length;
    const run = await h.start('mem-llm', { facts: FACTS, note: 'Alice said hello' });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ response: 'Green tea.', success: true });
    const types = (await h.ledger(run.run_id)).filter((r) => r.status === 'completed' && r.effect && r.effect.type !== 'emit_event').map((r) => r.effect!.type);
    expect(types).toEqual(['memory_kg_assert', 'memory_note', 'memory_query', 'memory_rehydrate', 'memory_kg_query', 'llm_call']);
    const chat = stub.requests.slice(before).find((r) => r.path === '/v1/chat/completions')!;
    const text = JSON.stringify(chat.body.messages);
    expect(text).toContain('## KG ACTIVE MEMORY');
    expect(text).toContain('Alice likes green tea');
    expect(text).toContain('Alice said hello'); // the rehydrated note
    await h.close();
  });
});

test('agent with use_kg_memory queries the KG before starting its child run and passes the active memory', async () => {
  const { createAgentWorkflow, createLlmEffects } = await import('../../src/llm/index.ts');
  const doc = flow('mem-agent', [
    start('s', ['facts']),
    n('ka', 'memory_kg_assert', { in: ['exec-in', 'assertions'], out: ['exec-out'] }),
    n('ag', 'agent', { in: ['exec-in', 'prompt', 'use_kg_memory', 'memory_query', 'provider', 'model'], out: ['exec-out', 'response'], pinDefaults: { prompt: 'Where does Alice work?', use_kg_memory: true, memory_query: 'alice', provider: 'lmstudio', model: 'stub-model' } }),
    end('e', ['response']),
  ], ['s.exec-out>ka.exec-in', 's.facts>ka.assertions', 'ka.exec-out>ag.exec-in', 'ag.exec-out>e.exec-in', 'ag.response>e.response']);
  const h = flowHarness([doc], [createAgentWorkflow()]);
  installMemoryNodes(h.runtime, stubConfig(stub.url, { maxAttempts: 1 }));
  for (const [type, handler] of Object.entries(createLlmEffects(stubConfig(stub.url, { maxAttempts: 1, stream: false })))) h.runtime.registerEffect(type, handler, { external: true });
  stub.respond = () => ({ content: 'At Acme.' });
  try {
    const run = await h.start('mem-agent', { facts: FACTS });
    expect(run.status).toBe('completed');
    expect(run.output).toEqual({ response: 'At Acme.', success: true });
    const types = (await h.ledger(run.run_id)).filter((r) => r.status === 'completed' && r.effect && r.effect.type !== 'emit_event').map((r) => r.effect!.type);
    expect(types.slice(0, 2)).toEqual(['memory_kg_assert', 'memory_kg_query']);
    const child = (await h.store.runs.children(run.run_id))[0]!;
    expect(child.vars.system).toContain('## KG ACTIVE MEMORY\n- Alice works_at Acme');
  } finally {
    stub.respond = null;
    await h.close();
  }
});
