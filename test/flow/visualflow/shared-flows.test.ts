// Conformance: ../shared/flows (125 real VisualFlow documents referencing each other by id) as a visualflow-mode
// directory: every flow loads into the implicit bundle, references resolve across the directory, listeners of
// tg-agent-main derive, and packing a flow with nested subflows yields a bundle that validates.
import { describe, expect, test } from 'bun:test';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateBundle } from '../../../src/cli/bundles.ts';
import { BundleRegistry } from '../../../src/flow/bundle/registry.ts';
import { packDirectory } from '../../../src/flow/visualflow/pack.ts';
import { FlowWorkflows } from '../../../src/flow/workflows.ts';
import { SqliteStore } from '../../../src/store/index.ts';
import { tempDir } from '../../support/harness.ts';
import { sqliteSnapshots } from '../../support/snapshots.ts';
import { describeShared, SHARED_FLOWS } from '../../support/shared.ts';

const FLOWS = SHARED_FLOWS;

describeShared('../shared/flows as a visualflow directory', () => {
  test('every document loads into one bundle with no missing reference', () => {
    const tmp = tempDir();
    const reg = new BundleRegistry({ flowsDir: FLOWS, dataDir: tmp.path, source: 'visualflow' });
    const res = reg.reload();
    expect(res.errors).toEqual([]);
    const d = reg.get(reg.directoryBundleId!);
    expect(d.flows.length).toBe(readdirSync(FLOWS).filter((f) => f.endsWith('.json')).length);
    expect(d.metadata.missing_refs).toEqual({});
    // 33853f39 (file ac-advanced-agent-v2.json) nests subflows two levels deep; addressed by its document id.
    expect(reg.missingReferences('33853f39')).toEqual([]);
    tmp.cleanup();
  });

  test('tg-agent-main compiles with its telegram.message listener; subflow references are namespaced', async () => {
    const tmp = tempDir();
    const store = SqliteStore.open(':memory:');
    const reg = new BundleRegistry({ flowsDir: FLOWS, dataDir: tmp.path, source: 'visualflow', snapshots: sqliteSnapshots(store) });
    reg.reload();
    const flows = new FlowWorkflows({ source: reg });
    const tg = reg.resolveStart({ flow_id: 'tg-agent-main' });
    const wf = (await flows.get(tg.workflow_id))!;
    expect(wf.listeners!()).toEqual([`visual_event_listener:${tg.workflow_id}:node-event`]);
    const adv = reg.resolveStart({ flow_id: '33853f39' }).workflow_id;
    const subs = reg.getWorkflow(adv)!.nodes.filter((x: any) => x.type === 'subflow').map((x: any) => x.data.subflowId);
    expect(subs.every((s: string) => s.startsWith(adv.split(':')[0] + ':'))).toBe(true);
    expect(await store.flowSnapshots.documentCount()).toBe(6); // tg-agent-main + 33853f39 and the 4 flows it reaches
    await store.close();
    tmp.cleanup();
  });

  test('bundles pack: 33853f39 with every flow it references, accepted by validate', async () => {
    const tmp = tempDir();
    const p = packDirectory(FLOWS, { entry: '33853f39', bundleId: 'advanced', bundleVersion: '1.0.0' });
    expect(Object.keys(p.manifest.flows).sort()).toEqual(['15f19f7f', '1cd9eec9', '33853f39', '60a97e4d', '72b51d91']);
    const file = join(tmp.path, 'advanced.flow');
    await Bun.write(file, p.bytes);
    const v = await validateBundle(file);
    expect(v.errors).toEqual([]);
    expect(v.flows.filter((f) => !f.ok)).toEqual([]);
    expect(v.ok).toBe(true);
    tmp.cleanup();
  });
});
