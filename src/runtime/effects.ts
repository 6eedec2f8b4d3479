// Built-in effect handlers (docs/runtime.md "Effects"): user interaction, time, events, subworkflows. They only touch
// the database, so the runtime runs them without an extra checkpoint. LLM and tool effects are registered by
// src/llm as external effects.
import { isPlainObject, isTerminal, nodeTracesOf, type EffectOutcome, type Vars, type WaitState } from '../model/index.ts';
import { normalizeIso } from '../util/time.ts';
import { deliverEvent } from './events.ts';
import { eventWaitKey, parseScope } from './keys.ts';
import { childResult, isCommitFailure, type Runtime } from './runtime.ts';
import type { EffectContext, EffectHandler } from './types.ts';

const failed = (error: string): EffectOutcome => ({ status: 'failed', error });

function wait(ctx: EffectContext, w: Partial<WaitState> & Pick<WaitState, 'reason'>): EffectOutcome {
  const p = ctx.effect.payload;
  return {
    status: 'waiting',
    wait: {
      wait_key: null,
      until: null,
      resume_to_node: (typeof p.resume_to_node === 'string' && p.resume_to_node) || ctx.nextNode,
      result_key: ctx.effect.result_key,
      prompt: null,
      choices: null,
      allow_free_text: true,
      details: null,
      ...w,
    },
  };
}

function choicesOf(v: unknown): string[] | null {
  if (!Array.isArray(v)) return null;
  return v.filter((c) => typeof c === 'string' && c.trim()).map((c: string) => c.trim());
}

const WORKSPACE_KEYS = ['workspace_root', 'workspace_access_mode', 'workspace_allowed_paths', 'workspace_ignored_paths'];

