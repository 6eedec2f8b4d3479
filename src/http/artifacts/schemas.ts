// Run artifact shapes (docs/api.md "Runs").
import { z } from 'zod';

const META_EXAMPLE = {
  artifact_id: '3f2a9c0d1e4b5a6978877665544332211',
  content_type: 'text/plain',
  size_bytes: 11,
  created_at: '2026-02-05T09:43:49.101000+00:00',
  blob_id: 'b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
  run_id: '0b7c3c0e-4a55-4b1a-9c55-3f0d5d1a6a10',
  tags: { kind: 'note' },
};

export const ArtifactMetaSchema = z
  .object({
    artifact_id: z.string(),
    content_type: z.string(),
    size_bytes: z.number().int(),
    created_at: z.string(),
    blob_id: z.string(),
    run_id: z.string().nullable(),
    tags: z.record(z.string(), z.string()),
  })
  .meta({ example: META_EXAMPLE });

export const ArtifactListItem = ArtifactMetaSchema.pick({
  artifact_id: true, content_type: true, size_bytes: true, created_at: true, tags: true,
});

export const ArtifactList = z.object({ items: z.array(ArtifactListItem) }).meta({
  example: { items: [{ artifact_id: META_EXAMPLE.artifact_id, content_type: 'text/plain', size_bytes: 11,
    created_at: META_EXAMPLE.created_at, tags: { kind: 'note' } }] },
});

export const ArtifactListQuery = z.object({ limit: z.coerce.number().int().min(1).max(2000).default(200) });
export const ArtifactParams = z.object({ run_id: z.string().min(1), artifact_id: z.string().min(1) });
