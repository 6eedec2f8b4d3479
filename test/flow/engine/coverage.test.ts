// docs/nodes.md is generated from the node registries (`bun scripts/nodes-doc.ts`). It must list exactly the types
// the engine knows with their current kind and status, and every test file it cites must exist and name the type
// (a test added later may be missing from "tested by" until the doc is regenerated; nothing listed may be false).
import { expect, test } from 'bun:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coverageRows } from '../../../src/flow/engine/coverage.ts';

const ROOT = join(import.meta.dir, '..', '..', '..');

function docRows(): Map<string, { kind: string; status: string; testedBy: string[] }> {
  const out = new Map<string, { kind: string; status: string; testedBy: string[] }>();
  for (const line of readFileSync(join(ROOT, 'docs', 'nodes.md'), 'utf8').split('\n')) {
    const m = /^\| `([^`]+)` \| ([^|]+) \| (\w+) \| ([^|]*) \|/.exec(line);
    if (m) out.set(m[1]!, { kind: m[2]!.trim(), status: m[3]!, testedBy: [...m[4]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!) });
  }
  return out;
}

test('docs/nodes.md lists every registered type with its kind and status (regenerate with `bun scripts/nodes-doc.ts`)', () => {
  const doc = docRows();
  const now = coverageRows(ROOT);
  expect([...doc.keys()].sort()).toEqual(now.map((r) => r.type).sort());
  for (const r of now) expect(`${r.type}: ${doc.get(r.type)!.kind} ${doc.get(r.type)!.status}`).toBe(`${r.type}: ${r.kind} ${r.status}`);
  for (const [type, row] of doc) {
    for (const f of row.testedBy) {
      expect(`${f} exists`).toBe(existsSync(join(ROOT, f)) ? `${f} exists` : `${f} missing`);
      const text = readFileSync(join(ROOT, f), 'utf8');
      expect(`${f} names ${type}: ${text.includes(`'${type}'`) || text.includes(`"${type}"`)}`).toBe(`${f} names ${type}: true`);
    }
  }
});

test('the memory, media and provider nodes are implemented and each has a test', () => {
  const rows = new Map(coverageRows(ROOT).map((r) => [r.type, r]));
  for (const t of ['memory_note', 'memory_query', 'memory_tag', 'memory_rehydrate', 'memory_kg_assert', 'memory_kg_query', 'memory_kg_resolve', 'memact_compose',
    'provider_models', 'model_residency', 'generate_image', 'edit_image', 'generate_voice', 'transcribe_audio', 'generate_music']) {
    expect(`${t}: ${rows.get(t)?.status}`).toBe(`${t}: implemented`);
    expect(rows.get(t)!.testedBy.length).toBeGreaterThan(0);
  }
  expect(rows.get('generate_video')!.status).toBe('unsupported');
});
