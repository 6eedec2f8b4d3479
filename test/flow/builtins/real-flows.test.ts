// Every builtin node authored in the real VisualFlow documents (/work/shared/flows) evaluated with its own
// pinDefaults/config: no JS crash, and the few whose result is fully determined by their defaults match.
import { expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BUILTINS, isBuiltin } from '../../../src/flow/builtins/index.ts';
import { describeShared, SHARED_FLOWS } from '../../support/shared.ts';

describeShared('conformance: builtin nodes of the real flows', () => {
  const DIR = SHARED_FLOWS;

  interface Node { id: string; type?: string; data: Record<string, any> }

  test('real flows: builtin nodes run on their pinDefaults without crashing', async () => {
    let evaluated = 0;
    const failures: string[] = [];
    for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
      const flow = await Bun.file(join(DIR, file)).json();
      for (const node of (flow.nodes ?? []) as Node[]) {
        const type = node.type ?? node.data?.nodeType;
        if (!type || !isBuiltin(type) || type === 'add_message' || type === 'system_datetime') continue;
        const pins = (node.data.inputs ?? []).filter((p: any) => p.type !== 'execution').map((p: any) => p.id);
        const inputs: Record<string, unknown> = { ...(node.data.pinDefaults ?? {}), _pin_order: pins };
        if (node.data.literalValue !== undefined && node.data.literalValue !== null) inputs._literalValue = node.data.literalValue;
        try {
          BUILTINS[type]!(inputs, node.data);
        } catch (e) {
          // Python-style errors are legitimate (e.g. float(None)); JS engine errors are bugs.
          if (!(e instanceof Error) || e instanceof TypeError || e instanceof RangeError) failures.push(`${file}:${node.id} ${type}: ${e}`);
        }
        evaluated++;
      }
    }
    expect(failures).toEqual([]);
    expect(evaluated).toBeGreaterThan(300);
  });

  test('real flows: a concat with pinDefaults and an escaped separator renders like the reference', async () => {
    const flow = await Bun.file(join(DIR, '60a97e4d.json')).json();
    const node = (flow.nodes as Node[]).find((n) => n.data.nodeType === 'concat')!;
    const inputs = { ...node.data.pinDefaults, b: 'do X', d: null, _pin_order: ['a', 'b', 'c', 'd', 'e'] };
    // pinDefaults a="REQUEST : ", c="\\nTASKS TO FULFILL :\\n" (pin values are NOT unescaped), e="".
    expect(BUILTINS.concat!(inputs, node.data)).toBe('REQUEST :  do X \\nTASKS TO FULFILL :\\n  ');
  });
});
