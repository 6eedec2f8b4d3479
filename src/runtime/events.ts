// Event delivery: resume every non-paused run waiting on the event's key (or the wildcard `*` key with the same
// scope id). Listeners are only switched to running; the runner ticks them (docs/runtime.md "Events").
import { dropHeldEventsIfEmpty, heldEventsOf, isPaused, isPlainObject, readRuntime, type RunState, type Vars } from '../model/index.ts';
import { nowIso } from '../util/time.ts';
import { eventWaitKey, parseScope, type EventScope } from './keys.ts';
import type { Runtime } from './runtime.ts';

export interface EventSpec {
  name: string;
  scope?: unknown;
  scopeId: string | null;
  payload?: unknown;
  eventId?: string | null;
  emittedAt?: string | null;
  emitter: Vars;
  sessionId?: string | null;
}

export interface Delivery {
  wait_key: string;
  name: string;
  scope: EventScope;
  delivered: number;
  delivered_to: string[];
  resumed: { run_id: string; status: string; error?: string }[];
}

export async function deliverEvent(rt: Runtime, ev: EventSpec, excludeRunId?: string): Promise<Delivery> {
  const scope = parseScope(ev.scope);
  const key = eventWaitKey(scope, ev.scopeId, ev.name);
  const wildcard = eventWaitKey(scope, ev.scopeId, '*');
  const envelope = {
    event_id: ev.eventId ?? null,
    name: ev.name.trim(),
    scope,
    session_id: scope === 'session' ? ev.scopeId : (ev.sessionId ?? null),
    payload: ev.payload === undefined ? {} : isPlainObject(ev.payload) ? ev.payload : { value: ev.payload },
    emitted_at: ev.emittedAt || nowIso(),
    emitter: ev.emitter,
  };
  const out: Delivery = { wait_key: key, name: envelope.name, scope, delivered: 0, delivered_to: [], resumed: [] };
  await rt.store.tx(async () => {
    for (const listed of await rt.store.runs.listWaitingOnKeys(key === wildcard ? [key] : [key, wildcard])) {
      // Many processes: read again with the row locked, and check it still waits on this event.
      const run = rt.store.multiRunner ? await rt.store.runs.get(listed.run_id) : listed;
      if (!run || run.run_id === excludeRunId || run.status !== 'waiting' || run.waiting?.reason !== 'event') continue;
      if (run.waiting.wait_key !== key && run.waiting.wait_key !== wildcard) continue;
      if (isPaused(run)) {
        // Held for the listener, delivered when it is resumed and waits on this key again (none lost).
        await holdEvent(rt, run, run.waiting.wait_key!, envelope);
        out.resumed.push({ run_id: run.run_id, status: 'held' });
        continue;
      }
      try {
        await rt.store.savepoint(() => rt.applyResume(run, envelope, run.waiting!.wait_key));
        out.delivered++;
        out.delivered_to.push(run.run_id);
        out.resumed.push({ run_id: run.run_id, status: run.status });
      } catch (err) {
        out.resumed.push({ run_id: run.run_id, status: 'error', error: err instanceof Error ? err.message : String(err) });
      }
    }
  });
  return out;
}

const MAX_HELD = 1000;

async function holdEvent(rt: Runtime, run: RunState, waitKey: string, envelope: Vars): Promise<void> {
  const held = heldEventsOf(run);
  if (held.length >= MAX_HELD) held.shift();
  held.push({ wait_key: waitKey, envelope });
  await rt.commit(run, []);
}

/** The next held event for a run now waiting (not paused) on an event key, removed from the queue. */
export function takeHeldEvent(run: RunState): Vars | null {
  const held = readRuntime(run.vars).held_events;
  const key = run.waiting?.wait_key;
  if (!Array.isArray(held) || !held.length || run.status !== 'waiting' || run.waiting?.reason !== 'event' || isPaused(run)) return null;
  const i = held.findIndex((h) => h.wait_key === key);
  if (i < 0) return null;
  const [hit] = held.splice(i, 1);
  dropHeldEventsIfEmpty(run);
  return hit.envelope;
}
