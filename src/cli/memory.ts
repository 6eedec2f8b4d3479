// `memory list|show|delete`: inspect and remove stored memory in the data directory — span memory (notes and
// archived conversation spans of a run, a session or global memory) and, with --kg, knowledge-graph assertions.
import { defineCommand } from 'citty';
import { MemoryService } from '../memory/service.ts';
import { UsageError, c, configFrom, dataDirArgs, intArg, jsonArgs, openStore, printJson, table } from './common.ts';

const common = { ...dataDirArgs, ...jsonArgs } as const;
type Args = Record<string, any>;

async function withMemory<T>(args: Args, fn: (m: MemoryService) => T | Promise<T>): Promise<T> {
  const store = await openStore(configFrom(args), { mustExist: true });
  try {
    return await fn(new MemoryService(store));
  } finally {
    await store.close();
  }
}

const list = defineCommand({
  meta: { name: 'list', description: 'List memory spans (global memory unless --run/--session), or KG assertions with --kg' },
  args: {
    run: { type: 'string', valueHint: 'run_id', description: "A run's own memory" },
    session: { type: 'string', valueHint: 'session_id', description: "A session's memory" },
    kg: { type: 'boolean', description: 'List knowledge-graph assertions instead' },
    scope: { type: 'enum', options: ['run', 'session', 'global'], description: 'With --kg: only this scope' },
    subject: { type: 'string', valueHint: 'text', description: 'With --kg: only this subject' },
    limit: { type: 'string', valueHint: 'n', description: 'How many (default 50, max 1000)' },
    ...common,
  },
  run: ({ args }) => withMemory(args, async (m) => {
    const limit = intArg('limit', args.limit, 1, 1000) ?? 50;
    if (args.kg) {
      const items = await m.listKg({ scope: args.scope, subject: args.subject, limit });
      if (args.json) return printJson({ items });
      if (!items.length) return void process.stdout.write('No assertions.\n');
      process.stdout.write(table(['ASSERTION_ID', 'SCOPE', 'OWNER', 'TRIPLE'], items.map((a) => [a.assertion_id, a.scope, a.owner_id, `${a.subject} ${a.predicate} ${a.object}`])) + '\n');
      return;
    }
    const items = await m.listSpans({ runId: args.run, sessionId: args.session, limit });
    if (args.json) return printJson({ items });
    if (!items.length) return void process.stdout.write('No memory spans.\n');
    process.stdout.write(table(['OWNER_RUN', 'SPAN_ID', 'KIND', 'CREATED (UTC)', 'PREVIEW'], items.map((s) => [s.owner_run_id, s.span_id, s.kind, (s.created_at ?? '').slice(0, 19).replace('T', ' '), (s.preview ?? '').slice(0, 60)])) + '\n');
  }),
});

const show = defineCommand({
  meta: { name: 'show', description: 'Show one span with its body (`memory show <owner_run_id> <span_id>`), or one assertion (`memory show --kg <assertion_id>`)' },
  args: {
    id: { type: 'positional', required: true, description: 'Owner run id (or, with --kg, the assertion id)' },
    span_id: { type: 'positional', required: false, description: 'Span id (not with --kg)' },
    kg: { type: 'boolean', description: 'Show a knowledge-graph assertion' },
    ...common,
  },
  run: ({ args }) => withMemory(args, async (m) => {
    if (args.kg) return printJson(await m.getKg(args.id));
    if (!args.span_id) throw new UsageError('memory show needs <owner_run_id> <span_id>', 'List them with `abstractgateway memory list`.');
    const s = await m.getSpan(args.id, args.span_id);
    if (args.json) return printJson(s);
    process.stdout.write(`${c.bold(s.span_id)} ${s.kind} in ${s.owner_run_id} at ${s.created_at ?? '?'}\n${JSON.stringify(s.body, null, 2)}\n`);
  }),
});

const del = defineCommand({
  meta: { name: 'delete', description: 'Delete a span from its owner run (`memory delete <owner_run_id> <span_id>`) or an assertion (`--kg <assertion_id>`)' },
  args: {
    id: { type: 'positional', required: true, description: 'Owner run id (or, with --kg, the assertion id)' },
    span_id: { type: 'positional', required: false, description: 'Span id (not with --kg)' },
    kg: { type: 'boolean', description: 'Delete a knowledge-graph assertion' },
    ...common,
  },
  run: ({ args }) => withMemory(args, async (m) => {
    if (args.kg) await m.deleteKg(args.id);
    else if (!args.span_id) throw new UsageError('memory delete needs <owner_run_id> <span_id>', 'List them with `abstractgateway memory list`.');
    else await m.deleteSpan(args.id, args.span_id);
    if (args.json) return printJson({ deleted: true });
    process.stdout.write('Deleted.\n');
  }),
});

export default defineCommand({
  meta: { name: 'memory', description: 'List, inspect and delete stored memory (spans and knowledge-graph assertions)' },
  subCommands: { list, show, delete: del },
});
