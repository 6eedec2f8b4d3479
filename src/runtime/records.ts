// Builders for the ledger record kinds the kernel appends (docs/runtime.md "Keys and timestamps"). Hash fields are filled by the
// store on append.
import { nowIso } from '../util/time.ts';
import type { EffectSpec, RunState, StepRecord, StepStatus, Vars, WaitState } from '../model/index.ts';

function base(run: RunState, nodeId: string, status: StepStatus): StepRecord {
  const now = nowIso();
  return {
    run_id: run.run_id,
    step_id: crypto.randomUUID(),
    node_id: nodeId,
    status,
    effect: null,
    result: null,
    error: null,
    started_at: now,
    ended_at: now,
    actor_id: run.actor_id,
    session_id: run.session_id,
    attempt: 1,
    idempotency_key: null,
    prev_hash: null,
    record_hash: null,
    signature: null,
  };
}

export function effectRecord(run: RunState, nodeId: string, effect: EffectSpec, key: string, status: StepStatus): StepRecord {
  return { ...base(run, nodeId, status), effect, idempotency_key: key, ended_at: null };
}

export function completionRecord(run: RunState, nodeId: string, result: Vars): StepRecord {
  return { ...base(run, nodeId, 'completed'), result };
}

export function resumeRecord(run: RunState, w: WaitState, payload: Vars): StepRecord {
  return {
    ...base(run, run.current_node, 'completed'),
    effect: {
      type: 'resume',
      payload: {
        wait_reason: w.reason, wait_key: w.wait_key, resume_to_node: w.resume_to_node, result_key: w.result_key, payload,
      },
      result_key: null,
    },
    result: { resumed: true },
  };
}

export function terminalStatusRecord(run: RunState): StepRecord {
  const payload = { text: run.status };
  return {
    ...base(run, run.current_node, 'completed'),
    effect: { type: 'emit_event', payload: { name: 'abstract.status', scope: 'session', payload }, result_key: null },
    result: { emitted: true, name: 'abstract.status', payload },
    idempotency_key: `system:terminal_status:${run.status}`,
  };
}

export function tickExceptionRecord(run: RunState, message: string): StepRecord {
  return { ...base(run, run.current_node, 'failed'), error: message, idempotency_key: `system:tick_exception:${run.run_id}` };
}
