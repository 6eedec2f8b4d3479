// Event delivery: resume every non-paused run waiting on the event's key (or the wildcard `*` key with the same
// scope id). Listeners are only switched to running; the runner ticks them (runtime-model §4.2).
import { isPlainObject } from '../util/json.ts';
import { nowIso } from '../util/time.ts';
import { eventWaitKey, parseScope, type EventScope } from './keys.ts';
import type { Runtime } from './runtime.ts';
import { isPaused } from './runtime.ts';
import type { Vars } from './types.ts';

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

export function deliverEvent(rt: Runtime, ev: EventSpec, excludeRunId?: string): Delivery {
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
  rt.store.tx(() => {
    for (const run of rt.store.runs.listWaitingOnKeys(key === wildcard ? [key] : [key, wildcard])) {
      if (run.run_id === excludeRunId || isPaused(run) || run.waiting?.reason !== 'event') continue;
      try {
        rt.applyResume(run, envelope, run.waiting.wait_key);
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
