// `commands pause|resume|cancel|answer|emit`: append to the durable command inbox, the same one the HTTP API
// writes. Locally that is a row in the data directory's database (the runner applies it in seq order); with
// --url it is `POST /api/gateway/commands` on a running gateway. Either way the command is durable once this
// prints its seq; --wait also reports the outcome the runner recorded.
import { defineCommand } from 'citty';
import type { Store } from '../store/index.ts';
import { CliFailure, EXIT, UsageError, c, configFrom, dataDirArgs, intArg, jsonArgs, jsonObjectArg, openStore, printJson, remoteArgs } from './common.ts';
import { call, remoteFrom, type Remote } from './remote.ts';

const common = {
  ...dataDirArgs,
  ...remoteArgs,
  ...jsonArgs,
  wait: { type: 'boolean', description: 'Wait until the runner has applied (or rejected) the command' },
  timeout: { type: 'string', valueHint: 'seconds', description: 'With --wait: give up after this long (default 30)' },
  'command-id': { type: 'string', valueHint: 'id', description: 'Idempotency key (default: a fresh UUID); re-sending the same id is a no-op' },
  'client-id': { type: 'string', valueHint: 'id', description: 'Recorded with the command (default: cli)' },
} as const;

type Args = Record<string, any>;
interface Target { store: Store | null; remote: Remote | null; close(): Promise<void> }

async function target(args: Args): Promise<Target> {
  const config = configFrom(args);
  const remote = remoteFrom(args, config.dataDir);
  if (remote) return { store: null, remote, async close() {} };
  const store = await openStore(config, { mustExist: true });
  return { store, remote: null, close: () => store.close() };
}

/** The run as the target sees it (local checkpoint or the HTTP summary); fails with a hint when unknown. */
async function getRun(t: Target, runId: string): Promise<{ status: string; waiting: { wait_key: string | null; prompt: string | null } | null }> {
  if (t.remote) return call(t.remote, 'GET', `/api/gateway/runs/${encodeURIComponent(runId)}`);
  const run = await t.store!.runs.get(runId);
  if (!run) throw new CliFailure(`Run '${runId}' not found`, 'List runs with `abstractgateway runs list` (check --data-dir).');
  return run;
}

async function submit(t: Target, args: Args, runId: string, type: string, payload: Record<string, unknown>): Promise<void> {
  const commandId = (typeof args['command-id'] === 'string' && args['command-id'].trim()) || crypto.randomUUID();
  const body = { command_id: commandId, run_id: runId, type, payload, client_id: (args['client-id'] as string) || 'cli' };
  const res: { accepted: boolean; duplicate: boolean; seq: number } = t.remote
    ? await call(t.remote, 'POST', '/api/gateway/commands', body)
    : await t.store!.commands.append(body);
  let outcome: { status: string; reason: string | null } | null = null;
  if (args.wait) outcome = await waitOutcome(t, commandId, (intArg('timeout', args.timeout, 1, 86_400) ?? 30) * 1000);
  if (args.json) printJson({ ...res, command_id: commandId, type, run_id: runId, ...(outcome ? { outcome } : {}) });
  else {
    const dup = res.duplicate ? c.yellow(' (duplicate: already queued earlier)') : '';
    process.stdout.write(`Queued ${type} for run ${runId}: seq ${res.seq}, command_id ${commandId}${dup}\n`);
    if (outcome) process.stdout.write(`Outcome: ${outcome.status === 'applied' ? c.green('applied') : c.red(outcome.status)}${outcome.reason ? ` (${outcome.reason})` : ''}\n`);
    else if (!args.wait) process.stdout.write(c.dim('The runner applies it shortly; add --wait to see the outcome.\n'));
  }
  if (outcome?.status === 'rejected') process.exitCode = EXIT.FAIL;
}

async function waitOutcome(t: Target, commandId: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const o = t.remote
      ? await call<{ status: string; reason: string | null }>(t.remote, 'GET', `/api/gateway/commands/${encodeURIComponent(commandId)}`)
      : await t.store!.commands.get(commandId);
    if (o && o.status !== 'pending') return { status: o.status, reason: o.reason };
    await Bun.sleep(100);
  }
  throw new CliFailure(`No outcome after ${Math.round(timeoutMs / 1000)} s: the command is queued but no runner applied it yet`, 'Is a runner running for this data dir? Start one with `abstractgateway serve` or `abstractgateway runner`.');
}

