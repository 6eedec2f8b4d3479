// What the VisualFlow-directory source needs from durable storage: the flow documents a directory version's runs
// use, saved before such a run is committed and read back when that version is no longer on disk (an edited file,
// a restart). The store implements it (src/store/flow-snapshots.ts); the flow layer never sees SQL.
import type { FlowDoc } from '../bundle/flowdoc.ts';

export interface FlowSnapshotStore {
  /** Idempotent: documents are content-addressed, a version only ever gains members. */
  save(version: string, docs: ReadonlyMap<string, FlowDoc>): void;
  /** Every stored flow of `version`, or null when none was saved. */
  load(version: string): Map<string, FlowDoc> | null;
}
