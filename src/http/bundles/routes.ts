// /api/gateway/bundles (+ /workflows/{id}/flow): discovery and management of installed `.flow` bundles.
import { Elysia } from 'elysia';
import { errors } from '../common.ts';
import {
  BundleDetail, BundleFlow, BundleList, BundleListQuery, BundleParams, DeleteQuery, DeleteResponse, DeprecateBody,
  DeprecateResponse, FlowParams, ReloadResponse, UndeprecateResponse, UploadBody, UploadResponse, VersionQuery,
  WorkflowFlow, WorkflowParams,
} from './schemas.ts';
import type { BundleService } from './service.ts';

export const bundleRoutes = (bundles: BundleService) => {
  const registry = bundles.registry;
  return new Elysia({ name: 'bundles', prefix: '/api/gateway', tags: ['bundles'] })
    .get('/bundles', ({ query }) => registry.list({ allVersions: query.all_versions, includeDeprecated: query.include_deprecated }), {
      query: BundleListQuery,
      response: { 200: BundleList, ...errors(422) },
      detail: { summary: 'Runnable bundles (latest version each, or all versions)' },
    })
    .post('/bundles/upload', ({ body }) => bundles.upload(body.file, body), {
      body: UploadBody,
      parse: 'multipart/form-data',
      response: { 200: UploadResponse, ...errors(400, 413, 422, 500) },
      detail: { summary: 'Install a .flow bundle (multipart: file, overwrite, reload)' },
    })
    .post('/bundles/reload', () => bundles.reload(), {
      response: { 200: ReloadResponse, ...errors(500) },
      detail: { summary: 'Re-scan the flows directory' },
    })
    .get('/bundles/:bundle_id', ({ params, query }) => registry.get(params.bundle_id, query.bundle_version ?? null), {
      params: BundleParams,
      query: VersionQuery,
      response: { 200: BundleDetail, ...errors(400, 404) },
      detail: { summary: 'One bundle with entrypoint inputs and node index (`bundle_id` may be `id@version`)' },
    })
    .delete('/bundles/:bundle_id', ({ params, query }) => bundles.remove(params.bundle_id, query.bundle_version, query.reload), {
      params: BundleParams,
      query: DeleteQuery,
      response: { 200: DeleteResponse, ...errors(400, 404) },
      detail: { summary: 'Remove one version, or every version, of a bundle' },
    })
    .get(
      '/bundles/:bundle_id/flows/:flow_id',
      ({ params, query }) => registry.getFlow(params.bundle_id, params.flow_id, query.bundle_version ?? null),
      {
        params: FlowParams,
        query: VersionQuery,
        response: { 200: BundleFlow, ...errors(400, 404) },
        detail: { summary: 'Raw VisualFlow JSON of a bundle flow' },
      },
    )
    .post(
      '/bundles/:bundle_id/deprecate',
      ({ params, body }) => registry.deprecate(params.bundle_id, body?.flow_id ?? null, body?.reason ?? null),
      {
        params: BundleParams,
        body: DeprecateBody,
        response: { 200: DeprecateResponse, ...errors(400, 404, 422) },
        detail: { summary: 'Hide an entrypoint (or the whole bundle) from discovery and refuse new runs (409)' },
      },
    )
    .post('/bundles/:bundle_id/undeprecate', ({ params, body }) => registry.undeprecate(params.bundle_id, body?.flow_id ?? null), {
      params: BundleParams,
      body: DeprecateBody,
      response: { 200: UndeprecateResponse, ...errors(400, 422) },
      detail: { summary: 'Lift a deprecation' },
    })
    .get('/workflows/:workflow_id/flow', ({ params }) => bundles.workflowFlow(params.workflow_id), {
      params: WorkflowParams,
      response: { 200: WorkflowFlow, ...errors(404) },
      detail: { summary: 'VisualFlow JSON of a workflow id (`bundle:flow`, `bundle@ver:flow`, or dynamic `scheduled:<uuid>`)' },
    });
};
