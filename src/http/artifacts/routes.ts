// /api/gateway/runs/{id}/artifacts: list, metadata, content (streamed from the blob file).
import { Elysia } from 'elysia';
import { isSafeArtifactId, type Store } from '../../store/index.ts';
import { InvalidInput, NotFound, RunNotFound } from '../../model/index.ts';
import { errors } from '../common.ts';
import { RunIdParams } from '../runs/schemas.ts';
import { ArtifactList, ArtifactListQuery, ArtifactMetaSchema, ArtifactParams } from './schemas.ts';

/** Session-memory owners may not exist yet (no attachment stored): treat them as empty, not unknown. */
const isSessionOwnerId = (runId: string) => /^session_memory_[A-Za-z0-9_-]+$/.test(runId);

export const artifactRoutes = (store: Store) => {
  const requireRun = async (runId: string) => {
    if (!isSessionOwnerId(runId) && !(await store.runs.exists(runId))) throw new RunNotFound(runId);
  };
  const metaOf = async (runId: string, artifactId: string) => {
    if (!isSafeArtifactId(artifactId)) throw new InvalidInput(`Invalid artifact id: ${artifactId}`, 'invalid_artifact_id');
    await requireRun(runId);
    const meta = await store.artifacts.meta(artifactId);
    if (!meta || meta.run_id !== runId) throw new NotFound(`Artifact '${artifactId}' not found`, 'artifact_not_found');
    return meta;
  };

  return new Elysia({ name: 'artifacts', prefix: '/api/gateway/runs', tags: ['artifacts'] })
    .get(
      '/:run_id/artifacts',
      async ({ params, query }) => {
        await requireRun(params.run_id);
        const items = (await store.artifacts.listByRun(params.run_id, query.limit)).map(
          ({ artifact_id, content_type, size_bytes, created_at, tags }) => ({ artifact_id, content_type, size_bytes, created_at, tags }),
        );
        return { items };
      },
      {
        params: RunIdParams,
        query: ArtifactListQuery,
        response: { 200: ArtifactList, ...errors(404, 422) },
        detail: { summary: "A run's artifacts, newest first" },
      },
    )
    .get('/:run_id/artifacts/:artifact_id', ({ params }) => metaOf(params.run_id, params.artifact_id), {
      params: ArtifactParams,
      response: { 200: ArtifactMetaSchema, ...errors(400, 404) },
      detail: { summary: 'Artifact metadata' },
    })
    .get(
      '/:run_id/artifacts/:artifact_id/content',
      async ({ params }) => {
        const meta = await metaOf(params.run_id, params.artifact_id);
        const file = await store.artifacts.content(meta.artifact_id);
        if (!file) throw new NotFound(`Artifact '${meta.artifact_id}' not found`, 'artifact_not_found');
        return new Response(file, {
          headers: { 'content-type': meta.content_type || 'application/octet-stream', 'content-length': String(meta.size_bytes) },
        });
      },
      {
        params: ArtifactParams,
        detail: {
          summary: 'Artifact bytes (content-type = stored type)',
          responses: { 200: { description: 'raw bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } } },
        },
      },
    );
};
