// The Python `code` node (docs/flows.md "Node families"): a visual function node run through the sandboxed Python
// runner of src/flow/builtins/code.ts. HEAD `codeBody` is wrapped into `def transform(_input):` with one local
// per input pin; legacy `code` defines `functionName` itself.

import type { CompiledFlow } from '../compile.ts';
import { codeFromBody, codeNodeOutput, runPythonCode, validatePythonCode } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { dataInputs, type VNode } from '../model.ts';
import { FlowCompileError } from '../../../model/index.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

/** Source and entry function of a code node, or null when it has no code. */
function codeSource(node: VNode): { code: string; functionName: string } | null {
  const body = node.data.codeBody;
  if (typeof body === 'string') return { code: codeFromBody(body, dataInputs(node).map((p) => p.id)), functionName: 'transform' };
  const code = node.data.code;
  if (typeof code !== 'string' || !code.trim()) return null;
  const fn = node.data.functionName;
  return { code, functionName: typeof fn === 'string' && fn.trim() ? fn.trim() : 'transform' };
}

async function codeNode(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('function');
  if (input.permissions === 'full_access') {
    return { kind: 'fail', error: "Code permissions 'full_access' are not available on this gateway (sandbox only)" };
  }
  const src = codeSource(x.node)!;
  const res = await runPythonCode(src.code, input, { functionName: src.functionName });
  const output = codeNodeOutput(res);
  return res.ok ? { kind: 'value', output } : { kind: 'fail', error: res.error, output };
}

export const CODE_NODES: Record<string, NodeSpec> = {
  code: {
    family: 'function',
    exec: codeNode,
    validate: (n) => (codeSource(n) ? null : 'the code node has no code (data.code or data.codeBody)'),
  },
};

/**
 * Like the reference, a code node whose Python does not parse or breaks the sandbox rules fails the whole
 * flow's compilation. Async (it asks the Python runner), so FlowWorkflows runs it after `compileVisualFlow`.
 */
export async function validateCodeNodes(flow: CompiledFlow): Promise<void> {
  for (const id of flow.reachable) {
    const node = flow.nodes.get(id)!;
    if (node.type !== 'code') continue;
    const error = await validatePythonCode(codeSource(node)!.code);
    if (error) throw new FlowCompileError(flow.id, `code node '${id}': ${error}`);
  }
}
