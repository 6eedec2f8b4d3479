// Events, entry and flow IO (docs/flows.md "Node families"): on_flow_start/end, on_user_request, on_agent_message,
// and the re-arming listeners on_event (WAIT_EVENT) / on_schedule (WAIT_UNTIL).

import { type Vars, isPlainObject } from '../../../model/index.ts';
import { isoFromMs, isoToMs, normalizeIso } from '../../../util/time.ts';
import { pyStr, truthy } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { config, dataInputs, dataOutputs } from '../model.ts';
import { cloneJson } from '../paths.ts';
import type { NodeSpec } from '../spec.ts';
import { pushControl } from './control-stack.ts';

const SCOPES = new Set(['session', 'workflow', 'run', 'global']);
/** Gateway-injected run vars (the HTTP layer gives every run a workspace): never part of a flow's IO echo. */
const GATEWAY_VARS = new Set(['workspace_root', 'workspace_access_mode', 'workspace_allowed_paths', 'workspace_ignored_paths']);

async function onFlowStart(x: Exec) {
  const input = await x.inputs('function');
  const pins = dataOutputs(x.node).map((p) => p.id);
  const defaults = isPlainObject(x.node.data.pinDefaults) ? x.node.data.pinDefaults : {};
  const out: Vars = {};
  if (pins.length) {
    for (const pin of pins) out[pin] = Object.hasOwn(input, pin) ? input[pin] : Object.hasOwn(defaults, pin) ? cloneJson(defaults[pin]) : null;
  } else {
    for (const [k, v] of Object.entries(input)) if (!k.startsWith('_') && !GATEWAY_VARS.has(k)) out[k] = v;
  }
  return { kind: 'value' as const, output: out };
}

async function onFlowEnd(x: Exec) {
  const input = await x.inputs('function');
  const pins = dataInputs(x.node).map((p) => p.id);
  const out: Vars = pins.length
    ? Object.fromEntries(pins.map((p) => [p, input[p] ?? null]))
    : Object.fromEntries(Object.entries(input).filter(([k]) => !GATEWAY_VARS.has(k)));
  if (!Object.hasOwn(out, 'success')) out.success = true;
  return { kind: 'end' as const, output: out };
}

/** Listener loop: invalidate (per-step memo), push on the control stack, wait for the named event. */
async function onEvent(x: Exec) {
  const input = await x.inputs('effect');
  const cfg = config(x.node, 'eventConfig');
  // Config first: on re-arm the ambient bus holds the branch's last output, whose keys must not rename the event.
  const rawName = [cfg.name, input.name, input.event_name].find((v) => typeof v === 'string' && v.trim());
  const name = typeof rawName === 'string' ? rawName.trim() : '*';
  const rawScope = String([cfg.scope, input.scope].find((v) => typeof v === 'string' && v.trim()) ?? 'session').trim().toLowerCase();
  pushControl(x, x.node.id);
  // Read by the run summary: a run parked here listens by design (it re-arms after every event).
  x.temp.listening = { kind: 'event', node_id: x.node.id, recurrent: true, event: name, scope: SCOPES.has(rawScope) ? rawScope : 'session', schedule: null, next_at: null };
  return {
    kind: 'effect' as const,
    type: 'wait_event',
    payload: { scope: SCOPES.has(rawScope) ? rawScope : 'session', name },
    placeholder: { event: null, payload: null, event_id: null, name },
    next: x.next ?? x.node.id,
  };
}

const INTERVAL = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

async function onSchedule(x: Exec) {
  const input = await x.inputs('effect');
  const cfg = config(x.node, 'eventConfig');
  const schedule = pyStr(input.schedule ?? cfg.schedule ?? '15s').trim();
  let recurrent = truthy(input.recurrent ?? cfg.recurrent ?? true);
  if (!schedule) throw new Error(`on_schedule node '${x.node.id}' has an empty schedule`);
  let until: string;
  const m = INTERVAL.exec(schedule);
  if (m) {
    until = isoFromMs(isoToMs(x.ctx.nowIso()) + Number(m[1]) * UNIT_MS[m[2]!]!);
  } else {
    const at = normalizeIso(schedule);
    if (!at) throw new Error(`on_schedule node '${x.node.id}': schedule '${schedule}' is neither an interval like '15s'/'5m' nor an ISO timestamp`);
    until = at;
    recurrent = false; // a timestamp fires once
  }
  if (recurrent) pushControl(x, x.node.id);
  // Read by the run summary: a recurrent schedule never ends by design; a one-shot one is just a timer.
  if (recurrent) x.temp.listening = { kind: 'schedule', node_id: x.node.id, recurrent: true, event: null, scope: null, schedule, next_at: until };
  else delete x.temp.listening;
  return {
    kind: 'effect' as const,
    type: 'wait_until',
    payload: { until },
    placeholder: { until, timestamp: until, recurrent },
  };
}

export const EVENT_NODES: Record<string, NodeSpec> = {
  on_flow_start: { family: 'function', exec: onFlowStart },
  on_flow_end: { family: 'function', exec: onFlowEnd },
  on_user_request: {
    family: 'function',
    exec: async (x) => {
      const i = await x.inputs('function');
      return { kind: 'value', output: { message: i.message ?? '', context: i.context ?? {} } };
    },
  },
  on_agent_message: {
    family: 'function',
    exec: async (x) => {
      const i = await x.inputs('function');
      return { kind: 'value', output: { sender: i.sender ?? 'unknown', message: i.message ?? '', channel: config(x.node, 'eventConfig').channel ?? '' } };
    },
  },
  on_event: {
    family: 'effect',
    exec: onEvent,
    mapEffect: (raw) => (isPlainObject(raw) ? { event: raw, payload: raw.payload ?? null, event_id: raw.event_id ?? null, name: raw.name ?? null } : { event: raw }),
  },
  on_schedule: {
    family: 'effect',
    exec: onSchedule,
    mapEffect: (raw) => (isPlainObject(raw) ? { ...raw } : { result: raw }),
  },
};
