// Bundle discovery and management shapes (docs/api.md "Bundles"). Objects are loose where the registry may
// grow fields (HEAD adds some), so nothing it reports is stripped.
import { z } from 'zod';
import type * as reg from '../../flow/bundle/registry.ts';
import { typedAs, zBool, zJsonObject } from '../common.ts';

const Entrypoint = z.looseObject({
  flow_id: z.string(),
  name: z.string(),
  description: z.string(),
  interfaces: z.array(z.unknown()),
  deprecated: z.boolean(),
  deprecated_at: z.string().nullable(),
  deprecated_reason: z.string().nullable(),
});

const BundleItem = z.looseObject({
  bundle_id: z.string(),
  bundle_version: z.string(),
  bundle_ref: z.string(),
  created_at: z.string(),
  default_entrypoint: z.string().nullable(),
  entrypoints: z.array(Entrypoint),
});

const EP_EXAMPLE = { flow_id: 'root', name: 'root', description: '', interfaces: [], deprecated: false, deprecated_at: null, deprecated_reason: null };

export const BundleList = typedAs<{ items: reg.BundleListItem[]; default_bundle_id: string | null }>(z
  .object({ items: z.array(BundleItem), default_bundle_id: z.string().nullable() })
  .meta({
    example: {
      items: [{ bundle_id: 'demo', bundle_version: '0.0.1', bundle_ref: 'demo@0.0.1', created_at: '2026-01-24T00:00:00Z',
        default_entrypoint: 'root', entrypoints: [EP_EXAMPLE] }],
      default_bundle_id: 'demo',
    },
  }));

export const BundleListQuery = z.object({ all_versions: zBool(false), include_deprecated: zBool(false) });
export const VersionQuery = z.object({ bundle_version: z.string().optional() });
export const BundleParams = z.object({ bundle_id: z.string().min(1) });
export const FlowParams = z.object({ bundle_id: z.string().min(1), flow_id: z.string().min(1) });
export const WorkflowParams = z.object({ workflow_id: z.string().min(1) });

export const BundleDetail = typedAs<reg.BundleDetail>(BundleItem.extend({
  entrypoints: z.array(
    Entrypoint.extend({
      workflow_id: z.string(),
      inputs: z.array(z.looseObject({ id: z.string() })),
      node_index: z.record(z.string(), zJsonObject),
    }),
  ),
  flows: z.array(z.string()),
  metadata: zJsonObject,
}).meta({
  example: {
    bundle_id: 'demo', bundle_version: '0.0.1', bundle_ref: 'demo@0.0.1', created_at: '2026-01-24T00:00:00Z',
    default_entrypoint: 'root',
    entrypoints: [{ ...EP_EXAMPLE, workflow_id: 'demo@0.0.1:root',
      inputs: [{ id: 'prompt', label: 'prompt', type: 'string', default: 'hi' }],
      node_index: { start: { type: 'on_flow_start', label: 'On Flow Start' } } }],
    flows: ['root'],
    metadata: { test: true },
  },
}));

export const BundleFlow = typedAs<reg.BundleFlow>(z
  .object({
    bundle_id: z.string(), bundle_version: z.string(), bundle_ref: z.string(), flow_id: z.string(),
    workflow_id: z.string(), flow: zJsonObject,
  })
  .meta({
    example: { bundle_id: 'demo', bundle_version: '0.0.1', bundle_ref: 'demo@0.0.1', flow_id: 'root',
      workflow_id: 'demo@0.0.1:root', flow: { id: 'root', nodes: [], edges: [] } },
  }));

export const WorkflowFlow = typedAs<reg.BundleFlow | { workflow_id: string; flow: Record<string, unknown>; source: 'dynamic' }>(z
  .looseObject({ workflow_id: z.string(), flow: zJsonObject, source: z.literal('dynamic').optional() })
  .describe('a bundle flow (bundle_id, bundle_version, bundle_ref, flow_id, …) or a dynamic one (`source: "dynamic"`)')
  .meta({ example: { workflow_id: 'scheduled:0f8c…', flow: { id: 'scheduled:0f8c…', nodes: [], edges: [] }, source: 'dynamic' } }));

export const UploadBody = z.object({
  file: z.file().describe('the .flow bytes'),
  overwrite: zBool(false),
  reload: zBool(true),
});

const Reloaded = { gateway_reloaded: z.boolean(), gateway_reload_error: z.string().nullable() };

type Reloaded = { gateway_reloaded: boolean; gateway_reload_error: string | null };

export const UploadResponse = typedAs<{ ok: true } & reg.InstallInfo & Reloaded>(z
  .object({
    ok: z.literal(true), bundle_id: z.string(), bundle_version: z.string(), bundle_ref: z.string(), sha256: z.string(),
    default_entrypoint: z.string().nullable(), entrypoints: z.array(z.looseObject({ flow_id: z.string() })), ...Reloaded,
  })
  .meta({
    example: { ok: true, bundle_id: 'demo', bundle_version: '0.0.1', bundle_ref: 'demo@0.0.1', sha256: 'ab12…',
      default_entrypoint: 'root', entrypoints: [{ flow_id: 'root', name: 'root', description: '', interfaces: [] }],
      gateway_reloaded: true, gateway_reload_error: null },
  }));

export const DeleteQuery = z.object({ bundle_version: z.string().optional(), reload: zBool(true) });
export const DeleteResponse = z
  .object({ ok: z.literal(true), bundle_ref: z.string(), removed: z.number().int(), ...Reloaded })
  .meta({ example: { ok: true, bundle_ref: 'demo@0.0.1', removed: 1, gateway_reloaded: true, gateway_reload_error: null } });

export const ReloadResponse = z
  .object({
    ok: z.literal(true), bundle_ids: z.array(z.string()), count: z.number().int(),
    errors: z.array(z.object({ file: z.string(), reason: z.string() })).describe('files skipped (extension)'),
  })
  .meta({ example: { ok: true, bundle_ids: ['a', 'b'], count: 2, errors: [] } });

/** Optional: no body (or no flow_id) targets the whole bundle. */
export const DeprecateBody = z
  .object({ flow_id: z.string().nullish(), reason: z.string().nullish() })
  .optional()
  .meta({ example: { flow_id: 'root', reason: 'retired' } });
export const DeprecateResponse = z
  .object({ ok: z.literal(true), bundle_id: z.string(), flow_id: z.string(), deprecated_at: z.string(), reason: z.string().nullable() })
  .meta({ example: { ok: true, bundle_id: 'demo', flow_id: 'root', deprecated_at: '2026-02-05T09:44:00Z', reason: 'retired' } });
export const UndeprecateResponse = z
  .object({ ok: z.literal(true), bundle_id: z.string(), flow_id: z.string(), removed: z.boolean() })
  .meta({ example: { ok: true, bundle_id: 'demo', flow_id: 'root', removed: true } });
