// `runs list|show|start|tail|verify`: read runs straight from the data directory's store (WAL: safe while the
// gateway runs), start runs of installed bundles, and follow a run's ledger live.
import { defineCommand } from 'citty';
import { RUN_STATUSES, isTerminal, type RunState } from '../model/index.ts';
import type { Store } from '../store/index.ts';
import { CliFailure, EXIT, UsageError, c, ce, configFrom, dataDirArgs, flowsDirArgs, intArg, jsonArgs, jsonObjectArg, openStore, printJson, remoteArgs, repeated, table } from './common.ts';
import { call, remoteFrom } from './remote.ts';
import { renderRecord, renderRunSummary, statusText } from './render.ts';

const common = { ...dataDirArgs, ...jsonArgs } as const;

async function mustRun(store: Store, runId: string): Promise<RunState> {
  const run = await store.runs.get(runId);
  if (!run) throw new CliFailure(`Run '${runId}' not found`, 'List runs with `abstractgateway runs list` (check --data-dir).');
  return run;
}

const list = defineCommand({
  meta: { name: 'list', description: 'List runs, most recently updated first' },
  args: {
    status: { type: 'enum', options: [...RUN_STATUSES], description: 'Only runs with this status' },
    limit: { type: 'string', valueHint: 'n', description: 'How many (default 20, max 1000)' },
    ...common,
  },
  async run({ args }) {
    const limit = intArg('limit', args.limit, 1, 1000) ?? 20;
    const store = await openStore(configFrom(args), { mustExist: true });
    try {
      const page = await store.runs.list({ status: args.status as RunState['status'] | undefined, limit });
      // Booleans as the HTTP API shows them (the store row keeps SQLite's 0/1).
      if (args.json) return printJson({ ...page, items: page.items.map((r) => ({ ...r, paused: !!r.paused })) });
      if (!page.items.length) return void process.stdout.write('No runs.\n');
      const rows = page.items.map((r) => [r.run_id, statusText(r.status) + (r.wait_reason ? c.dim(` (${r.wait_reason})`) : ''), r.workflow_id, r.updated_at.slice(0, 19).replace('T', ' ')]);
      process.stdout.write(table(['RUN_ID', 'STATUS', 'WORKFLOW', 'UPDATED (UTC)'], rows) + '\n');
      if (page.next_cursor) process.stdout.write(c.dim(`… more; raise --limit\n`));
    } finally {
      await store.close();
    }
  },
});

const show = defineCommand({
  meta: { name: 'show', description: 'Show one run: status, wait, output, error' },
  args: { run_id: { type: 'positional', required: true, description: 'Run id' }, ...common },
  async run({ args }) {
    const store = await openStore(configFrom(args), { mustExist: true });
    try {
      const run = await mustRun(store, args.run_id);
      const ledgerLen = await store.ledger.count(run.run_id);
      if (args.json) return printJson({ ...run, ledger_len: ledgerLen });
      process.stdout.write(renderRunSummary(run, ledgerLen) + '\n');
    } finally {
      await store.close();
    }
  },
});

const verify = defineCommand({
  meta: { name: 'verify', description: "Verify a run's ledger hash chain; exit 1 when it is broken" },
  args: { run_id: { type: 'positional', required: true, description: 'Run id' }, ...common },
  async run({ args }) {
    const store = await openStore(configFrom(args), { mustExist: true });
    try {
      await mustRun(store, args.run_id);
      const rep = await store.ledger.verify(args.run_id);
      if (args.json) printJson({ run_id: args.run_id, ...rep });
      else if (rep.ok) process.stdout.write(`${c.green('ok')} ledger of ${args.run_id}: ${rep.count} records, chain intact, head ${rep.head_hash ?? '-'}\n`);
      else {
        process.stdout.write(`${c.red('BROKEN')} ledger of ${args.run_id}: first bad record at seq ${rep.first_bad_seq}\n`);
        for (const e of rep.errors.slice(0, 20)) process.stdout.write(`  seq ${e.seq}: ${e.type}: ${e.detail}\n`);
        process.stdout.write(c.dim('The records were changed after they were written. Restore the database from a backup to recover the original.\n'));
      }
      if (!rep.ok) process.exitCode = EXIT.FAIL;
    } finally {
      await store.close();
    }
  },
});

/** `--input k=v` (string) and `--input k:=<json>` (typed), merged over `--input-json`. */
export function parseInputs(rawArgs: string[], inputJson: string | undefined): Record<string, unknown> {
  const vars: Record<string, unknown> = inputJson ? jsonObjectArg('input-json', inputJson) : {};
  for (const item of repeated(rawArgs, 'input')) {
    const m = /^([^=:]+)(:?=)([\s\S]*)$/.exec(item);
    if (!m) throw new UsageError(`--input ${JSON.stringify(item)} must look like key=value (or key:=<json>)`);
    const [, key, op, value] = m as unknown as [string, string, string, string];
    if (op === ':=') {
      try { vars[key.trim()] = JSON.parse(value); } catch {
        throw new UsageError(`--input ${key}:= needs a JSON value (got ${JSON.stringify(value)})`, 'Use key=value for plain text.');
      }
    } else vars[key.trim()] = value;
  }
  return vars;
}

