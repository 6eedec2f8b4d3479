// Variables and context (docs/flows.md "Node families"). Reads are pure and always recomputed; writes are adapters
// that persist their output but leave the ambient `_last_output` untouched.

import { type Vars, isPlainObject, getPath, setPath } from '../../../model/index.ts';
import { parseJsonSafe } from '../../../util/json.ts';
import { cloneValue, pyStr } from '../deps.ts';
import type { Exec } from '../exec.ts';
import type { VNode } from '../model.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

/** A writable variable name, or an error message. */
function checkName(raw: unknown): { name: string } | { error: string } {
  const name = typeof raw === 'string' ? raw.trim() : raw === null || raw === undefined ? '' : pyStr(raw).trim();
  if (!name) return { error: 'Variable name is required' };
  if (name.startsWith('_')) return { error: `Invalid variable name '${name}': names starting with '_' are reserved` };
  return { name };
}

const TYPE_ZERO: Record<string, unknown> = { boolean: false, number: 0, string: '', object: {}, array: [] };

function matchesType(v: unknown, type: string): boolean {
  switch (type) {
    case 'boolean': return typeof v === 'boolean';
    case 'number': return typeof v === 'number';
    case 'string': return typeof v === 'string';
    case 'object': return isPlainObject(v);
    case 'array': return Array.isArray(v);
    default: return v !== undefined;
  }
}

async function setVar(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const checked = checkName(input.name);
  if ('error' in checked) return { kind: 'fail', error: checked.error };
  let value: unknown;
  if (Object.hasOwn(input, 'value')) value = input.value;
  else {
    const pinType = x.node.inputs.find((p) => p.id === 'value')?.type ?? 'any';
    value = pinType === 'boolean' ? false : pinType === 'number' ? 0 : pinType === 'string' ? '' : null;
  }
  value = cloneValue(value);
  setPath(x.vars, checked.name, value);
  return { kind: 'pass', output: { value }, terminal: { success: true, result: x.lastOutput ?? null } };
}

async function setVars(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  let updates = input.updates;
  if (typeof updates === 'string') updates = parseJsonSafe(updates, null);
  if (!isPlainObject(updates)) updates = {};
  for (const k of Object.keys(updates)) {
    const checked = checkName(k);
    if ('error' in checked) return { kind: 'fail', error: checked.error };
  }
  const clean = cloneValue(updates) as Vars;
  for (const [k, v] of Object.entries(clean)) setPath(x.vars, k.trim(), v);
  return { kind: 'pass', output: { updates: clean }, terminal: { success: true, result: x.lastOutput ?? null, updates: clean } };
}

async function setVarProperty(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const checked = checkName(input.name);
  if ('error' in checked) return { kind: 'fail', error: checked.error };
  const key = input.key === null || input.key === undefined ? '' : pyStr(input.key).trim();
  if (!key) return { kind: 'fail', error: 'set_var_property requires a key' };
  const current = getPath(x.vars, checked.name);
  const obj: Vars = isPlainObject(current) ? structuredClone(current) : {};
  setPath(obj, key, cloneValue(input.value ?? null));
  setPath(x.vars, checked.name, obj);
  return { kind: 'pass', output: { value: obj }, terminal: { success: true, result: x.lastOutput ?? null, value: obj } };
}

function varDecl(x: Exec, node: VNode): Vars {
  const cfg = isPlainObject(node.data.literalValue) ? node.data.literalValue : {};
  const name = typeof cfg.name === 'string' ? cfg.name.trim() : '';
  const type = typeof cfg.type === 'string' ? cfg.type : 'any';
  const current = name ? getPath(x.vars, name) : undefined;
  let value: unknown;
  if (matchesType(current, type)) value = current;
  else if (matchesType(cfg.default, type)) value = cfg.default;
  else value = Object.hasOwn(TYPE_ZERO, type) ? structuredClone(TYPE_ZERO[type]) : null;
  return { name, value: value ?? null };
}

function boolVar(x: Exec, node: VNode): Vars {
  const lv = node.data.literalValue;
  const name = (typeof lv === 'string' ? lv : isPlainObject(lv) && typeof lv.name === 'string' ? lv.name : '').trim();
  const fallback = isPlainObject(lv) && typeof lv.default === 'boolean' ? lv.default : false;
  const current = name ? getPath(x.vars, name) : undefined;
  return { name, value: typeof current === 'boolean' ? current : fallback };
}

function contextOf(vars: Vars): Vars {
  return isPlainObject(vars.context) ? vars.context : {};
}

function getContext(x: Exec): Vars {
  const context = contextOf(x.vars);
  const task = context.task;
  const messages = context.messages;
  return {
    context,
    task: task === null || task === undefined ? '' : pyStr(task),
    messages: Array.isArray(messages) ? messages : messages === null || messages === undefined ? [] : [messages],
  };
}

function newMessage(x: Exec, role: unknown, content: unknown): Vars {
  const id = crypto.randomUUID().replace(/-/g, '');
  return {
    role: typeof role === 'string' && role.trim() ? role.trim() : 'user',
    content: content === null || content === undefined ? '' : pyStr(content),
    timestamp: x.ctx.nowIso(),
    metadata: { message_id: `msg_${id}` },
  };
}

async function addMessage(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const message = newMessage(x, input.role, input.content);
  if (!isPlainObject(x.vars.context)) x.vars.context = {};
  const context = x.vars.context as Vars;
  if (!Array.isArray(context.messages)) context.messages = [];
  context.messages.push(message);
  const { task, messages } = getContext(x);
  return { kind: 'pass', output: { message, context, task, messages }, terminal: { success: true, message } };
}

export const VARIABLE_NODES: Record<string, NodeSpec> = {
  get_var: {
    family: 'function',
    pure: (x, _n, inputs) => {
      const name = typeof inputs.name === 'string' ? inputs.name.trim() : '';
      return { value: name ? (getPath(x.vars, name) ?? null) : null };
    },
  },
  set_var: { family: 'adapter', exec: setVar },
  set_vars: { family: 'adapter', exec: setVars },
  set_var_property: { family: 'adapter', exec: setVarProperty },
  var_decl: { family: 'function', pure: (x, n) => varDecl(x, n) },
  bool_var: { family: 'function', pure: (x, n) => boolVar(x, n) },
  get_context: { family: 'function', pure: (x) => getContext(x) },
  // As a data-only node add_message is the `add_message` builtin (returns `{message}` only).
  add_message: { family: 'adapter', exec: addMessage },
};
