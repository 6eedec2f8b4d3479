// Strict argument checking for every command: citty ignores unknown flags and extra positionals, so before a
// command runs, runCli (main.ts) checks the raw argv of the resolved (sub)command against the args it declares.
// One mechanism for the whole tree: an unknown flag, an unknown subcommand or a surplus argument is a
// UsageError (exit 2) naming the valid choices, closest match first.
import type { ArgDef, CommandDef } from 'citty';
import { UsageError } from './common.ts';

type AnyCommand = CommandDef<any>;
const resolve = async <T>(v: T | Promise<T> | (() => T | Promise<T>)): Promise<T> =>
  typeof v === 'function' ? await (v as () => T | Promise<T>)() : await v;

/** Levenshtein distance (small strings only: flag and command names). */
export function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** `valid` sorted by closeness to `got` (stable for ties), and the best one when it is close enough to suggest. */
export function closest(got: string, valid: string[]): { sorted: string[]; suggestion: string | null } {
  const scored = valid.map((v, i) => ({ v, i, d: distance(got, v) }));
  scored.sort((x, y) => x.d - y.d || x.i - y.i);
  const best = scored[0];
  const near = best && (best.d <= Math.max(2, Math.floor(got.length / 3)) || best.v.startsWith(got) || got.startsWith(best.v));
  return { sorted: scored.map((s) => s.v), suggestion: near ? best.v : null };
}

/** "unknown flag --prot; did you mean --port? valid: …" / "unknown flag --x; valid: …" */
const refusal = (head: string, suggestion: string | null, valid: string) =>
  suggestion ? `${head}; did you mean ${suggestion}? ${valid}` : `${head}; ${valid}`;

const kebab = (s: string) => s.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

/** Walks argv down the command tree; throws UsageError on anything the command does not declare. */
export async function checkArgv(root: AnyCommand, argv: string[], path: string[] = []): Promise<void> {
  const name = path.join(' '); // '' for the root command
  const args = ((await resolve(root.args)) ?? {}) as Record<string, ArgDef>;
  const subs = root.subCommands ? await resolve(root.subCommands) : undefined;
  const flags = new Map<string, string>(); // spelling (no dashes) → type
  const positionals: string[] = [];
  for (const [key, def] of Object.entries(args)) {
    if (def.type === 'positional') { positionals.push(key); continue; }
    for (const n of [key, kebab(key), ...[(def as { alias?: string | string[] }).alias ?? []].flat()]) flags.set(n, def.type ?? 'string');
    if (def.type === 'boolean') flags.set(`no-${key}`, 'boolean');
  }
  flags.set('help', 'boolean').set('h', 'boolean');
  const listed = Object.entries(args).filter(([, d]) => d.type !== 'positional').map(([k]) => `--${k}`);
  const rest: string[] = [];
  let firstAt = -1; // argv index of the first positional (the subcommand name when there are subcommands)
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') { if (firstAt < 0 && i + 1 < argv.length) firstAt = i + 1; rest.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('-') && a !== '-' && !/^-\d/.test(a)) {
      const body = a.replace(/^--?/, '');
      const [flag, inline] = body.includes('=') ? [body.slice(0, body.indexOf('=')), true] : [body, false];
      const type = flags.get(flag);
      if (!type) {
        const shown = a.startsWith('--') ? `--${flag}` : `-${flag}`;
        const { sorted, suggestion } = closest(`--${flag}`, listed);
        const where = name ? ` for \`${name}\`` : '';
        throw new UsageError(
          refusal(`unknown flag ${shown}${where}`, suggestion, sorted.length ? `valid: ${sorted.join(', ')}` : 'it takes no flags'),
          `Run \`abstractgateway ${name ? name + ' ' : ''}--help\` for what each option does.`,
        );
      }
      if (type !== 'boolean' && !inline) i++; // its value
      continue;
    }
    if (firstAt < 0) firstAt = i;
    rest.push(a);
    if (subs && Object.keys(subs).length) break; // the rest belongs to the subcommand
  }
  if (subs && Object.keys(subs).length) {
    const sub = rest[0];
    if (sub === undefined) return; // citty prints the usage / "No command specified"
    if (!(sub in subs)) {
      const { sorted, suggestion } = closest(sub, Object.keys(subs));
      throw new UsageError(
        refusal(`Unknown command ${sub}${name ? ` for \`${name}\`` : ''}`, suggestion, `valid: ${sorted.join(', ')}`),
        `Run \`abstractgateway ${name ? name + ' ' : ''}--help\` for the list.`,
      );
    }
    return checkArgv(await resolve(subs[sub]!), argv.slice(firstAt + 1), [...path, sub]);
  }
  if (rest.length > positionals.length) {
    const extra = rest.slice(positionals.length);
    const takes = positionals.length ? `it takes ${positionals.map((p) => `<${p}>`).join(' ')}` : 'it takes no arguments';
    throw new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((e) => `'${e}'`).join(' ')} for \`${name}\`: ${takes}`,
      `Quote values that contain spaces; run \`abstractgateway ${name} --help\` for the usage.`,
    );
  }
}
