// Workflow deprecations, persisted in `<data_dir>/workflow_deprecations.json` (docs/api.md "Bundles"):
// `{"version":1,"bundles":{"<bundle_id>":{"<flow_id>"|"*":{"deprecated_at","reason"}}}}`; `*` = whole bundle,
// every version. The file is re-read on each call so API and runner processes agree without signalling.

import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { nowIso } from '../../util/time.ts';

export const WHOLE_BUNDLE = '*';

const infoSchema = z.object({ deprecated_at: z.string(), reason: z.string().nullable().default(null) });
const fileSchema = z.object({
  version: z.literal(1),
  bundles: z.record(z.string(), z.record(z.string(), infoSchema)),
});

export type DeprecationInfo = z.infer<typeof infoSchema>;
type Bundles = Record<string, Record<string, DeprecationInfo>>;

export class DeprecationStore {
  /** Parsed file keyed by its stat: every run start consults it, and the file changes rarely. */
  private cache: { key: string; bundles: Bundles } | null = null;

  constructor(readonly file: string) {}

  /** All entries. A corrupt file is renamed to `<file>.corrupt.<ms>` and treated as empty. */
  read(): Bundles {
    let key: string;
    try {
      const st = fs.statSync(this.file);
      key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    if (this.cache?.key === key) return structuredClone(this.cache.bundles);
    const bundles = this.readFile();
    this.cache = { key, bundles };
    return structuredClone(bundles);
  }

  private readFile(): Bundles {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    let parsed: z.infer<typeof fileSchema> | undefined;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (parsed) return parsed.bundles;
    try {
      fs.renameSync(this.file, `${this.file}.corrupt.${Date.now()}`);
    } catch {
      // another process already moved it aside
    }
    return {};
  }

  /** The entry for this flow, else the whole-bundle entry, else null. */
  get(bundleId: string, flowId: string): DeprecationInfo | null {
    const entries = this.read()[bundleId];
    return entries?.[flowId] ?? entries?.[WHOLE_BUNDLE] ?? null;
  }

  set(bundleId: string, flowKey: string, reason: string | null): DeprecationInfo {
    const bundles = this.read();
    // The contract shows `...Z` timestamps in this file.
    const info: DeprecationInfo = { deprecated_at: nowIso().replace('+00:00', 'Z'), reason };
    bundles[bundleId] = { ...bundles[bundleId], [flowKey]: info };
    this.write(bundles);
    return info;
  }

  /** Remove one entry; false when there was none. */
  remove(bundleId: string, flowKey: string): boolean {
    const bundles = this.read();
    const entries = bundles[bundleId];
    if (!entries || !(flowKey in entries)) return false;
    delete entries[flowKey];
    if (Object.keys(entries).length === 0) delete bundles[bundleId];
    this.write(bundles);
    return true;
  }

  private write(bundles: Bundles): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}-${Date.now()}`;
    fs.writeFileSync(tmp, JSON.stringify({ version: 1, bundles }, null, 2) + '\n');
    fs.renameSync(tmp, this.file);
  }
}
