// JSON-schema helpers: tool parameter maps -> JSON schema, response_schema normalisation, a small validator
// for the structured-output fallback, and JSON extraction from free text.
import { isPlainObject } from '../model/index.ts';
import type { ToolSpec } from './types.ts';

/** ToolSpec.parameters is a flat `arg -> {type, description?, default?}` map, or already a JSON schema. */
export function toolParametersSchema(spec: ToolSpec): Record<string, any> {
  const p = spec.parameters ?? {};
  if (p.type === 'object' && isPlainObject(p.properties)) return p;
  const properties: Record<string, any> = {};
  const required: string[] = [];
  for (const [name, def] of Object.entries(p)) {
    if (!isPlainObject(def)) continue;
    const { default: dflt, ...rest } = def;
    properties[name] = rest;
    if (dflt === undefined) required.push(name);
  }
  return { type: 'object', properties, required };
}

/**
 * response_schema as payloads carry it: a JSON-schema object, or an OpenAI wrapper
 * `{type:"json_schema", json_schema:{schema}}`. Returns null when absent, throws on junk.
 */
export function normalizeResponseSchema(raw: unknown): Record<string, any> | null {
  if (raw === null || raw === undefined) return null;
  if (!isPlainObject(raw)) throw new Error('response_schema must be a JSON-schema object');
  let schema: Record<string, any> = raw;
  if (raw.type === 'json_schema' && isPlainObject(raw.json_schema)) {
    schema = isPlainObject(raw.json_schema.schema) ? raw.json_schema.schema : {};
  }
  if (Object.keys(schema).length === 0) return null;
  // Providers' JSON modes want an object at the root.
  if (!schema.type && isPlainObject(schema.properties)) schema = { type: 'object', ...schema };
  return schema;
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

/** Validate the subset of JSON schema LLM output schemas use; returns problems (empty = valid). */
export function validateAgainstSchema(schema: Record<string, any>, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  const types: string[] | null = schema.type ? (Array.isArray(schema.type) ? schema.type : [schema.type]) : null;
  if (types) {
    const t = typeOf(value);
    const ok = types.some((want) => want === t || (want === 'number' && t === 'integer'));
    if (!ok) return [`${path}: expected ${types.join('|')}, got ${t}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${path}: must be one of ${JSON.stringify(schema.enum)}`);
  }
  if (isPlainObject(value)) {
    for (const req of Array.isArray(schema.required) ? schema.required : []) {
      if (!(req in value)) errors.push(`${path}.${req}: required`);
    }
    if (isPlainObject(schema.properties)) {
      for (const [k, sub] of Object.entries(schema.properties)) {
        if (k in value && isPlainObject(sub)) errors.push(...validateAgainstSchema(sub, value[k], `${path}.${k}`));
      }
    }
  }
  if (Array.isArray(value) && isPlainObject(schema.items)) {
    value.forEach((item, i) => errors.push(...validateAgainstSchema(schema.items, item, `${path}[${i}]`)));
  }
  return errors;
}

/** Parse JSON from model text: bare, inside a ```json fence, or the outermost {...}/[...] span. */
export function extractJson(text: string): unknown {
  const candidates = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fence) candidates.push(fence[1]!.trim());
  const start = text.search(/[{[]/);
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  if (start >= 0 && end > start) candidates.push(text.slice(start, end + 1));
  for (const c of candidates) {
    try { return JSON.parse(c); } catch { /* next candidate */ }
  }
  return undefined;
}