const start = defineCommand({
  meta: { name: 'start', description: 'Start a run of an installed bundle (its default entrypoint unless --flow)' },
  args: {
    bundle: { type: 'positional', required: true, description: 'bundle_id or bundle_id@version' },
    flow: { type: 'string', valueHint: 'flow_id', description: 'Entrypoint flow id (bundles with several entrypoints)' },
    input: { type: 'string', valueHint: 'key=value', description: 'Input value (repeatable); key:=<json> for typed values' },
    'input-json': { type: 'string', valueHint: 'json', description: 'All inputs as one JSON object' },
    session: { type: 'string', valueHint: 'id', description: 'Session id (default: the new run id)' },
    tail: { type: 'boolean', description: 'Then follow the run like `runs tail`' },
    ...flowsDirArgs,
    ...remoteArgs,
    ...common,
  },
  async run({ args, rawArgs }) {
    const inputData = parseInputs(rawArgs, args['input-json']);
    const config = configFrom(args);
    const remote = remoteFrom(args, config.dataDir);
    let runId: string;
    if (remote) {
      if (args.tail) throw new UsageError('--tail works on the local data directory only', 'Drop --url, or follow it with the SSE endpoint.');
      ({ run_id: runId } = await call<{ run_id: string }>(remote, 'POST', '/api/gateway/runs/start', {
        bundle_id: args.bundle, flow_id: args.flow ?? null, input_data: inputData, session_id: args.session ?? null,
      }));
    } else {
      runId = await startLocal(config, args.bundle, args.flow ?? null, inputData, args.session ?? null);
    }
    if (args.json && !args.tail) return printJson({ run_id: runId });
    if (!args.tail) {
      process.stdout.write(`${runId}\n`);
      if (process.stdout.isTTY) process.stdout.write(c.dim(`Follow it: abstractgateway runs tail ${runId}\n`));
      return;
    }
    process.stderr.write(`Started ${runId}\n`);
    await tailRun(config, runId, { json: !!args.json, follow: true, interactive: !!process.stdin.isTTY });
  },
});

/** Starts through the same composition root as the server (same runtime defaults), without its HTTP server. */
async function startLocal(config: ReturnType<typeof configFrom>, bundle: string, flow: string | null, vars: Record<string, unknown>, session: string | null): Promise<string> {
  const { createGateway } = await import('../gateway.ts');
  const gw = await createGateway(config, { log: () => {} });
  try {
    if (!gw.registry.bundleIds().length) {
      throw new CliFailure(`No bundles installed in ${config.flowsDir}`, 'Install one with `abstractgateway bundles install <file.flow>` (check --flows-dir).');
    }
    const resolved = gw.registry.resolveStart({ bundle_id: bundle, flow_id: flow });
    const run = await gw.runtime.start(resolved.workflow_id, { vars, sessionId: session });
    if (!(await runnerAlive(gw.store))) {
      process.stderr.write(`${ce.yellow('note:')} no runner is active for ${config.dataDir}: the run starts once \`abstractgateway serve\` or \`abstractgateway runner\` runs.\n`);
    }
    return run.run_id;
  } finally {
    await gw.close();
  }
}

/**
 * Is any runner holding this data dir's lease right now? (Only for a helpful hint.) A many-runner store
 * (PostgreSQL) has no lease to look at: assume yes rather than nag.
 */
async function runnerAlive(store: Store): Promise<boolean> {
  if (store.multiRunner) return true;
  return (await store.lease.holder(Date.now())) !== null;
}

