// The Python `code` node (docs/flows.md "Node families"): a visual function node run through the Python sandbox of
// src/flow/builtins/code.ts (executions of one run may share an interpreter, other runs never do). Source:
// a `code` that defines `functionName` at top level runs as written (CPython semantics: one module, its
// top-level names visible to every function), so does a `codeBody` that itself defines the function; any
// other HEAD `codeBody` is wrapped into `def transform(_input):` with one local per input pin.

import type { CompiledFlow } from '../compile.ts';
import { codeFromBody, codeNodeOutput, runPythonCode, validatePythonCode } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { dataInputs, type VNode } from '../model.ts';
import { FlowCompileError } from '../../../model/index.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

/** Source and entry function of a code node, or null when it has no code. */
function codeSource(node: VNode): { code: string; functionName: string } | null {
  const fn = node.data.functionName;
  const functionName = typeof fn === 'string' && fn.trim() ? fn.trim() : 'transform';
  const code = node.data.code;
  const body = node.data.codeBody;
  if (typeof code === 'string' && definesFunction(code, functionName)) return { code, functionName };
  if (typeof body === 'string') {
    if (definesFunction(body, 'transform')) return { code: body, functionName: 'transform' };
    return { code: codeFromBody(body, dataInputs(node).map((p) => p.id)), functionName: 'transform' };
  }
  if (typeof code !== 'string' || !code.trim()) return null;
  return { code, functionName };
}

/** Whether `src` defines `name` at module level (a `def` at column 0). */
function definesFunction(src: string, name: string): boolean {
  return new RegExp(`^(async\\s+)?def\\s+${name.replace(/[^\w]/g, '')}\\s*\\(`, 'm').test(src);
}

async function codeNode(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('function');
  if (input.permissions === 'full_access') {
    return { kind: 'fail', error: "Code permissions 'full_access' are not available on this gateway (sandbox only)" };
  }
  const src = codeSource(x.node)!;
  const res = await runPythonCode(src.code, input, { functionName: src.functionName, isolationKey: x.run.run_id });
  const output = codeNodeOutput(res);
  if (res.ok) return { kind: 'value', output };
  // The node keeps its error record for downstream pins; the run output is the reference's
  // `{error, success: false, node}` without the record's output/result/execution keys.
  x.setOutput(x.node.id, output);
  return { kind: 'fail', error: res.error };
}

export const CODE_NODES: Record<string, NodeSpec> = {
  code: {
    family: 'function',
    exec: codeNode,
    validate: (n) => (codeSource(n) ? null : 'the code node has no code (data.code or data.codeBody)'),
  },
};

/**
 * Like the reference, a code node whose Python does not parse fails the whole flow's compilation. Async (it
 * asks the sandbox), so FlowWorkflows runs it after `compileVisualFlow`.
 */
export async function validateCodeNodes(flow: CompiledFlow): Promise<void> {
  for (const id of flow.reachable) {
    const node = flow.nodes.get(id)!;
    if (node.type !== 'code') continue;
    const error = await validatePythonCode(codeSource(node)!.code);
    if (error) throw new FlowCompileError(flow.id, `code node '${id}': ${error}`);
  }
}
