// Flow documents are read like Python's json.loads for authored values: a literal `2.0` is a float and renders
// "2.0" (docs/flows.md "Python value semantics" "literal numbers keep their JSON form"); `2` stays an int; editor metadata such as
// node positions stays plain.
import { expect, test } from 'bun:test';
import { strToU8, zipSync } from 'fflate';
import { bundleFromBytes } from '../../../src/flow/bundle/bundle.ts';
import { end, flow, flowHarness, lit, n, start } from '../engine/helpers.ts';

test('a literal 2.0 in the .flow JSON concatenates as "2.0"; 2 as "2"; positions stay numbers', async () => {
  const doc = flow('lits', [
    start('s'), lit('f', 1111, 'literal_number'), lit('i', 2, 'literal_number'),
    n('cc', 'concat', { in: ['a', 'b'], out: ['result'] }), end('e', ['response']),
  ], ['s.exec-out>e.exec-in', 'f.value>cc.a', 'i.value>cc.b', 'cc.result>e.response']);
  (doc.nodes[0] as any).position = { x: 1234, y: 0 };
  // JSON.stringify cannot write 2.0: put the float in the text itself, as the Python editor writes it.
  const text = JSON.stringify(doc).replace('1111', '2.0').replace('"x":1234', '"x":1234.0');
  const manifest = { bundle_format_version: '1', bundle_id: 'lits', bundle_version: '0.0.1', entrypoints: [{ flow_id: 'lits', name: 'lits' }], default_entrypoint: 'lits', flows: { lits: 'flows/lits.json' } };
  const bundle = bundleFromBytes(zipSync({ 'manifest.json': strToU8(JSON.stringify(manifest)), 'flows/lits.json': strToU8(text) }));
  const parsed = bundle.flows.get('lits')!;
  expect(typeof (parsed.nodes as any[])[0].position.x).toBe('number');
  const h = flowHarness([parsed]);
  expect((await h.start('lits')).output).toEqual({ response: '2.0 2', success: true });
  await h.close();
});
