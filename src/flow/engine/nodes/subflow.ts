// Subflow composition (docs/flows.md "Node families", docs/flows.md "Executing"): START_SUBWORKFLOW async+wait; the runtime creates the
// child run (same session), the parent waits and is resumed with `{sub_run_id, output}`. Recursion is just
// another child run with its own state.

import { type Vars, isPlainObject } from '../../../model/index.ts';
import { truthy } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { config, dataInputs, dataOutputs, type VNode } from '../model.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

const INHERIT_KEYS = ['inherit_context', 'inheritContext'];
const SESSION_KEYS = ['child_session_id', 'childSessionId', 'session_id', 'sessionId'];
const CONTROL_KEYS = new Set([...INHERIT_KEYS, ...SESSION_KEYS]);

function subflowTarget(node: VNode): string | null {
  for (const k of ['subflowId', 'flowId', 'workflowId', 'workflow_id']) {
    const v = node.data[k];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
}

function childVars(node: VNode, input: Vars): Vars {
  const base: Vars = isPlainObject(input.vars) ? { ...input.vars } : isPlainObject(input.input) ? { ...input.input } : {};
  const pins = dataInputs(node).map((p) => p.id).filter((p) => !CONTROL_KEYS.has(p));
  if (!pins.length) {
    if (Object.keys(base).length) return base;
    return Object.fromEntries(Object.entries(input).filter(([k]) => !CONTROL_KEYS.has(k)));
  }
  for (const pin of pins) {
    if ((pin === 'vars' || pin === 'input') && isPlainObject(input[pin])) continue;
    if (Object.hasOwn(input, pin)) base[pin] = input[pin];
  }
  return base;
}

const messageId = (m: unknown): unknown => (isPlainObject(m) && isPlainObject(m.metadata) ? m.metadata.message_id : undefined);
const isSystem = (m: unknown): boolean => isPlainObject(m) && m.role === 'system';

/** Child system msgs, parent system msgs, parent others, child others; de-duplicated by message_id. */
function inheritContext(parent: Vars, vars: Vars): void {
  const pctx = isPlainObject(parent.context) ? parent.context : {};
  const cctx: Vars = isPlainObject(vars.context) ? { ...vars.context } : {};
  const pm = Array.isArray(pctx.messages) ? pctx.messages : [];
  const cm = Array.isArray(cctx.messages) ? cctx.messages : [];
  const seen = new Set<unknown>();
  const out: unknown[] = [];
  for (const m of [...cm.filter(isSystem), ...pm.filter(isSystem), ...pm.filter((m) => !isSystem(m)), ...cm.filter((m) => !isSystem(m))]) {
    const id = messageId(m);
    if (id !== undefined && id !== null) {
      if (seen.has(id)) continue;
      seen.add(id);
    }
    out.push(m);
  }
  cctx.messages = out;
  if (!Array.isArray(cctx.attachments) && Array.isArray(pctx.attachments)) cctx.attachments = pctx.attachments;
  vars.context = cctx;
}

async function subflow(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const workflowId = subflowTarget(x.node)!;
  const cfg = config(x.node, 'effectConfig');
  const inheritRaw = INHERIT_KEYS.map((k) => input[k]).find((v) => v !== undefined) ?? cfg.inherit_context ?? cfg.inheritContext;
  const vars = childVars(x.node, input);
  if (truthy(inheritRaw)) inheritContext(x.vars, vars);
  const payload: Vars = { workflow_id: workflowId, vars, async: true, wait: true };
  const session = SESSION_KEYS.map((k) => input[k]).find((v) => typeof v === 'string' && v.trim());
  if (session) payload.session_id = session;
  return { kind: 'effect', type: 'start_subworkflow', payload, placeholder: { sub_run_id: null, output: null } };
}

function mapSubflow(raw: any, node: VNode): Vars {
  const childOut = isPlainObject(raw) ? raw.output : undefined;
  const result = isPlainObject(childOut) && Object.hasOwn(childOut, 'result') ? childOut.result : (childOut ?? null);
  const out: Vars = { sub_run_id: isPlainObject(raw) ? (raw.sub_run_id ?? null) : null, output: result, child_output: childOut ?? null };
  const pins = dataOutputs(node).map((p) => p.id).filter((p) => p !== 'output');
  for (const pin of pins) {
    if (isPlainObject(result)) out[pin] = result[pin] ?? null;
    else if (pins.length === 1) out[pin] = result;
  }
  return out;
}

export const SUBFLOW_NODES: Record<string, NodeSpec> = {
  subflow: {
    family: 'effect',
    exec: subflow,
    mapEffect: mapSubflow,
    validate: (n) => (subflowTarget(n) ? null : 'no subflow selected (data.subflowId is empty)'),
  },
};
