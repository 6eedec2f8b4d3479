// Child process for the PostgreSQL fault test: opens the store at argv[2] with the fault argv[3] armed
// (`<point>:<n>`, SIGKILL by default) and appends one record to run argv[4] in its own transaction. Prints
// `done` if it survives. The parent checks what a killed process left in the database.
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { nowIso } from '../../src/util/time.ts';

const [url, fault, runId] = process.argv.slice(2);
const store = await PostgresStore.open(url!, { poolMax: 1, listen: false, fault: fault! });
await store.ledger.append({
  run_id: runId!, step_id: 's0', node_id: 'n0', status: 'completed', effect: null, result: { ok: true }, error: null,
  started_at: nowIso(), ended_at: nowIso(), actor_id: null, session_id: null, attempt: 1, idempotency_key: null,
});
console.log('done');
await store.close();
