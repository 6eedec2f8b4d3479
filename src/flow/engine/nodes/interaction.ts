// User interaction, time and events (docs/flows.md "Node families"): ask_user, answer_user, wait_until, wait_event,
// emit_event. Each emits a runtime effect; results land at `_temp.effects.<node>` and map onto output pins.

import { type Vars, isPlainObject } from '../../../model/index.ts';
import { isoFromMs, isoToMs, normalizeIso } from '../../../util/time.ts';
import { pyStr, toFloat } from '../deps.ts';
import type { Exec } from '../exec.ts';
import { config } from '../model.ts';
import type { NodeResult, NodeSpec } from '../spec.ts';

const merged = (raw: unknown): Vars => (isPlainObject(raw) ? { ...raw } : { result: raw });

async function askUser(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  // A null prompt is passed through: the runtime fails it with "ask_user requires payload.prompt".
  const prompt = Object.hasOwn(input, 'prompt') ? input.prompt : 'Please respond:';
  const cfg = config(x.node, 'effectConfig');
  const payload: Vars = {
    prompt: prompt === null || typeof prompt === 'string' ? prompt : pyStr(prompt),
    choices: Array.isArray(input.choices) ? input.choices.map((c) => pyStr(c)) : [],
    allow_free_text: cfg.allowFreeText ?? cfg.allow_free_text ?? true,
  };
  return { kind: 'effect', type: 'ask_user', payload, placeholder: { response: `[User prompt: ${pyStr(prompt)}]` } };
}

function normaliseLevel(raw: unknown): string {
  const l = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (l === 'warn' || l === 'warning') return 'warning';
  if (l === 'error') return 'error';
  return 'message';
}

async function answerUser(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const m = input.message;
  const message = m === null || m === undefined ? '' : pyStr(m);
  const level = normaliseLevel(input.level);
  return { kind: 'effect', type: 'answer_user', payload: { message, level }, placeholder: { message, level } };
}

const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600 };

async function waitUntil(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const kind = String(config(x.node, 'effectConfig').durationType ?? 'seconds');
  let until: string;
  if (kind === 'timestamp') {
    const at = normalizeIso(pyStr(input.duration ?? ''));
    if (!at) throw new Error(`wait_until node '${x.node.id}': '${pyStr(input.duration)}' is not an ISO timestamp`);
    until = at;
  } else {
    let seconds = 0;
    try {
      seconds = toFloat(input.duration);
    } catch {
      seconds = 0; // non-numeric duration → no delay (reference behaviour)
    }
    if (!Number.isFinite(seconds)) seconds = 0;
    until = isoFromMs(isoToMs(x.ctx.nowIso()) + seconds * (UNIT_SECONDS[kind] ?? 1) * 1000);
  }
  return { kind: 'effect', type: 'wait_until', payload: { until }, placeholder: { until } };
}

async function waitEvent(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const key = input.event_key;
  const payload: Vars = {
    wait_key: typeof key === 'string' && key.trim() ? key.trim() : key === null || key === undefined ? 'default' : pyStr(key),
    allow_free_text: input.allow_free_text ?? true,
  };
  if (typeof input.prompt === 'string' && input.prompt.trim()) payload.prompt = input.prompt;
  if (Array.isArray(input.choices)) payload.choices = input.choices.map((c) => pyStr(c));
  return { kind: 'effect', type: 'wait_event', payload, placeholder: { event_data: null } };
}

async function emitEvent(x: Exec): Promise<NodeResult> {
  const input = await x.inputs('effect');
  const cfg = config(x.node, 'effectConfig');
  const pick = (v: unknown, fallback: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : typeof fallback === 'string' && fallback.trim() ? fallback.trim() : '');
  const name = pick(input.name, cfg.name);
  if (!name) throw new Error(`emit_event node '${x.node.id}' needs an event name (name pin or effectConfig.name)`);
  const scope = pick(input.scope, cfg.scope).toLowerCase() || 'session';
  const sessionId = pick(input.session_id, cfg.sessionId);
  const raw = input.payload;
  const seqs = x.bucket('event_seq');
  const seq = (typeof seqs[x.node.id] === 'number' ? seqs[x.node.id] : 0) + 1;
  seqs[x.node.id] = seq;
  const payload: Vars = {
    scope,
    name,
    payload: raw === null || raw === undefined ? {} : isPlainObject(raw) ? raw : { value: raw },
    event_id: `${x.run.run_id}:${x.node.id}:${seq}`,
    max_steps: 0,
  };
  if (sessionId) payload.session_id = sessionId;
  return { kind: 'effect', type: 'emit_event', payload, placeholder: { name, scope, delivered: null, delivered_to: null, wait_key: null } };
}

export const INTERACTION_NODES: Record<string, NodeSpec> = {
  ask_user: { family: 'effect', exec: askUser, mapEffect: (raw) => (isPlainObject(raw) ? { ...raw } : { response: raw }) },
  answer_user: { family: 'effect', exec: answerUser, mapEffect: merged },
  wait_until: { family: 'effect', exec: waitUntil, mapEffect: merged },
  wait_event: { family: 'effect', exec: waitEvent, mapEffect: (raw) => ({ event_data: raw }) },
  emit_event: { family: 'effect', exec: emitEvent, mapEffect: merged },
};
