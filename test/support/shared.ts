// The shared conformance data (real bundles and VisualFlow documents) lives beside the repository: `../shared`.
// CI clones the repo elsewhere with a copy of shared/ beside it, so never hard-code an absolute path.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED_DIR = resolve(process.env.ABSTRACTGATEWAY_SHARED_DIR ?? join(import.meta.dir, '../../../shared'));
export const SHARED_BUNDLES = join(SHARED_DIR, 'bundles');
export const SHARED_FLOWS = join(SHARED_DIR, 'flows');

if (!existsSync(SHARED_BUNDLES)) {
  throw new Error(`conformance data not found at ${SHARED_DIR}: check out shared/ beside the repository or set ABSTRACTGATEWAY_SHARED_DIR`);
}
