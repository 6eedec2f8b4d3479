// Rewrites docs/nodes.md from the engine's node registries (see src/flow/engine/coverage.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderNodesDoc } from '../src/flow/engine/coverage.ts';

const root = join(import.meta.dir, '..');
writeFileSync(join(root, 'docs', 'nodes.md'), renderNodesDoc(root));
console.log('docs/nodes.md written');
