// execute_command and fetch_url. Commands run in the workspace (cwd confined; the shell itself is not a
// sandbox) with a scrubbed environment (PATH, HOME = the workspace, LANG — never the gateway's token or
// provider keys), in their own process group: timeout, cancel, pause and gateway shutdown (all of which
// abort `signal`) kill the whole group. Output is capped. Threat model: docs/reliability.md.
import { cap, int, str } from './args.ts';
import { ToolError, type Workspace } from './workspace.ts';
import type { ToolLimits } from '../config.ts';

type Args = Record<string, unknown>;

/** Read a stream fully but keep at most `max` characters (the rest is drained, not buffered). */
async function readCapped(stream: ReadableStream<Uint8Array>, max: number): Promise<{ text: string; dropped: number }> {
  const decoder = new TextDecoder();
  let text = '', dropped = 0;
  for await (const chunk of stream) {
    const s = decoder.decode(chunk, { stream: true });
    const room = max - text.length;
    if (room > 0) text += s.slice(0, room);
    dropped += Math.max(0, s.length - Math.max(room, 0));
  }
  return { text, dropped };
}

/** The whole environment a command sees: nothing of the gateway's own (no ABSTRACTGATEWAY_*, no API keys). */
export function commandEnv(home: string, cwd: string, parent: Record<string, string | undefined> = process.env): Record<string, string> {
  return {
    PATH: parent.PATH || '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: parent.LANG || 'C.UTF-8',
    PWD: cwd,
  };
}

/** Process groups of commands still running: killed if the gateway exits by any path (no orphans). */
const liveGroups = new Set<number>();
let exitHook = false;
function track(pid: number): void {
  liveGroups.add(pid);
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const g of liveGroups) { try { process.kill(-g, 'SIGKILL'); } catch { /* gone */ } }
  });
}

/** After the group is killed, pipes held open by an escaped descendant must not stall the tool call. */
const DRAIN_GRACE_MS = 1000;

export async function executeCommand(ws: Workspace, args: Args, limits: ToolLimits, signal: AbortSignal): Promise<Record<string, unknown>> {
  const command = str(args, 'command');
  if (!command.trim()) throw new ToolError("Argument 'command' is empty");
  const cwd = ws.resolve(str(args, 'working_directory', '.'), 'working_directory');
  const requestedS = int(args, 'timeout', limits.commandTimeoutMs / 1000);
  const timeoutMs = Math.min(Math.max(1, requestedS) * 1000, limits.commandMaxTimeoutMs);
  if (signal.aborted) throw new ToolError('Command cancelled');
  const proc = Bun.spawn(['sh', '-c', command], {
    cwd, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', detached: true,
    env: commandEnv(ws.root, cwd),
  });
  track(proc.pid);
  let timedOut = false;
  let killed = false;
  const killTree = () => {
    killed = true;
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  const timer = setTimeout(() => { timedOut = true; killTree(); }, timeoutMs);
  signal.addEventListener('abort', killTree, { once: true });
  try {
    const reading = Promise.all([readCapped(proc.stdout, limits.maxOutputChars), readCapped(proc.stderr, limits.maxOutputChars)]);
    const exitCode = await proc.exited;
    const drained = killed
      ? await Promise.race([reading, Bun.sleep(DRAIN_GRACE_MS).then(() => null)])
      : await reading;
    const [out, err] = drained ?? [{ text: '', dropped: 0 }, { text: '', dropped: 0 }];
    if (signal.aborted) throw new ToolError('Command cancelled');
    const note = (d: number) => (d ? `\n... [truncated ${d} characters]` : '');
    return {
      command, exit_code: timedOut ? null : exitCode, timed_out: timedOut,
      stdout: out.text + note(out.dropped), stderr: err.text + note(err.dropped),
      ...(timedOut ? { error: `Command timed out after ${timeoutMs / 1000}s and was killed` } : {}),
    };
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', killTree);
    liveGroups.delete(proc.pid);
  }
}

export async function fetchUrl(args: Args, limits: ToolLimits, signal: AbortSignal): Promise<Record<string, unknown>> {
  const url = str(args, 'url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ToolError(`Invalid URL '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ToolError('Only http(s) URLs can be fetched');
  const method = (str(args, 'method', 'GET') ?? 'GET').toUpperCase();
  if (!['GET', 'HEAD', 'POST'].includes(method)) throw new ToolError(`Unsupported method '${method}' (use GET, HEAD or POST)`);
  const timeoutMs = Math.min(Math.max(1, int(args, 'timeout', limits.fetchTimeoutMs / 1000)) * 1000, limits.fetchTimeoutMs);
  const headers = args.headers && typeof args.headers === 'object' ? (args.headers as Record<string, string>) : {};
  let res: Response;
  try {
    res = await fetch(parsed, {
      method, headers, body: method === 'POST' ? (str(args, 'data', '') ?? '') : undefined,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), redirect: 'follow',
    });
  } catch (e) {
    if (signal.aborted) throw new ToolError('Fetch cancelled');
    throw new ToolError(`Fetch failed: ${(e as Error).name === 'TimeoutError' ? `timed out after ${timeoutMs / 1000}s` : (e as Error).message}`);
  }
  const body = res.body ? await readCapped(res.body, limits.maxOutputChars) : { text: '', dropped: 0 };
  return {
    url: res.url || url, status: res.status, ok: res.ok, content_type: res.headers.get('content-type'),
    content: cap(body.text, limits.maxOutputChars) + (body.dropped ? `\n... [truncated ${body.dropped} characters]` : ''),
  };
}
