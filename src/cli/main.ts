// Runs the citty command tree with exit codes that mean something (citty's own runMain exits 1 for
// everything): 0 ok, 1 runtime failure, 2 usage/config error. Every error names the next step.
import { renderUsage, runCommand, type CommandDef } from 'citty';
import { ConfigError } from '../config.ts';
import { DomainError } from '../model/index.ts';
import { CliFailure, EXIT, UsageError, ce, stripAnsi, useColor, useErrColor } from './common.ts';
import { checkArgv } from './strict.ts';

type AnyCommand = CommandDef<any>;
const resolve = async <T>(v: T | Promise<T> | (() => T | Promise<T>)): Promise<T> =>
  typeof v === 'function' ? await (v as () => T | Promise<T>)() : await v;

/** The deepest subcommand named in argv, and the names leading to it (for `USAGE abstractgateway runs list`). */
async function resolveSub(cmd: AnyCommand, argv: string[], path: string[] = []): Promise<[AnyCommand, string[]]> {
  const subs = cmd.subCommands ? await resolve(cmd.subCommands) : undefined;
  if (subs) {
    const i = argv.findIndex((a) => !a.startsWith('-'));
    const name = i >= 0 ? argv[i]! : undefined;
    if (name && name in subs) return resolveSub(await resolve(subs[name]!), argv.slice(i + 1), [...path, (await resolve(cmd.meta))?.name ?? '']);
  }
  return [cmd, path];
}

async function usage(root: AnyCommand, argv: string[], color = useColor): Promise<string> {
  const [cmd, path] = await resolveSub(root, argv);
  const version = (await resolve(root.meta))?.version;
  // citty names only the direct parent; give it the whole chain as the "parent" name.
  const text = await renderUsage(cmd, path.length ? { meta: { name: path.join(' '), version } } : undefined);
  // citty colours even when piped; we only colour for a terminal (and never with NO_COLOR / CI).
  return color ? text : stripAnsi(text);
}

function fail(message: string, hint?: string): void {
  const text = useErrColor ? message : stripAnsi(message);
  process.stderr.write(`${ce.red('error:')} ${text}\n`);
  if (hint) process.stderr.write(`${ce.dim('hint:')} ${hint}\n`);
}

export async function runCli(root: AnyCommand, argv: string[] = process.argv.slice(2)): Promise<number> {
  try {
    if (argv.includes('--help') || argv.includes('-h')) {
      process.stdout.write((await usage(root, argv)) + '\n');
      return EXIT.OK;
    }
    if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
      const meta = await resolve(root.meta);
      process.stdout.write(`${meta?.version ?? 'unknown'}\n`);
      return EXIT.OK;
    }
    await checkArgv(root, argv); // unknown flags / commands / extra arguments: exit 2 before anything runs
    await runCommand(root, { rawArgs: argv });
    return Number(process.exitCode ?? EXIT.OK);
  } catch (err) {
    if (err instanceof Error && err.name === 'CLIError') {
      // citty's parse errors: unknown command, missing argument, bad enum value.
      process.stderr.write((await usage(root, argv, useErrColor)) + '\n\n');
      fail(err.message, 'See the usage above, or add --help to any command.');
      return EXIT.USAGE;
    }
    if (err instanceof UsageError) {
      fail(err.message, err.hint ?? 'Add --help to the command for its options.');
      return EXIT.USAGE;
    }
    if (err instanceof ConfigError) {
      fail(`configuration: ${err.message}`, 'Fix or unset that environment variable (see docs/operations.md).');
      return EXIT.USAGE;
    }
    if (err instanceof CliFailure) {
      fail(err.message, err.hint);
      return err.exitCode;
    }
    if (err instanceof DomainError) {
      fail(err.message, err.kind === 'not_found' ? 'Check the id (list them with `abstractgateway runs list` or `bundles list`).' : undefined);
      return EXIT.FAIL;
    }
    // Unexpected: the message is usually enough (e.g. "database schema version 3 is newer ... upgrade");
    // DEBUG=1 adds the stack for a bug report.
    const debug = !!process.env.DEBUG;
    fail(err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err),
      debug ? 'If this looks like a bug, please report it with the command you ran.' : 'Rerun with DEBUG=1 for details.');
    return EXIT.FAIL;
  }
}