const runArg = { run_id: { type: 'positional', description: 'Target run id', required: true } } as const;
const reasonArg = { reason: { type: 'string', valueHint: 'text', description: 'Recorded with the pause/cancel' } } as const;

function simple(type: 'pause' | 'resume' | 'cancel', description: string, withReason: boolean) {
  return defineCommand({
    meta: { name: type, description },
    args: { ...runArg, ...(withReason ? reasonArg : {}), ...common },
    async run({ args }) {
      const t = await target(args);
      try {
        await getRun(t, args.run_id);
        const reason = (args as Args).reason;
        await submit(t, args, args.run_id, type, typeof reason === 'string' && reason ? { reason } : {});
      } finally {
        await t.close();
      }
    },
  });
}

const answer = defineCommand({
  meta: { name: 'answer', description: "Answer a run's waiting prompt (resume with {response: TEXT} and its current wait_key)" },
  args: {
    ...runArg,
    text: { type: 'positional', description: 'The answer (with --json: a JSON value)', required: true },
    ...common,
    json: { type: 'boolean', description: 'TEXT is JSON (e.g. \'{"approve": true}\'); output is JSON too' },
  },
  async run({ args }) {
    let response: unknown = args.text;
    if (args.json) {
      try { response = JSON.parse(args.text); } catch (e) {
        throw new UsageError(`TEXT is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, 'Quote it for the shell, e.g. \'{"approve": true}\', or drop --json to send plain text.');
      }
    }
    const t = await target(args);
    try {
      const run = await getRun(t, args.run_id);
      if (run.status !== 'waiting' || !run.waiting) {
        throw new CliFailure(`Run '${args.run_id}' is not waiting for input (status ${run.status})`, 'See what it is doing with `abstractgateway runs show ' + args.run_id + '`.');
      }
      await submit(t, args, args.run_id, 'resume', { wait_key: run.waiting.wait_key, payload: { response } });
    } finally {
      await t.close();
    }
  },
});

const emit = defineCommand({
  meta: { name: 'emit', description: 'Emit an external event to runs waiting on it (emit_event command)' },
  args: {
    name: { type: 'positional', description: 'Event name', required: true },
    scope: { type: 'enum', options: ['session', 'workflow', 'run', 'global'], default: 'session', description: 'Event scope' },
    session: { type: 'string', valueHint: 'id', description: 'Session id (required for scope session)' },
    run: { type: 'string', valueHint: 'id', description: 'Run id (scope run)' },
    workflow: { type: 'string', valueHint: 'id', description: 'Workflow id (scope workflow)' },
    payload: { type: 'string', valueHint: 'json', description: 'Event payload as a JSON object' },
    ...common,
  },
  async run({ args }) {
    const scope = args.scope;
    const need = { session: args.session, run: args.run, workflow: args.workflow, global: 'global' }[scope];
    if (!need) throw new UsageError(`--${scope} is required for --scope ${scope}`);
    const payload: Record<string, unknown> = { name: args.name, scope, payload: args.payload ? jsonObjectArg('payload', args.payload) : {} };
    if (args.session) payload.session_id = args.session;
    if (args.run) payload.run_id = args.run;
    if (args.workflow) payload.workflow_id = args.workflow;
    const t = await target(args);
    try {
      // The command's run_id doubles as the default session id (docs/api.md "Commands").
      await submit(t, args, args.session || args.run || args.workflow || 'global', 'emit_event', payload);
    } finally {
      await t.close();
    }
  },
});

export default defineCommand({
  meta: { name: 'commands', description: 'Send pause/resume/cancel/answer/emit to runs through the durable command inbox' },
  subCommands: {
    pause: simple('pause', 'Pause a run (and its children)', true),
    resume: simple('resume', 'Resume a paused run (and its children)', false),
    cancel: simple('cancel', 'Cancel a run (and its children)', true),
    answer,
    emit,
  },
});
