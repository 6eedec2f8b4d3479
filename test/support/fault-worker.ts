// Child process of the fault-injection test: opens the seeded data dir (a fault may be armed through
// ABSTRACTGATEWAY_TEST_FAULT, read when the store opens) and runs the real runner until the workload has settled.
// <db> is a SQLite file or a postgres:// URL (the main workload only).
// Exit 0 = settled without hitting the fault; a SIGKILL = the fault fired.
import { openStore, SqliteStore } from '../../src/store/index.ts';
import { buildCompactRuntime, compactSettled } from './fault-compact.ts';
import { buildRuntime, runner, settled as mainSettled } from './fault-workload.ts';

// argv: <db> [compact <llm-url>]
const [db, mode, llmUrl] = process.argv.slice(2);
const store = db!.startsWith('postgres://') ? await openStore({ backend: 'postgres', databaseUrl: db!, poolMax: 4 }) : SqliteStore.open(db!);
const rt = mode === 'compact' ? buildCompactRuntime(store, llmUrl!) : buildRuntime(store);
const settled = mode === 'compact' ? async () => compactSettled(store as SqliteStore) : () => mainSettled(store);
const r = runner(store, rt);
while (!(await r.start())) await Bun.sleep(10);
const deadline = Date.now() + 20_000;
while (!(await settled())) {
  if (Date.now() > deadline) {
    console.error('fault-worker: workload did not settle in 20 s');
    process.exit(3);
  }
  await Bun.sleep(5);
}
await r.idle();
await r.stop();
await store.close();
process.exit(0);
