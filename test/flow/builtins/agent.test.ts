import { describe, expect, test } from 'bun:test';
import { BUILTINS } from '../../../src/flow/builtins/index.ts';

const run = (type: string, inputs: Record<string, unknown> = {}) => BUILTINS[type]!(inputs) as any;

describe('context builders', () => {
  test('make_context merges context_extra with task (null → "") and list-ified messages', () => {
    expect(run('make_context', { task: null, messages: null, context_extra: { foo: 1 } })).toEqual({ context: { foo: 1, task: '', messages: [] } });
    expect(run('make_context', { task: 7, messages: [{ role: 'user' }] })).toEqual({ context: { task: '7', messages: [{ role: 'user' }] } });
  });
  test('add_message (pure form) returns a timestamped message with a msg_ id', () => {
    const { message } = run('add_message', { role: 'assistant', content: 'hi' });
    expect(message.role).toBe('assistant');
    expect(message.content).toBe('hi');
    expect(message.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(message.metadata.message_id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(run('add_message', {}).message.role).toBe('user');
    expect(run('add_message', {}).message.metadata.message_id).not.toBe(message.metadata.message_id);
  });
});

describe('envelopes', () => {
  test('make_meta: extra keys first, schema default, typed coercions, trace_id → trace', () => {
    const { meta } = run('make_meta', {
      extra: { custom: 1 }, provider: 'p', model: 'm', usage: { t: 1 }, trace_id: 'tr', warnings: ['w'], debug: { d: 1 },
      iterations: '3', tool_calls: [{}, {}], gen_time: 'bad',
    });
    expect(Object.keys(meta)[0]).toBe('custom');
    expect(meta).toEqual({
      custom: 1, schema: 'abstractcode.agent.v1.meta', version: 1, provider: 'p', model: 'm', iterations: 3, tool_calls: 2,
      usage: { t: 1 }, trace: { trace_id: 'tr' }, warnings: ['w'], debug: { d: 1 },
    });
    expect(run('make_meta', { schema: 'x.meta', version: 2 }).meta).toEqual({ schema: 'x.meta', version: 2 });
  });
  test('make_scratchpad list-ifies its fields', () => {
    const { scratchpad } = run('make_scratchpad', { sub_run_id: 'r1', task: 'do', messages: null, steps: { a: 1 }, tool_calls: [1] });
    expect(scratchpad).toEqual({
      sub_run_id: 'r1', workflow_id: null, task: 'do', messages: [], context_extra: {}, node_traces: {}, steps: [{ a: 1 }],
      tool_calls: [1], tool_results: [],
    });
  });
  test('format_tool_results renders one line per result', () => {
    const results = [
      { name: 'read_file', arguments: { file_path: 'a.txt' }, success: true, output: 'content' },
      { name: 'web_search', arguments: { query: 'q' }, success: false, error: 'boom' },
      { name: 'x', output: { rendered: 'R' } },
      { name: 'big', success: true, output: { data: 'y'.repeat(500) } },
    ];
    const lines = (run('format_tool_results', { tool_results: results }) as string).split('\n');
    expect(lines[0]).toBe('- read_file(a.txt) [SUCCESS] : content');
    expect(lines[1]).toBe('- web_search(q) [FAILURE] : boom');
    expect(lines[2]).toBe('- x() [DONE] : R');
    expect(lines[3]!.startsWith('- big() [SUCCESS] : {"data":"yyy')).toBe(true);
    expect(lines[3]!.length).toBeLessThan(450);
    expect(run('format_tool_results', { results: [] })).toBe('');
  });
  test('agent_trace_report renders Markdown from a scratchpad', () => {
    const report = run('agent_trace_report', {
      scratchpad: { task: 'T', steps: [{ node_id: 'n1', status: 'completed', effect: { type: 'llm_call' }, result: { a: 1 } }] },
    }) as string;
    expect(report).toContain('# Agent trace');
    expect(report).toContain('**Task:** T');
    expect(report).toContain('## Step 1: llm_call (n1)');
    expect(run('agent_trace_report', {})).toBe('# Agent trace');
  });
  test('system_datetime', () => {
    const out = run('system_datetime');
    expect(out.iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$/);
    expect(Math.abs(Date.parse(out.iso) - Date.now())).toBeLessThan(5000);
    expect(typeof out.timezone).toBe('string');
    expect(Number.isInteger(out.utc_offset_minutes)).toBe(true);
    expect(typeof out.locale).toBe('string');
  });
});
