// First run: give a new data directory something to run. The example bundles are embedded in the binary
// (`type: 'file'` imports are bundled by `bun build --compile`) and copied only when the flows directory does
// not exist yet, so an operator's deliberate empty or custom flows dir is never touched.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ask from '../../assets/bundles/ask@1.0.0.flow' with { type: 'file' };
import countdown from '../../assets/bundles/countdown@1.0.0.flow' with { type: 'file' };
import hello from '../../assets/bundles/hello@1.0.0.flow' with { type: 'file' };

export const EXAMPLE_BUNDLES: readonly string[] = [ask, countdown, hello];

/** Creates `flowsDir` with the example bundles when it does not exist; returns the file names written. */
export async function seedFlows(flowsDir: string): Promise<string[]> {
  if (existsSync(flowsDir)) return [];
  mkdirSync(flowsDir, { recursive: true });
  const written: string[] = [];
  for (const src of EXAMPLE_BUNDLES) {
    // In the compiled binary the embedded name carries a content hash (`ask@1.0.0-a1b2c3.flow`): strip it.
    const name = basename(src).replace(/-[a-z0-9]{6,}(\.flow)$/i, '$1');
    writeFileSync(join(flowsDir, name), await Bun.file(src).bytes());
    written.push(name);
  }
  return written;
}
