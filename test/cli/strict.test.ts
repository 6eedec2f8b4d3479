// Strict argv checking (src/cli/strict.ts) over the real command tree: every command and subcommand refuses an
// unknown flag, naming the valid ones (closest first); unknown subcommands and surplus arguments are refused
// too; declared spellings (aliases, --no-x, --x=v, kebab/camel) pass. In-process: no spawn per command.
import { describe, expect, test } from 'bun:test';
import { join } from 'node:path';
import type { CommandDef } from 'citty';
import { main } from '../../src/cli.ts';
import { UsageError } from '../../src/cli/common.ts';
import { checkArgv, closest, distance } from '../../src/cli/strict.ts';

type Cmd = CommandDef<any>;
const resolve = async (v: any) => (typeof v === 'function' ? await v() : await v);

/** Every command path of the tree, with its definition. */
async function walk(cmd: Cmd, path: string[] = []): Promise<[string[], Cmd][]> {
  const out: [string[], Cmd][] = [[path, cmd]];
  const subs = cmd.subCommands ? await resolve(cmd.subCommands) : null;
  for (const [name, sub] of Object.entries(subs ?? {})) out.push(...(await walk(await resolve(sub), [...path, name])));
  return out;
}

async function refusal(argv: string[]): Promise<UsageError> {
  try {
    await checkArgv(main as Cmd, argv);
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('unknown flags exit 2 for every command', async () => {
  const all = await walk(main as Cmd);
  test('the tree has every command', () => expect(all.length).toBeGreaterThanOrEqual(25));
  test.each(all.map(([p, c]) => [p.join(' ') || '(root)', p, c] as const))('%s --bogus-flag', async (_n, path, cmd) => {
    const e = await refusal([...path, '--bogus-flag']);
    expect(e.message).toStartWith('unknown flag --bogus-flag');
    const args = Object.entries((await resolve(cmd.args)) ?? {}).filter(([, d]: any) => d.type !== 'positional');
    for (const [k] of args) expect(e.message).toContain(`--${k}`);
    expect(e.hint).toContain(`abstractgateway ${path.length ? path.join(' ') + ' ' : ''}--help`);
  });
});

describe('messages', () => {
  test('closest match first, with a suggestion', async () => {
    const e = await refusal(['serve', '--prot', '18150']);
    expect(e.message).toMatch(/^unknown flag --prot for `serve`; did you mean --port\? valid: --port, /);
  });

  test('docs/cli.md shows the message as it is', async () => {
    const doc = await Bun.file(join(import.meta.dir, '../../docs/cli.md')).text();
    expect(doc).toContain(`error: ${(await refusal(['serve', '--prot', '18150'])).message}`);
  });

  test('unknown subcommand names the valid ones', async () => {
    const e = await refusal(['runs', 'lsit']);
    expect(e.message).toContain('Unknown command lsit for `runs`; did you mean list? valid: list, ');
  });

  test('surplus positional arguments', async () => {
    expect((await refusal(['runs', 'show', 'a', 'b'])).message).toContain("unexpected argument 'b' for `runs show`: it takes <run_id>");
    expect((await refusal(['doctor', 'extra'])).message).toContain('it takes no arguments');
  });

  test('declared spellings pass', async () => {
    for (const argv of [
      ['serve', '-p', '0', '--no-runner', '--data-dir=/tmp/x'],
      ['runs', 'list', '--status', 'waiting', '--limit=3', '--json'],
      ['runs', 'start', 'hello', '--input', 'a=1', '--input', 'b:=2', '--', '--literal'].slice(0, 7),
      ['commands', 'answer', 'r1', '--json', '{"x": 1}'],
      ['runs', 'tail', 'r1', '--no-input', '--after', '3'],
      ['token', 'rotate'],
      ['runs'],
    ]) await checkArgv(main as Cmd, argv);
  });

  test('distance and ordering', () => {
    expect(distance('--prot', '--port')).toBe(2);
    expect(closest('--jsn', ['--limit', '--json']).sorted[0]).toBe('--json');
    expect(closest('--zzzzzz', ['--json']).suggestion).toBeNull();
  });
});
