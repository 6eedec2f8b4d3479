// Context / agent envelope builtins (docs/flows.md "Node families"): make_context, add_message (pure form),
// make_meta, make_scratchpad, format_tool_results, agent_trace_report, system_datetime.

import { nowIso } from '../../util/time.ts';
import { pyFloat, pyJsonDumps, pyStr, toFloat, toInt } from '../values.ts';
import { isPlainObject } from '../../model/index.ts';
import { asList, type Inputs } from './common.ts';

const dict = (v: unknown): Record<string, any> => (isPlainObject(v) ? v : {});
const str = (v: unknown): string => (v === null || v === undefined ? '' : pyStr(v));

function makeContext(i: Inputs): unknown {
  return { context: { ...dict(i.context_extra), task: str(i.task), messages: asList(i.messages) } };
}

function addMessage(i: Inputs): unknown {
  const role = typeof i.role === 'string' && i.role.trim() ? i.role.trim() : 'user';
  const id = crypto.randomUUID().replace(/-/g, '');
  return { message: { role, content: str(i.content), timestamp: nowIso(), metadata: { message_id: `msg_${id}` } } };
}

function optInt(v: unknown): number | null {
  if (v === null || v === undefined || typeof v === 'boolean') return null;
  try { return toInt(toFloat(v)); } catch { return null; }
}

function optFloat(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'boolean') return null;
  try { return pyFloat(toFloat(v)); } catch { return null; }
}

/** Counts accept a number or a list (its length). */
const count = (v: unknown): number | null => (Array.isArray(v) ? v.length : optInt(v));

function makeMeta(i: Inputs): unknown {
  const meta: Record<string, unknown> = { ...dict(i.extra) };
  meta.schema = typeof i.schema === 'string' && i.schema.trim() ? i.schema.trim() : 'abstractcode.agent.v1.meta';
  meta.version = optInt(i.version) ?? 1;
  for (const k of ['output_mode', 'provider', 'model', 'sub_run_id', 'finish_reason']) {
    if (typeof i[k] === 'string' && i[k].trim()) meta[k] = i[k].trim();
  }
  const typed: Record<string, unknown> = {
    iterations: optInt(i.iterations), tool_calls: count(i.tool_calls), tool_results: count(i.tool_results),
    gen_time: optFloat(i.gen_time), ttft_ms: optFloat(i.ttft_ms),
  };
  for (const [k, v] of Object.entries(typed)) if (v !== null) meta[k] = v;
  if (isPlainObject(i.usage)) meta.usage = i.usage;
  const trace = { ...dict(i.trace) };
  if (typeof i.trace_id === 'string' && i.trace_id.trim()) trace.trace_id = i.trace_id.trim();
  if (Object.keys(trace).length) meta.trace = trace;
  if (Array.isArray(i.warnings) && i.warnings.length) meta.warnings = i.warnings.map(str);
  else if (typeof i.warnings === 'string' && i.warnings.trim()) meta.warnings = [i.warnings.trim()];
  if (isPlainObject(i.debug)) meta.debug = i.debug;
  return { meta };
}

function makeScratchpad(i: Inputs): unknown {
  return {
    scratchpad: {
      sub_run_id: i.sub_run_id ?? null,
      workflow_id: i.workflow_id ?? null,
      task: str(i.task),
      messages: asList(i.messages),
      context_extra: dict(i.context_extra),
      node_traces: dict(i.node_traces),
      steps: asList(i.steps),
      tool_calls: asList(i.tool_calls),
      tool_results: asList(i.tool_results),
    },
  };
}

const clamp = (s: string, n: number): string => (s.length > n ? s.slice(0, n) + '…' : s);

function formatToolResults(i: Inputs): string {
  const results = asList(i.tool_results ?? i.results);
  return results.map((r) => {
    if (!isPlainObject(r)) return `- ${str(r)}`;
    const name = str(r.name ?? r.tool ?? 'tool');
    const args = dict(r.arguments ?? r.args);
    const first = Object.keys(args)[0];
    const primary = first === undefined ? '' : str(args[first]);
    const status = r.success === true ? 'SUCCESS' : r.success === false ? 'FAILURE' : 'DONE';
    let obs: string;
    if (r.success === false) obs = str(r.error);
    else if (isPlainObject(r.output) && typeof r.output.rendered === 'string') obs = r.output.rendered;
    else if (typeof r.output === 'string') obs = r.output;
    else obs = clamp(pyJsonDumps(r.output ?? null, { ensureAscii: false, separators: [',', ':'] }), 420);
    return `- ${name}(${primary}) [${status}] : ${obs}`;
  }).join('\n');
}

/** A readable Markdown trace of the agent scratchpad (the reference layout is not reproduced). */
function agentTraceReport(i: Inputs): string {
  const sp = dict(i.scratchpad);
  const lines = ['# Agent trace'];
  if (sp.task) lines.push('', `**Task:** ${str(sp.task)}`);
  const steps = asList(sp.steps);
  steps.forEach((s, n) => {
    const st = dict(s);
    const effect = dict(st.effect);
    lines.push('', `## Step ${n + 1}: ${str(effect.type ?? st.type ?? 'step')}${st.node_id ? ` (${str(st.node_id)})` : ''}`);
    if (st.status) lines.push(`- status: ${str(st.status)}`);
    if (st.error) lines.push(`- error: ${str(st.error)}`);
    if (st.result !== undefined && st.result !== null) {
      lines.push('```json', clamp(pyJsonDumps(st.result, { ensureAscii: false, indent: 2 }), 2000), '```');
    }
  });
  const results = formatToolResults({ tool_results: sp.tool_results });
  if (results) lines.push('', '## Tool results', results);
  return lines.join('\n');
}

function systemDatetime(): unknown {
  const d = new Date();
  const off = -d.getTimezoneOffset();
  const p = (n: number, w = 2): string => String(Math.abs(n)).padStart(w, '0');
  const iso = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:` +
    `${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}${off < 0 ? '-' : '+'}${p(Math.trunc(off / 60))}:${p(off % 60)}`;
  const tz = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName');
  const env = process.env;
  const locale = (env.LC_ALL || env.LANG || env.LC_CTYPE || '').split('.')[0] ?? '';
  return { iso, timezone: tz?.value ?? 'UTC', utc_offset_minutes: off, locale };
}

export const AGENT: Record<string, (inputs: Inputs) => unknown> = {
  make_context: makeContext,
  add_message: addMessage,
  make_meta: makeMeta,
  make_scratchpad: makeScratchpad,
  format_tool_results: formatToolResults,
  agent_trace_report: agentTraceReport,
  system_datetime: systemDatetime,
};