export async function tailRun(
  config: ReturnType<typeof configFrom>,
  runId: string,
  opts: { json: boolean; follow: boolean; interactive: boolean; after?: number },
): Promise<void> {
  const store = await openStore(config, { mustExist: true });
  let rl: import('node:readline/promises').Interface | null = null;
  const asked = new Set<string>();
  let stop = false;
  let asking: AbortController | null = null;
  const onSig = () => { stop = true; };
  process.once('SIGINT', onSig);
  try {
    await mustRun(store, runId);
    let cursor = opts.after ?? 0;
    let idleSince = Date.now();
    let hinted = false;
    const print = (batch: { seq: number; json: string }[]) => {
      for (const { seq, json } of batch) {
        if (opts.json) process.stdout.write(json + '\n');
        else {
          const line = renderRecord(seq, JSON.parse(json));
          if (line) process.stdout.write(line + '\n');
        }
        cursor = seq;
      }
    };
    for (;;) {
      const batch = await store.ledger.listRawAfter(runId, cursor, 500);
      print(batch);
      if (batch.length) idleSince = Date.now();
      if (batch.length === 500) continue;
      const run = (await store.runs.get(runId))!;
      if (!opts.follow || stop) break;
      if (isTerminal(run.status)) {
        // The run may have ended between the read above and this one: its last records are printed first.
        for (let rest = await store.ledger.listRawAfter(runId, cursor, 500); rest.length; rest = await store.ledger.listRawAfter(runId, cursor, 500)) print(rest);
        if (!opts.json) process.stdout.write(`run ${statusText(run.status)}${run.error ? `: ${run.error}` : ''}\n`);
        if (run.status !== 'completed') process.exitCode = EXIT.FAIL;
        break;
      }
      const w = run.waiting;
      if (run.status === 'waiting' && w?.reason === 'user' && w.wait_key && !asked.has(w.wait_key) && !opts.json) {
        asked.add(w.wait_key);
        if (opts.interactive) {
          const { createInterface } = await import('node:readline/promises');
          if (!rl) {
            rl = createInterface({ input: process.stdin, output: process.stdout });
            rl.on('SIGINT', () => { stop = true; asking?.abort(); }); // Ctrl-C at the prompt ends the tail
          }
          asking = new AbortController();
          const prompt = `${c.bold(w.prompt || 'Your answer')}${w.choices?.length ? ` [${w.choices.join(' / ')}]` : ''} > `;
          const waitKey = w.wait_key;
          const stillWaiting = async () => {
            const cur = (await store.runs.get(runId))!;
            return cur.status === 'waiting' && cur.waiting?.wait_key === waitKey ? null : cur;
          };
          // Follow the run while the prompt is up: when the wait ends elsewhere (answered by another client,
          // cancelled, ...) the prompt is withdrawn and nothing is sent.
          let ended: RunState | null = null;
          let answered = false;
          const watch = (async () => {
            while (!answered && !stop) {
              await Bun.sleep(100);
              if (answered || stop) return;
              ended = await stillWaiting();
              if (ended) return asking!.abort();
            }
          })();
          const answer = await rl.question(prompt, { signal: asking.signal }).then((a) => a.trim(), () => '');
          answered = true;
          await watch;
          if (stop) break;
          ended ??= answer ? await stillWaiting() : null; // answered elsewhere while this one was typed
          if (ended) {
            const how = ended.status === 'cancelled' || ended.status === 'failed' ? `the run was ${ended.status}` : 'the wait was answered elsewhere';
            process.stdout.write(`\n${c.dim(`prompt withdrawn: ${how}${answer ? '; your answer was not sent' : ''}`)}\n`);
            continue;
          }
          if (answer) {
            const res = await store.commands.append({ command_id: crypto.randomUUID(), run_id: runId, type: 'resume', payload: { wait_key: waitKey, payload: { response: answer } }, client_id: 'cli' });
            process.stdout.write(c.dim(`sent (command seq ${res.seq})\n`));
          }
        } else {
          process.stdout.write(c.dim(`waiting for an answer: abstractgateway commands answer ${runId} "<text>"\n`));
        }
      }
      if (!hinted && run.status === 'running' && Date.now() - idleSince > 3000 && !(await runnerAlive(store))) {
        hinted = true;
        process.stderr.write(`${ce.yellow('note:')} no runner is active for ${config.dataDir}; start \`abstractgateway serve\` or \`abstractgateway runner\`.\n`);
      }
      await Bun.sleep(100);
    }
    if (stop) process.exitCode = 130; // interrupted, as shells report Ctrl-C
  } finally {
    process.off('SIGINT', onSig);
    rl?.close();
    await store.close();
  }
}

const tail = defineCommand({
  meta: { name: 'tail', description: "Follow a run's ledger live until it ends (answers its prompts when run in a terminal); exit 1 if it fails" },
  args: {
    run_id: { type: 'positional', required: true, description: 'Run id' },
    after: { type: 'string', valueHint: 'n', description: 'Skip the first n records' },
    follow: { type: 'boolean', default: true, description: 'Keep following until the run ends' },
    input: { type: 'boolean', default: true, description: 'Ask for answers to prompts when stdin is a terminal' },
    ...common,
  },
  async run({ args }) {
    const after = intArg('after', args.after, 0, Number.MAX_SAFE_INTEGER);
    await tailRun(configFrom(args), args.run_id, { json: !!args.json, follow: args.follow !== false, interactive: args.input !== false && !!process.stdin.isTTY, after });
  },
});

export default defineCommand({
  meta: { name: 'runs', description: 'List, inspect, start, follow and verify runs' },
  subCommands: { list, show, start, tail, verify },
});
