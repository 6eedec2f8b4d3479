// Memory product feature beside the kernel: registers the span-memory effects (memory_note, memory_query,
// memory_tag, memory_rehydrate) and the knowledge-graph effects (memory_kg_assert, memory_kg_query,
// memory_kg_resolve) on a Runtime. memory_compact stays in src/features/memory.ts.
import type { LlmConfig } from '../llm/config.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { EffectOutcome } from '../model/index.ts';
import type { EffectContext } from '../runtime/types.ts';
import { KgEffects } from './kg.ts';
import { MemoryInputError } from './owners.ts';
import { memoryNote, memoryQuery, memoryRehydrate, memoryTag } from './spans.ts';

function guard(name: string, fn: (ctx: EffectContext) => EffectOutcome | Promise<EffectOutcome>) {
  return async (ctx: EffectContext): Promise<EffectOutcome> => {
    try {
      return await fn(ctx);
    } catch (e) {
      if (e instanceof MemoryInputError) return { status: 'failed', error: `${name} node '${ctx.nodeId}': ${e.message}` };
      throw e;
    }
  };
}

export function installMemoryNodes(rt: Runtime, llm: LlmConfig): KgEffects {
  const kg = new KgEffects(rt, llm);
  rt.registerEffect('memory_note', guard('memory_note', (c) => memoryNote(rt, c)));
  rt.registerEffect('memory_query', guard('memory_query', (c) => memoryQuery(rt, c)));
  rt.registerEffect('memory_tag', guard('memory_tag', (c) => memoryTag(rt, c)));
  rt.registerEffect('memory_rehydrate', guard('memory_rehydrate', (c) => memoryRehydrate(rt, c)));
  rt.registerEffect('memory_kg_assert', guard('memory_kg_assert', (c) => kg.assert(c)));
  rt.registerEffect('memory_kg_query', guard('memory_kg_query', (c) => kg.query(c)), { external: true });
  rt.registerEffect('memory_kg_resolve', guard('memory_kg_resolve', (c) => kg.resolve(c)));
  return kg;
}
