// Every real bundle of /work/shared/bundles (docs/flows.md) loads, with its entrypoints, inputs and nodes.

import { afterAll, describe, expect, test } from 'bun:test';
import fs from 'node:fs';
import path from 'node:path';
import { BundleRegistry } from '../../../src/flow/bundle/registry.ts';
import { readZip } from '../../../src/flow/bundle/zip.ts';
import { tmpDir } from './helpers.ts';
import { describeShared, SHARED_BUNDLES } from '../../support/shared.ts';

describeShared('real bundles (../shared/bundles)', () => {
  const SHARED = SHARED_BUNDLES;
  const dataDir = tmpDir();
  const registry = new BundleRegistry({ flowsDir: SHARED, dataDir });
  const loaded = registry.reload();
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  describe('real bundles', () => {
    test('all load without errors', () => {
      expect(loaded.errors).toEqual([]);
      expect(loaded.ok).toBe(true);
      expect(loaded.bundle_ids).toEqual(['Untitled-Flow', 'basic', 'basic-agent', 'basic-llm-test', 'coder', 'features', 'ralph', 'test']);
      expect(loaded.count).toBe(8);
    });

    test('list: latest per id, every version on request, no default bundle', () => {
      const { items, default_bundle_id } = registry.list();
      expect(default_bundle_id).toBeNull();
      expect(items.map((i) => i.bundle_ref)).toEqual([
        'Untitled-Flow@draft.7dc05dbc-58d5-4175-b58f-3531f5548246', 'basic@dev', 'basic-agent@0.0.1', 'basic-llm-test@0.0.0',
        'coder@dev', 'features@dev', 'ralph@dev', 'test@dev',
      ]);
      const agent = items.find((i) => i.bundle_id === 'basic-agent')!;
      expect(agent).toEqual({
        bundle_id: 'basic-agent', bundle_version: '0.0.1', bundle_ref: 'basic-agent@0.0.1',
        created_at: '2026-01-16T21:48:42.024069+00:00', default_entrypoint: '81795ea9',
        entrypoints: [{ flow_id: '81795ea9', name: 'basic-agent', description: '', interfaces: ['abstractcode.agent.v1'],
          deprecated: false, deprecated_at: null, deprecated_reason: null }],
      });
      const all = registry.list({ allVersions: true }).items.map((i) => i.bundle_ref);
      expect(all).toHaveLength(9);
      expect(all.filter((r) => r.startsWith('basic-agent@'))).toEqual(['basic-agent@0.0.0', 'basic-agent@0.0.1']);
    });

    test('basic-agent@0.0.0 detail: inputs with pinDefaults, node index, flows', () => {
      const d = registry.get('basic-agent@0.0.0');
      expect(d.bundle_ref).toBe('basic-agent@0.0.0');
      expect(d.flows).toEqual(['15f19f7f', '81795ea9']);
      const ep = d.entrypoints[0]!;
      expect(ep.workflow_id).toBe('basic-agent@0.0.0:81795ea9');
      expect(ep.inputs.map((i) => i.id)).toEqual([
        'use_context', 'context', 'provider', 'model', 'system', 'prompt', 'tools', 'max_iterations', 'max_in_tokens',
        'temperature', 'seed', 'resp_schema',
      ]);
      expect(ep.inputs.find((i) => i.id === 'provider')).toEqual({ id: 'provider', label: 'provider', type: 'provider', default: 'lmstudio' });
      expect(ep.inputs.find((i) => i.id === 'prompt')).toEqual({ id: 'prompt', label: 'prompt', type: 'string' });
      expect(ep.inputs.find((i) => i.id === 'tools')!.default).toHaveLength(9);
      expect(ep.node_index['node-4']).toEqual({ type: 'subflow', label: 'Thinking', headerColor: '#00CCCC' });
      expect(ep.node_index.end).toEqual({ type: 'on_flow_end', label: 'ANSWERING', headerColor: '#C0392B' });
      expect(Object.keys(ep.node_index)).toHaveLength(5);
      expect(d.metadata).toEqual({});
    });

    test('ralph and media bundles: inputs and entry nodes', () => {
      const ralph = registry.get('ralph').entrypoints[0]!;
      expect(ralph.inputs.map((i) => [i.id, i.default])).toEqual([
        ['provider', 'openai'], ['model', 'gpt-5-mini'], ['user_request', undefined], ['tasks', undefined],
        ['max_cycles', 3], ['current_cycle', 1],
      ]);
      const features = registry.get('features').entrypoints[0]!;
      expect(features.inputs).toEqual([]);
      expect(features.node_index['node-12']!.type).toBe('on_flow_start');
      expect(registry.get('basic-llm-test').metadata).toMatchObject({ publisher: { host: 'abstractflow.web' } });
    });

    test('test@dev and coder@dev share flow id b4c6f107 but stay distinct workflows', () => {
      const t = registry.getWorkflow('test@dev:b4c6f107')!;
      const c = registry.getWorkflow('coder@dev:b4c6f107')!;
      expect(t.id).toBe('test@dev:b4c6f107');
      expect(c.id).toBe('coder@dev:b4c6f107');
      expect(t.nodes).toHaveLength(3);
      expect(c.nodes).toHaveLength(5);
    });

    test('subflow references are namespaced: basic-agent child and ralph recursion', () => {
      const root = registry.getWorkflow('basic-agent@0.0.0:81795ea9')!;
      const subflows = root.nodes.filter((n: any) => n.type === 'subflow').map((n: any) => n.data.subflowId);
      expect(subflows).toEqual(['basic-agent@0.0.0:15f19f7f', 'basic-agent@0.0.0:15f19f7f']);
      const agent = root.nodes.find((n: any) => n.type === 'agent');
      expect(agent.data.agentConfig._react_workflow_id).toBe('visual_react_agent_basic-agent_0_0_0_81795ea9_node-2');
      const ralph = registry.getWorkflow('ralph@dev:ee1a6daa')!;
      expect(ralph.nodes.find((n: any) => n.id === 'node-25').data.subflowId).toBe('ralph@dev:ee1a6daa');
      // the raw flow stays untouched
      expect(registry.getFlow('ralph', 'ee1a6daa').flow.nodes.find((n: any) => n.id === 'node-25').data.subflowId).toBe('ee1a6daa');
    });

    test('every entrypoint resolves to a loadable workflow; non-entrypoint flows can start too', () => {
      for (const item of registry.list({ allVersions: true }).items) {
        for (const ep of registry.get(item.bundle_ref).entrypoints) {
          expect(registry.getWorkflow(ep.workflow_id)?.id).toBe(ep.workflow_id);
        }
      }
      expect(registry.resolveStart({ flow_id: 'basic-agent@0.0.0:15f19f7f' })).toEqual({
        workflow_id: 'basic-agent@0.0.0:15f19f7f', bundle_id: 'basic-agent', bundle_version: '0.0.0', flow_id: '15f19f7f',
      });
    });

    test('a single .flow file and an unpacked bundle directory both work as flowsDir', () => {
      const single = new BundleRegistry({ flowsDir: path.join(SHARED, 'basic@dev.flow'), dataDir });
      expect(single.reload()).toMatchObject({ ok: true, bundle_ids: ['basic'] });
      expect(single.list().default_bundle_id).toBe('basic');

      const dir = tmpDir();
      try {
        for (const [name, data] of readZip(new Uint8Array(fs.readFileSync(path.join(SHARED, 'basic-agent.flow'))))) {
          fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
          fs.writeFileSync(path.join(dir, name), data);
        }
        const unpacked = new BundleRegistry({ flowsDir: dir, dataDir });
        expect(unpacked.reload()).toMatchObject({ ok: true, bundle_ids: ['basic-agent'] });
        expect(unpacked.get('basic-agent').bundle_version).toBe('0.0.0');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
