// The flow layer's FlowSnapshotStore over a real SQLite store, as the gateway builds it (src/gateway.ts
// `snapshotStore`, SQLite branch): the registry resolves workflows synchronously, so it uses the repo's
// synchronous forms (a save commits at once, or joins the transaction in progress).
import type { FlowDoc } from '../../src/flow/bundle/flowdoc.ts';
import type { FlowSnapshotStore } from '../../src/flow/visualflow/snapshots.ts';
import type { SqliteStore } from '../../src/store/index.ts';

export function sqliteSnapshots(store: SqliteStore): FlowSnapshotStore {
  const repo = store.flowSnapshots;
  return {
    save: (version, docs) => repo.saveSync(version, docs),
    load: (version) => repo.loadSync(version) as Map<string, FlowDoc> | null,
  };
}
