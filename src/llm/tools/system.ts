// execute_command and fetch_url. Commands run in the workspace (cwd confined; the shell itself is not a
// sandbox), in their own process group so a timeout kills the whole tree, with capped output.
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

export async function executeCommand(ws: Workspace, args: Args, limits: ToolLimits, signal: AbortSignal): Promise<Record<string, unknown>> {
  const command = str(args, 'command');
  if (!command.trim()) throw new ToolError("Argument 'command' is empty");
  const cwd = ws.resolve(str(args, 'working_directory', '.'), 'working_directory');
  const requestedS = int(args, 'timeout', limits.commandTimeoutMs / 1000);
  const timeoutMs = Math.min(Math.max(1, requestedS) * 1000, limits.commandMaxTimeoutMs);
  const proc = Bun.spawn(['sh', '-c', command], {
    cwd, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', detached: true,
    env: { ...process.env, PWD: cwd },
  });
  let timedOut = false;
  const killTree = () => {
    try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
  };
  const timer = setTimeout(() => { timedOut = true; killTree(); }, timeoutMs);
  signal.addEventListener('abort', killTree, { once: true });
  try {
    const [out, err, exitCode] = await Promise.all([
      readCapped(proc.stdout, limits.maxOutputChars), readCapped(proc.stderr, limits.maxOutputChars), proc.exited,
    ]);
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
