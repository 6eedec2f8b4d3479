// The shared conformance data (real bundles and VisualFlow documents) lives beside the repository: `../shared`
// (or ABSTRACTGATEWAY_SHARED_DIR). Only the conformance files that read the real flows need it; they declare
// their tests with `describeShared`, which skips them with one clear line when the data is absent. CI sets
// ABSTRACTGATEWAY_REQUIRE_SHARED=1, which turns the absence into a failure instead.
import { describe, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const SHARED_DIR = resolve(process.env.ABSTRACTGATEWAY_SHARED_DIR ?? join(import.meta.dir, '../../../shared'));
export const SHARED_BUNDLES = join(SHARED_DIR, 'bundles');
export const SHARED_FLOWS = join(SHARED_DIR, 'flows');
export const HAS_SHARED = existsSync(SHARED_BUNDLES) && existsSync(SHARED_FLOWS);

/** The line printed (once per test process) when the conformance data is absent. */
export const SKIP_LINE = `conformance data not found at ${SHARED_DIR}: skipping the conformance tests (check out shared/ beside the repository or set ABSTRACTGATEWAY_SHARED_DIR)`;

if (!HAS_SHARED) {
  if (process.env.ABSTRACTGATEWAY_REQUIRE_SHARED === '1') {
    throw new Error(`conformance data not found at ${SHARED_DIR} and ABSTRACTGATEWAY_REQUIRE_SHARED=1`);
  }
  console.warn(SKIP_LINE);
}

/**
 * `describe` for tests that read the real bundles or flows. Without the data the body never runs (so it may
 * read the files at the top of the body) and one skipped test stands for the whole group.
 */
export function describeShared(name: string, body: () => void): void {
  if (HAS_SHARED) describe(name, body);
  else test.skip(`${name} (needs ../shared)`, () => {});
}
