// Built-in tool catalogue (AbstractCore names and flat parameter maps) and in-process execution.
import type { ToolLimits } from '../config.ts';
import type { ToolCall, ToolSpec } from '../types.ts';
import { editFile, listFiles, readFile, searchFiles, skimFiles, skimFolders, writeFile } from './files.ts';
import { executeCommand, fetchUrl } from './system.ts';
import { ToolError, workspaceFor, type Workspace } from './workspace.ts';

export interface BuiltinToolSpec extends ToolSpec {
  toolset: 'files' | 'web' | 'system' | 'agent' | 'telegram';
}

/** A tool implemented outside this module (e.g. by the Telegram bridge), handed in through ToolRunContext.external. */
export type ExternalTool = (args: Record<string, unknown>, ctx: ToolRunContext) => Promise<unknown>;

const p = (type: string, description: string, dflt?: unknown) => ({ type, description, ...(dflt !== undefined ? { default: dflt } : {}) });

export const BUILTIN_TOOLS: readonly BuiltinToolSpec[] = [
  { name: 'list_files', toolset: 'files', description: 'List files in a workspace directory, optionally recursively, filtered by a glob pattern.',
    parameters: { directory_path: p('string', 'Directory relative to the workspace root', '.'), pattern: p('string', 'Glob pattern such as *.py', '*'),
      recursive: p('boolean', 'Descend into subdirectories', false), include_hidden: p('boolean', 'Include dotfiles', false), head_limit: p('integer', 'Maximum entries returned', 50) } },
  { name: 'skim_folders', toolset: 'files', description: 'Show a compact tree of folders with their file counts and first file names.',
    parameters: { paths: p('array', 'Folders to skim (default: the workspace root)', ['.']), max_depth: p('integer', 'How many folder levels to show', 2),
      include_hidden: p('boolean', 'Include dot-folders', false) } },
  { name: 'search_files', toolset: 'files', description: 'Search file contents with a regular expression; returns file:line: text matches.',
    parameters: { pattern: p('string', 'Regular expression to search for'), path: p('string', 'File or directory to search', '.'),
      file_pattern: p('string', 'Glob on file names, e.g. *.ts', '*'), case_sensitive: p('boolean', 'Match case', false),
      output_mode: p('string', "'content' (matching lines) or 'files_with_matches'", 'content'), head_limit: p('integer', 'Maximum matches', 20) } },
  { name: 'read_file', toolset: 'files', description: 'Read a text file, entirely or a 1-indexed inclusive line range.',
    parameters: { file_path: p('string', 'File path relative to the workspace root'), should_read_entire_file: p('boolean', 'Read the whole file', true),
      start_line_one_indexed: p('integer', 'First line to read', 1), end_line_one_indexed_inclusive: p('integer', 'Last line to read', null) } },
  { name: 'skim_files', toolset: 'files', description: 'Show the first lines of one or more files (quick overview before reading).',
    parameters: { paths: p('array', 'Files relative to the workspace root'), head_lines: p('integer', 'Lines shown per file', 20) } },
  { name: 'write_file', toolset: 'files', description: 'Write (or append to) a text file, creating parent folders.',
    parameters: { file_path: p('string', 'File path relative to the workspace root'), content: p('string', 'Text to write', ''),
      mode: p('string', "'w' to overwrite, 'a' to append", 'w'), create_dirs: p('boolean', 'Create missing parent folders', true) } },
  { name: 'edit_file', toolset: 'files', description: 'Replace text in a file (literal by default, or a regular expression).',
    parameters: { file_path: p('string', 'File to edit'), pattern: p('string', 'Text (or regex) to find'), replacement: p('string', 'Replacement text'),
      use_regex: p('boolean', 'Treat pattern as a regular expression', false), max_replacements: p('integer', 'Maximum replacements (-1 = all)', -1),
      preview_only: p('boolean', 'Report what would change without writing', false) } },
  { name: 'execute_command', toolset: 'system', description: 'Run a shell command in the workspace; returns exit code, stdout and stderr (time-limited, output capped).',
    parameters: { command: p('string', 'Shell command line'), working_directory: p('string', 'Directory relative to the workspace root', '.'),
      timeout: p('integer', 'Timeout in seconds', 60) } },
  { name: 'fetch_url', toolset: 'web', description: 'Fetch a URL over HTTP(S) and return status, content type and (capped) text content.',
    parameters: { url: p('string', 'http(s) URL'), method: p('string', 'GET, HEAD or POST', 'GET'), headers: p('object', 'Request headers', {}),
      data: p('string', 'Request body for POST', null), timeout: p('integer', 'Timeout in seconds', 30) } },
  { name: 'ask_user', toolset: 'agent', description: 'Ask the user a question and wait for the answer.',
    parameters: { question: p('string', 'The question to ask'), choices: p('array', 'Optional answer choices', null) } },
  { name: 'remember', toolset: 'agent', description: 'Store a note in the agent run memory for later recall.',
    parameters: { content: p('string', 'What to remember'), tags: p('array', 'Optional tags', []) } },
  { name: 'recall_memory', toolset: 'agent', description: 'Recall notes stored with remember (keyword match; all notes when no query).',
    parameters: { query: p('string', 'Keywords to look for', ''), limit: p('integer', 'Maximum notes returned', 10) } },
  // Implemented by the Telegram bridge (src/telegram/tools.ts) when ABSTRACT_TELEGRAM_BRIDGE=1.
  { name: 'send_telegram_message', toolset: 'telegram', description: 'Send a text message to a Telegram chat through the gateway\'s bot.',
    parameters: { chat_id: p('string', 'Target chat id (telegram.chat_id of the inbound message)'), text: p('string', 'Message text') } },
  { name: 'send_telegram_artifact', toolset: 'telegram', description: 'Send a stored artifact (image, voice note or any file) to a Telegram chat.',
    parameters: { chat_id: p('string', 'Target chat id'), artifact_id: p('string', 'Id of an artifact stored on this gateway'),
      caption: p('string', 'Optional caption', null) } },
];

