// The one bundle validation: everything the gateway would check at load and at first run (archive and manifest
// by bundleFrom*, then every flow compiling: node types known, entry found, edges valid). Used by
// `bundles validate` / `bundles install` (CLI), upload and reload (registry.install / registry.reload behind the
// HTTP routes), so what one accepts the others accept and nothing fails only at start.
// One nuance, as in the reference gateway: a flow whose only problem is a node type this gateway knows but cannot
// run (UNSUPPORTED: e.g. media generation) still loads and is listed, with a warning; starting it fails naming
// the missing capability. Unknown node types, bad edges and every other compile error refuse the bundle.
import { compileVisualFlow } from '../engine/compile.ts';
import type { Bundle } from './bundle.ts';
import { InvalidBundle } from '../../model/index.ts';

export interface FlowCheck { flow_id: string; ok: boolean; nodes?: number; entry?: string; error?: string; warning?: string }
export interface BundleCheck { ok: boolean; bundle_ref: string; flows: FlowCheck[] }

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Compiles every flow of a parsed bundle; never throws. */
export function checkBundle(bundle: Bundle): BundleCheck {
  const flows: FlowCheck[] = [];
  for (const [flowId, json] of bundle.flows) {
    try {
      const compiled = compileVisualFlow(json, { id: flowId });
      flows.push({ flow_id: flowId, ok: true, nodes: compiled.nodes.size, entry: compiled.entry });
    } catch (e) {
      const msg = message(e);
      const problems = msg.replace(/^Flow '.*?' cannot be compiled: /, '').split(/; (?=node ')/);
      if (problems.every((p) => /^node '.*?' has unsupported type '/.test(p))) flows.push({ flow_id: flowId, ok: true, warning: msg });
      else flows.push({ flow_id: flowId, ok: false, error: msg });
    }
  }
  return { ok: flows.every((f) => f.ok), bundle_ref: `${bundle.manifest.bundle_id}@${bundle.manifest.bundle_version}`, flows };
}

/** One line naming every flow that does not compile ("flow root: Unknown node type …; flow b: …"). */
export function checkReasons(check: BundleCheck): string {
  return check.flows.filter((f) => !f.ok).map((f) => `flow ${f.flow_id}: ${f.error}`).join('; ');
}

/** Throws InvalidBundle (HTTP 400 `invalid_bundle`) (the same words `bundles validate` prints) unless every flow compiles. */
export function assertValidBundle(bundle: Bundle): void {
  const check = checkBundle(bundle);
  if (!check.ok) throw new InvalidBundle(`Invalid bundle ${check.bundle_ref}: ${checkReasons(check)}`);
}
