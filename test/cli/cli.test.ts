// The command surface: --help everywhere, exit codes (0 ok, 1 failure, 2 usage/config), actionable errors.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test';
import { join } from 'node:path';
import { tempDir } from '../support/harness.ts';
import { cli } from './helpers.ts';

setDefaultTimeout(30_000);
const tmp = tempDir('ag-cli-');
afterAll(() => tmp.cleanup());
const dd = ['--data-dir', join(tmp.path, 'data')];

const COMMANDS = [
  [], ['serve'], ['runner'], ['token'], ['doctor'], ['backup'], ['migrate'],
  ['bundles'], ['bundles', 'list'], ['bundles', 'show'], ['bundles', 'validate'], ['bundles', 'install'], ['bundles', 'remove'],
  ['runs'], ['runs', 'list'], ['runs', 'show'], ['runs', 'start'], ['runs', 'tail'], ['runs', 'verify'],
  ['commands'], ['commands', 'pause'], ['commands', 'resume'], ['commands', 'cancel'], ['commands', 'answer'], ['commands', 'emit'],
];

describe('--help', () => {
  // Spawn them all up front, a few at a time (one bun start-up each), then assert per command.
  const results = new Map<string, Awaited<ReturnType<typeof cli>>>();
  beforeAll(async () => {
    const queue = [...COMMANDS];
    await Promise.all([0, 1, 2, 3].map(async () => {
      for (let cmd = queue.shift(); cmd; cmd = queue.shift()) results.set(cmd.join(' '), await cli([...cmd, '--help']));
    }));
  });

  test.each(COMMANDS.map((c) => [c.join(' ') || '(root)', c]))('%s --help prints usage and exits 0', (_name, cmd) => {
    const r = results.get((cmd as string[]).join(' '))!;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`USAGE abstractgateway${(cmd as string[]).length ? ' ' + (cmd as string[]).join(' ') : ''}`);
    expect(r.stdout).not.toContain('\x1b['); // no colours when piped
  });

  test('--version prints the package version', async () => {
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });
});

describe('usage and config errors exit 2 with a hint', () => {
  test('unknown command', async () => {
    const r = await cli(['nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command nope');
    expect(r.stderr).toContain('hint:');
  });

  test('unknown flags and extra arguments exit 2 naming the valid ones', async () => {
    const r = await cli(['serve', '--prot', '18150', ...dd]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown flag --prot for `serve`; did you mean --port? valid: --port, ');
    const l = await cli(['runs', 'list', '--bogus-flag', ...dd]);
    expect(l.code).toBe(2);
    expect(l.stderr).toContain('valid: ');
    const x = await cli(['runs', 'verify', 'r1', 'r2', ...dd]);
    expect(x.code).toBe(2);
    expect(x.stderr).toContain("unexpected argument 'r2'");
  });

  test('colour follows the stream and NO_COLOR / FORCE_COLOR', async () => {
    const piped = await cli(['runs', 'list', '--bogus-flag'], { env: { NO_COLOR: '', FORCE_COLOR: '0' } });
    expect(piped.stderr).toContain('error:');
    expect(piped.stderr).not.toContain('\x1b[');
    const forced = await cli(['runs', 'list', '--bogus-flag'], { env: { NO_COLOR: '', FORCE_COLOR: '1' } });
    expect(forced.stderr).toContain('\x1b[31merror:');
    const citty = await cli(['runs', 'list', '--status', 'bogus', ...dd], { env: { NO_COLOR: '', FORCE_COLOR: '0' } });
    expect(citty.stderr).toContain('Expected one of');
    expect(citty.stderr).not.toContain('\x1b[');
  });

  test('no subcommand', async () => {
    const r = await cli(['runs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No command specified');
  });

  test('missing positional, bad enum, bad number', async () => {
    expect((await cli(['runs', 'show', ...dd])).code).toBe(2);
    const bad = await cli(['runs', 'list', '--status', 'bogus', ...dd]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Expected one of');
    const lim = await cli(['runs', 'list', '--limit', 'lots', ...dd]);
    expect(lim.code).toBe(2);
    expect(lim.stderr).toContain('--limit must be an integer');
    expect((await cli(['serve', '--port', '70000', ...dd])).code).toBe(2);
  });

  test('invalid environment configuration names the variable', async () => {
    const r = await cli(['runs', 'list', ...dd], { env: { ABSTRACTGATEWAY_PORT: 'abc' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ABSTRACTGATEWAY_PORT="abc" is invalid');
  });

  test('bad JSON flags', async () => {
    const r = await cli(['runs', 'start', 'hello', '--input-json', '{nope', ...dd]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--input-json is not valid JSON');
    const e = await cli(['commands', 'emit', 'ping', ...dd]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('--session is required');
  });
});

describe('runtime failures exit 1 with what to do next', () => {
  test('no database yet', async () => {
    const r = await cli(['runs', 'list', ...dd]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('No gateway database');
    expect(r.stderr).toContain('hint: Check --data-dir');
  });
});
