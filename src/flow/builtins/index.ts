// The pure builtin node registry (docs/flows.md "Node families"). The interpreter evaluates a pure node by calling
// BUILTINS[type](inputs, node.data): `inputs` holds the resolved pins (absent keys = unset, not null) plus
// `_literalValue` (data.literalValue when non-null) and `_pin_order` (declared non-exec input pin ids).
// `data` carries per-type config some nodes read (concatConfig, breakConfig, toolParametersConfig).
// The return value is the node output: a scalar (exposed on pins `result`/`output`) or an object whose keys
// are the pins. Failures throw Error with the reference's message.

import { AGENT } from './agent.ts';
import { DATA } from './data.ts';
import { JSON_BUILTINS } from './json.ts';
import { LOGIC } from './logic.ts';
import { MATH } from './math.ts';
import { STRING } from './string.ts';

export type BuiltinFn = (inputs: Record<string, any>, data?: Record<string, any>) => unknown;

/** Pre-evaluated by the interpreter: output `{value: data.literalValue}` as authored. */
export const LITERAL_TYPES: ReadonlySet<string> = new Set([
  'literal_string', 'literal_number', 'literal_boolean', 'literal_json', 'json_schema', 'literal_array',
]);

export const BUILTINS: Readonly<Record<string, BuiltinFn>> = Object.freeze({
  ...MATH, ...LOGIC, ...STRING, ...DATA, ...JSON_BUILTINS, ...AGENT,
});

export const isBuiltin = (type: string): boolean => Object.hasOwn(BUILTINS, type);
