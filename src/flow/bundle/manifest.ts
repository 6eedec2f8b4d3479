// manifest.json of a WorkflowBundle, format "1" (docs/flows.md "Bundles"). camelCase aliases are accepted on
// read; the parsed manifest always uses the snake_case names. Every message names the offending field.

import { z } from 'zod';
import { DomainError, InvalidBundle, isPlainObject } from '../../model/index.ts';

/** Spec rule 5: non-empty, not absolute, no drive prefix, no `.`/`..` segments (after `\` → `/`). */
export function isSafeRelPath(p: string): boolean {
  if (!p || p.startsWith('/') || p.startsWith('\\')) return false;
  const segments = p.replace(/\\/g, '/').split('/');
  if (segments[0]!.includes(':')) return false;
  return segments.every((s) => s !== '' && s !== '.' && s !== '..');
}

const required = (what: string) => (iss: { input: unknown }) =>
  iss.input === undefined ? 'is required' : `must be ${what}`;

const nonEmpty = z.string({ error: required('a string') }).refine((s) => s.trim() !== '', { error: 'must not be empty' });
const noSeparators = (s: string) => !s.includes('@') && !s.includes(':');

const pathMap = z
  .record(
    z.string(),
    z.string({ error: 'values must be strings' }).refine(isSafeRelPath, {
      error: 'must be a safe relative path (no leading "/" or "\\", no drive prefix, no "." or ".." segments)',
    }),
    { error: (iss) => (iss.code === 'invalid_type' ? 'must be an object' : undefined) },
  )
  .refine((m) => Object.keys(m).every((k) => k.trim() !== ''), { error: 'keys must be non-empty strings' });

const entrypointSchema = z.object({
  flow_id: nonEmpty,
  name: z.string({ error: 'must be a string' }).nullish(),
  description: z.string({ error: 'must be a string' }).default(''),
  interfaces: z.array(z.string({ error: 'must be a string' }), { error: 'must be a list of strings' }).default([]),
});

const manifestSchema = z
  .object({
    bundle_format_version: z.literal('1', {
      error: (iss) => (iss.input === undefined ? 'is required' : 'Unsupported WorkflowBundle bundle_format_version (expected "1")'),
    }),
    bundle_id: nonEmpty.refine(noSeparators, { error: 'must not contain "@" or ":"' }),
    bundle_version: nonEmpty.refine((s) => !s.includes(':'), { error: 'must not contain ":"' }).default('0.0.0'),
    created_at: z.string({ error: 'must be a string' }).default(''),
    entrypoints: z.array(entrypointSchema, { error: required('a list') }).min(1, { error: 'must not be empty' }),
    default_entrypoint: z.string({ error: 'must be a string' }).nullish(),
    flows: pathMap.default({}).refine((m) => Object.keys(m).length > 0, { error: 'must not be empty' }),
    artifacts: pathMap.default({}),
    assets: pathMap.default({}),
    metadata: z.record(z.string(), z.unknown(), { error: 'must be an object' }).default({}),
  })
  .superRefine((m, ctx) => {
    const ids = new Set<string>();
    m.entrypoints.forEach((ep, i) => {
      if (ids.has(ep.flow_id)) ctx.addIssue({ code: 'custom', path: ['entrypoints', i, 'flow_id'], message: `duplicate flow_id '${ep.flow_id}'` });
      ids.add(ep.flow_id);
      if (!(ep.flow_id in m.flows)) ctx.addIssue({ code: 'custom', path: ['entrypoints', i, 'flow_id'], message: `'${ep.flow_id}' is not listed in flows` });
    });
    if (m.default_entrypoint != null && !ids.has(m.default_entrypoint)) {
      ctx.addIssue({ code: 'custom', path: ['default_entrypoint'], message: `'${m.default_entrypoint}' is not one of the entrypoint flow ids` });
    }
  });

export interface Entrypoint {
  flow_id: string;
  name: string;
  description: string;
  interfaces: string[];
}

export interface Manifest {
  bundle_format_version: '1';
  bundle_id: string;
  bundle_version: string;
  created_at: string;
  entrypoints: Entrypoint[];
  default_entrypoint: string | null;
  flows: Record<string, string>;
  artifacts: Record<string, string>;
  assets: Record<string, string>;
  metadata: Record<string, unknown>;
}

const TOP_ALIASES: Record<string, string[]> = {
  bundle_format_version: ['bundleFormatVersion'],
  bundle_id: ['bundleId'],
  bundle_version: ['bundleVersion'],
  default_entrypoint: ['defaultEntrypoint', 'default_entrypoint_flow_id', 'defaultEntrypointFlowId'],
};

function applyAliases(obj: Record<string, unknown>, aliases: Record<string, string[]>): Record<string, unknown> {
  const out = { ...obj };
  for (const [key, alts] of Object.entries(aliases)) {
    if (out[key] !== undefined && out[key] !== null) continue;
    const alt = alts.find((a) => out[a] !== undefined && out[a] !== null);
    if (alt) out[key] = out[alt];
  }
  return out;
}

/** null means "absent": optional fields get their defaults, required ones report "is required". */
function withoutNulls(obj: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== null));
}

function formatPath(p: PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`)).join('');
}

/** Validate a parsed manifest.json; throws DomainError(400) naming the first bad fields. */
export function parseManifest(raw: unknown): Manifest {
  if (!isPlainObject(raw)) throw new InvalidBundle('Invalid bundle manifest: manifest.json must be a JSON object');
  const top = withoutNulls(applyAliases(raw, TOP_ALIASES));
  // Non-object entrypoint items are skipped on read (docs/flows.md "Bundles").
  if (Array.isArray(top.entrypoints)) {
    top.entrypoints = top.entrypoints.filter(isPlainObject).map((ep) => withoutNulls(applyAliases(ep, { flow_id: ['flowId'] })));
  }
  const res = manifestSchema.safeParse(top);
  if (!res.success) {
    const detail = res.error.issues.slice(0, 3).map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ');
    throw new InvalidBundle(`Invalid bundle manifest: ${detail}`);
  }
  const m = res.data;
  return {
    ...m,
    entrypoints: m.entrypoints.map((ep) => ({ ...ep, name: ep.name ?? ep.flow_id })),
    default_entrypoint: m.default_entrypoint ?? null,
  };
}
