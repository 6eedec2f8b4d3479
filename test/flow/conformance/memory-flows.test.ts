// The shared LLM-free flows that use memory, knowledge-graph and provider nodes (refused before issue 14) run
// to completion through the real Runtime, with the memory effects on SQLite and embeddings from the stub
// provider over HTTP.
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { installMemoryNodes } from '../../../src/memory/index.ts';
import type { Vars } from '../../../src/model/index.ts';
import { flowHarness } from '../engine/helpers.ts';
import { stubConfig } from '../../llm/helpers.ts';
import { describeShared, SHARED_FLOWS } from '../../support/shared.ts';
import { startStubLlm, type StubLlm } from '../../support/stub-llm.ts';

describeShared('conformance: memory, knowledge-graph and provider flows', () => {
  const docs = readdirSync(SHARED_FLOWS).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(SHARED_FLOWS, f), 'utf8')) as Vars);
  let stub: StubLlm;
  beforeAll(() => { stub = startStubLlm(); });
  afterAll(() => stub.stop());

  async function run(id: string, vars: Vars = {}) {
    const h = flowHarness(docs);
    installMemoryNodes(h.runtime, stubConfig(stub.url, { maxAttempts: 1 }));
    try {
      return await h.start(id, vars);
    } finally {
      await h.close();
    }
  }

  test.each(['07d4b8d9', 'a88244a3', '1e884e22', '3b5d252b', 'ltm-ai-kg-map-to-active', 'ltm-ai-kg-query'])('%s completes', async (id) => {
    const r = await run(id);
    expect(`${r.status} ${r.error ?? ''}`).toBe('completed ');
  });

  test('ltm-ai-kg-entity-link-debug asserts one linked triple', async () => {
    const r = await run('ltm-ai-kg-entity-link-debug');
    expect(r.output).toMatchObject({ ok: true, count: 1, success: true });
    expect(r.output!.assertion_ids[0]).toMatch(/^kga_[0-9a-f]{24}$/);
  });

  test('ltm-ai-kg-entity-resolver-debug resolves "doctor noonien soong" to the schema:Person entity', async () => {
    const r = await run('ltm-ai-kg-entity-resolver-debug');
    expect(r.output).toMatchObject({ ok: true, success: true });
    expect(r.output!.candidates[0]).toMatchObject({ entity: 'ex:person-noonien-soong', label: 'doctor noonien soong', score: 1, types: ['schema:Person'] });
  });

  test('ltm-ai-kg-memact-compose-debug: semantic KG query (embeddings over HTTP) composed into CURRENT CONTEXT', async () => {
    const before = stub.requests.filter((q) => q.path === '/v1/embeddings').length;
    const r = await run('ltm-ai-kg-memact-compose-debug');
    expect(r.status).toBe('completed');
    expect(stub.requests.filter((q) => q.path === '/v1/embeddings').length).toBe(before + 1);
    expect(r.output!.ok).toBe(true);
    expect(r.output!.memact_system_prompt).toStartWith('## CURRENT CONTEXT\nStimulus: noonien\nKG: ex:person-noonien-soong');
  });
});