/** Tools the agent workflow implements itself (durable user wait, run-scoped memory). */
export const AGENT_BUILTINS: ReadonlySet<string> = new Set(['ask_user', 'remember', 'recall_memory']);

const BY_NAME = new Map(BUILTIN_TOOLS.map((t) => [t.name, t]));

export const findTool = (name: string): BuiltinToolSpec | undefined => BY_NAME.get(name);

/** Tool specs as LLM payloads carry them: exactly `{name, description, parameters}`. */
export const toolSpecFor = (t: ToolSpec): ToolSpec => ({ name: t.name, description: t.description, parameters: t.parameters });

export interface ToolResult {
  call_id: string;
  runtime_call_id?: string;
  name: string;
  success: boolean;
  output: unknown;
  error: string | null;
}

export interface ToolRunContext {
  /** run vars: `workspace_root` confines file and command tools */
  vars: Record<string, any>;
  limits: ToolLimits;
  signal: AbortSignal;
  /** tools implemented by an optional component (keyed by name) */
  external?: ReadonlyMap<string, ExternalTool>;
  /** the runtime's id of the call being executed (stable when a step is retried after a crash) */
  callId?: string;
}

async function run(name: string, args: Record<string, unknown>, ctx: ToolRunContext): Promise<unknown> {
  const ws = (): Workspace => workspaceFor(ctx.vars);
  const max = ctx.limits.maxOutputChars;
  const external = ctx.external?.get(name);
  if (external) return external(args, ctx);
  if (findTool(name)?.toolset === 'telegram') {
    throw new ToolError(`Tool '${name}' needs the Telegram bridge: set ABSTRACT_TELEGRAM_BRIDGE=1 and ABSTRACT_TELEGRAM_BOT_TOKEN (docs/telegram.md)`);
  }
  switch (name) {
    case 'list_files': return listFiles(ws(), args);
    case 'skim_folders': return skimFolders(ws(), args);
    case 'search_files': return searchFiles(ws(), args, max);
    case 'read_file': return readFile(ws(), args, max);
    case 'skim_files': return skimFiles(ws(), args, max);
    case 'write_file': return writeFile(ws(), args);
    case 'edit_file': return editFile(ws(), args);
    case 'execute_command': return executeCommand(ws(), args, ctx.limits, ctx.signal);
    case 'fetch_url': return fetchUrl(args, ctx.limits, ctx.signal);
  }
  if (AGENT_BUILTINS.has(name)) throw new ToolError(`Tool '${name}' is only available inside an agent`);
  throw new ToolError(`Unknown tool '${name}' (available: ${BUILTIN_TOOLS.filter((t) => !AGENT_BUILTINS.has(t.name)).map((t) => t.name).join(', ')})`);
}

/** Execute one call in-process; never throws (failures become `success:false` results). */
export async function executeToolCall(call: ToolCall & { runtime_call_id?: string }, ctx: ToolRunContext): Promise<ToolResult> {
  const base = { call_id: call.call_id, ...(call.runtime_call_id ? { runtime_call_id: call.runtime_call_id } : {}), name: call.name };
  try {
    const output = await run(call.name, call.arguments ?? {}, call.runtime_call_id ? { ...ctx, callId: call.runtime_call_id } : ctx);
    const failed = typeof output === 'object' && output !== null && 'error' in output;
    return { ...base, success: !failed, output, error: failed ? String((output as { error: unknown }).error) : null };
  } catch (e) {
    const message = e instanceof ToolError ? e.message : `Tool '${call.name}' failed: ${e instanceof Error ? e.message : String(e)}`;
    return { ...base, success: false, output: null, error: message };
  }
}
