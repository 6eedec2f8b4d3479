// Memory nodes backed by a runtime effect (docs/flows.md "Node families"). Only `memory_compact` has a handler in
// this gateway (src/features/memory.ts); the span/KG memory nodes are rejected at compile time (nodes/index.ts).

import { type Vars, isPlainObject } from '../../../model/index.ts';
import { toFloat } from '../deps.ts';
import type { Exec } from '../exec.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

async function memoryCompact(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const payload: Vars = {};
  if (input.preserve_recent !== undefined && input.preserve_recent !== null) {
    try {
      payload.preserve_recent = Math.trunc(toFloat(input.preserve_recent));
    } catch {
      throw new Error(`memory_compact node '${x.node.id}': preserve_recent must be a number`);
    }
  }
  if (typeof input.compression_mode === 'string' && input.compression_mode.trim()) payload.compression_mode = input.compression_mode.trim();
  if (typeof input.focus === 'string' && input.focus.trim()) payload.focus = input.focus.trim();
  return { kind: 'effect', type: 'memory_compact', payload, placeholder: { span_id: null, raw: null } };
}

/** The handler returns a tool-results object; the span id is in the first result's meta. */
function mapCompact(raw: any): Vars {
  const first = isPlainObject(raw) && Array.isArray(raw.results) ? raw.results[0] : undefined;
  const meta = isPlainObject(first) && isPlainObject(first.meta) ? first.meta : {};
  return { span_id: meta.span_id ?? null, raw };
}

export const MEMORY_NODES: Record<string, NodeSpec> = {
  memory_compact: { family: 'effect', exec: memoryCompact, mapEffect: mapCompact },
};