export function BUILTIN_EFFECTS(rt: Runtime): Record<string, EffectHandler> {
  return {
    ask_user(ctx) {
      const p = ctx.effect.payload;
      const prompt = typeof p.prompt === 'string' ? p.prompt : '';
      if (!prompt.trim()) return failed('ask_user requires payload.prompt');
      return wait(ctx, {
        reason: 'user',
        wait_key: (typeof p.wait_key === 'string' && p.wait_key) || `user:${ctx.run.run_id}:${ctx.run.current_node}`,
        prompt,
        choices: choicesOf(p.choices),
        allow_free_text: p.allow_free_text ?? p.allowFreeText ?? true,
      });
    },

    answer_user(ctx) {
      const p = ctx.effect.payload;
      const message = p.message ?? p.text ?? p.content;
      if (message === undefined || message === null) return failed('answer_user requires payload.message');
      const raw = String(p.level ?? 'message').toLowerCase();
      const level = raw === 'warn' ? 'warning' : raw === 'warning' || raw === 'error' ? raw : 'message';
      return { status: 'completed', result: { message: String(message), level } };
    },

    wait_event(ctx) {
      const p = ctx.effect.payload;
      let key: string;
      if (typeof p.wait_key === 'string' && p.wait_key) key = p.wait_key;
      else {
        const name = p.name ?? p.event_name;
        if (typeof name !== 'string' || !name.trim()) return failed('wait_event requires payload.wait_key or payload.name');
        try {
          const scope = parseScope(p.scope);
          key = eventWaitKey(scope, scopeIdFor(scope, p, ctx), name);
        } catch (err) {
          return failed(`wait_event invalid payload: ${(err as Error).message}`);
        }
      }
      return wait(ctx, {
        reason: 'event',
        wait_key: key,
        prompt: typeof p.prompt === 'string' ? p.prompt : null,
        choices: choicesOf(p.choices),
        allow_free_text: p.allow_free_text ?? p.allowFreeText ?? true,
        details: isPlainObject(p.details) ? p.details : null,
      });
    },

    wait_until(ctx) {
      const raw = ctx.effect.payload.until;
      const until = typeof raw === 'string' ? normalizeIso(raw) : null;
      if (!until) return failed('wait_until requires payload.until (ISO timestamp)');
      if (ctx.nowIso() >= until) return { status: 'completed', result: { until, ready: true } };
      return wait(ctx, { reason: 'until', until });
    },

    async emit_event(ctx) {
      const p = ctx.effect.payload;
      const name = p.name ?? p.event_name;
      if (typeof name !== 'string' || !name.trim()) return failed('emit_event requires payload.name');
      let scope;
      try {
        scope = parseScope(p.scope);
      } catch (err) {
        return failed(`emit_event invalid payload: ${(err as Error).message}`);
      }
      const r = await deliverEvent(rt, {
        name,
        scope,
        scopeId: scopeIdFor(scope, p, ctx),
        payload: p.payload,
        eventId: typeof p.event_id === 'string' ? p.event_id : null,
        emitter: { run_id: ctx.run.run_id, workflow_id: ctx.run.workflow_id, node_id: ctx.nodeId },
      }, ctx.run.run_id);
      return { status: 'completed', result: r as unknown as Vars };
    },

    async start_subworkflow(ctx) {
      const p = ctx.effect.payload;
      const workflowId = p.workflow_id;
      if (typeof workflowId !== 'string' || !workflowId) return failed('start_subworkflow requires payload.workflow_id');
      const childVars: Vars = isPlainObject(p.vars) ? { ...p.vars } : {};
      for (const k of WORKSPACE_KEYS) {
        const v = ctx.run.vars[k];
        if (childVars[k] === undefined && v !== undefined && v !== null && v !== '') childVars[k] = v;
      }
      let child;
      try {
        // Deterministic id: a parent re-executing this step after a crash adopts the child it already started.
        child = await rt.startChild(ctx, workflowId, {
          vars: childVars,
          sessionId: (p.session_id ?? p.sessionId ?? ctx.run.session_id) || null,
          actorId: ctx.run.actor_id,
          startListeners: false,
        });
      } catch (err) {
        if (isCommitFailure(err)) throw err; // the parent's claim lapsed: its tick stops, nothing was started
        return failed((err as Error).message);
      }
      rt.store.fault('subflow.child_created');
      const isAsync = p.async === true;
      const details = (extra: Vars) => ({
        sub_run_id: child.run_id, sub_workflow_id: workflowId, include_traces: p.include_traces === true, ...extra,
      });
      if (isAsync && !p.wait) return { status: 'completed', result: { sub_run_id: child.run_id, async: true } };
      if (isAsync) {
        // Adopted a child that already ended (the parent crashed before recording its wait): its result now.
        if (isTerminal(child.status)) return { status: 'completed', result: childResult(child, { details: details({}) }) };
        return wait(ctx, { reason: 'subworkflow', wait_key: `subworkflow:${child.run_id}`, details: details({ async: true, ...wrapDetails(p) }) });
      }
      // Sync: run the child inline; if it blocks, the parent waits on it and is resumed when it ends.
      const done = await rt.tickChild(ctx.run.run_id, child.run_id, 100);
      rt.store.fault('subflow.child_ticked');
      if (done.status === 'completed') {
        const result: Vars = { sub_run_id: child.run_id, output: done.output };
        if (p.include_traces) result.node_traces = nodeTracesOf(done.vars);
        return { status: 'completed', result };
      }
      if (done.status === 'failed' || done.status === 'cancelled') {
        return failed(`Subworkflow '${workflowId}' failed: ${done.error ?? done.status}`);
      }
      return wait(ctx, {
        reason: 'subworkflow',
        wait_key: `subworkflow:${child.run_id}`,
        details: details({ sub_waiting: { reason: done.waiting?.reason ?? null, wait_key: done.waiting?.wait_key ?? null }, ...wrapDetails(p) }),
      });
    },
  };
}

function wrapDetails(p: Vars): Vars {
  if (!p.wrap_as_tool_result) return {};
  return { wrap_as_tool_result: true, tool_name: p.tool_name ?? p.toolName ?? null, call_id: p.call_id ?? p.callId ?? null };
}

function scopeIdFor(scope: string, p: Vars, ctx: EffectContext): string | null {
  switch (scope) {
    case 'session': return (p.session_id as string) || ctx.run.session_id || ctx.run.run_id;
    case 'workflow': return ctx.run.workflow_id;
    case 'run': return ctx.run.run_id;
    default: return 'global';
  }
}
