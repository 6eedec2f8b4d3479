// `doctor`: checks an installation and says what to fix. Exit 1 when something is broken (warnings are fine).
// The database check names the backend and where it is: SQLite is opened read-only (never created or migrated
// here); PostgreSQL is opened through the store (ABSTRACTGATEWAY_DATABASE_URL), which applies pending migrations.
import { Database } from 'bun:sqlite';
import { defineCommand } from 'citty';
import { accessSync, constants, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GatewayConfig } from '../config.ts';
import { EXIT, c, configFrom, dataDirArgs, errMessage, flowsDirArgs, intArg, jsonArgs, printJson } from './common.ts';

export interface Check { name: string; status: 'ok' | 'warn' | 'fail'; detail: string; fix?: string }

const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
const warn = (name: string, detail: string, fix?: string): Check => ({ name, status: 'warn', detail, fix });
const fail = (name: string, detail: string, fix?: string): Check => ({ name, status: 'fail', detail, fix });

function checkDataDir(config: GatewayConfig): Check {
  const dir = config.dataDir;
  if (!existsSync(dir)) {
    let parent = dirname(dir);
    while (!existsSync(parent) && parent !== dirname(parent)) parent = dirname(parent);
    try {
      accessSync(parent, constants.W_OK);
      return warn('data dir', `${dir} does not exist yet`, '`abstractgateway serve` creates it on first start.');
    } catch {
      return fail('data dir', `${dir} does not exist and ${parent} is not writable`, 'Create it with the right owner, or choose another --data-dir.');
    }
  }
  const probe = join(dir, `.doctor-${process.pid}.tmp`);
  try {
    writeFileSync(probe, 'ok');
    rmSync(probe);
    const python = readdirSync(dir).some((n) => /^(run_.+\.json|ledger_.+\.jsonl|commands\.jsonl)$/.test(n));
    if (python) return warn('data dir', `${dir} holds Python gateway files (run_*.json, ...)`, `Import them: abstractgateway migrate --from ${dir} --data-dir <new dir>`);
    return ok('data dir', `${dir} is writable`);
  } catch (e) {
    return fail('data dir', `${dir} is not writable: ${errMessage(e)}`, `Fix its permissions (the gateway runs as uid ${process.getuid?.() ?? '?'}).`);
  }
}

async function checkDatabase(config: GatewayConfig): Promise<Check[]> {
  if (config.storeBackend === 'postgres') return checkPostgres(config);
  if (!existsSync(config.dbPath)) return [warn('database', `${config.dbPath} does not exist yet`, 'It is created on first `abstractgateway serve`.')];
  const { SCHEMA_VERSION } = await import('../store/schema.ts');
  let db: Database | null = null;
  try {
    db = new Database(config.dbPath, { readonly: true });
    db.exec('PRAGMA busy_timeout = 5000');
    const res = (db.query('PRAGMA integrity_check').all() as { integrity_check: string }[]).map((r) => r.integrity_check);
    const version = (db.query('PRAGMA user_version').get() as { user_version: number }).user_version;
    const out: Check[] = [];
    if (res.length === 1 && res[0] === 'ok') out.push(ok('database', `sqlite ${config.dbPath}: integrity ok, schema v${version}`));
    else out.push(fail('database', `${config.dbPath}: integrity_check reported ${res.slice(0, 3).join('; ')}`, 'Stop the gateway and restore the latest `abstractgateway backup` file.'));
    if (version > SCHEMA_VERSION) out.push(fail('database', `schema v${version} is newer than this binary supports (v${SCHEMA_VERSION})`, 'Upgrade abstractgateway.'));
    const lease = db.query('SELECT host, pid, expires_at FROM runner_lease WHERE id = 1').get() as { host: string; pid: number; expires_at: number } | null;
    out.push(lease && lease.expires_at > Date.now()
      ? ok('runner', `active: ${lease.host} pid ${lease.pid}`)
      : warn('runner', 'no runner is active for this data dir', 'Runs advance only while `serve` (with its runner) or `runner` is running.'));
    return out;
  } catch (e) {
    return [fail('database', `${config.dbPath} cannot be read: ${errMessage(e)}`, 'Check file permissions, or restore from a backup.')];
  } finally {
    db?.close();
  }
}

/** PostgreSQL: reachable, schema applied, something stored; runners there claim runs per tick (no single lease). */
async function checkPostgres(config: GatewayConfig): Promise<Check[]> {
  const { openStore } = await import('./common.ts');
  const { redactUrl } = await import('../store/postgres/index.ts');
  const where = config.databaseUrl ? redactUrl(config.databaseUrl) : '(no ABSTRACTGATEWAY_DATABASE_URL)';
  let store;
  try {
    store = await openStore(config);
  } catch (e) {
    return [fail('database', `postgres ${where} cannot be opened: ${errMessage(e)}`,
      config.databaseUrl ? 'Check that the server runs and the URL (user, host, port, database) is right; `psql "<url>"` should connect.' : 'Set ABSTRACTGATEWAY_DATABASE_URL=postgres://user@host:5432/db.')];
  }
  try {
    const [version, runs] = await Promise.all([store.schemaVersion(), store.runs.count()]);
    return [
      ok('database', `${store.backend} ${store.location}: reachable, schema v${version}, ${runs} run(s)`),
      ok('runner', 'several runners may share this database (each claims runs per tick): not checked here'),
    ];
  } catch (e) {
    return [fail('database', `postgres ${store.location} cannot be read: ${errMessage(e)}`, 'Check the role\'s privileges on the gateway tables.')];
  } finally {
    await store.close().catch(() => {});
  }
}

async function checkFlows(config: GatewayConfig): Promise<Check[]> {
  if (!existsSync(config.flowsDir)) {
    return [warn('flows', `${config.flowsDir} does not exist`, config.flowsDir === join(config.dataDir, 'flows') ? 'It is created with example bundles on first `serve`.' : 'Create it or fix ABSTRACTGATEWAY_FLOWS_DIR / --flows-dir.')];
  }
  const { BundleRegistry } = await import('../flow/bundle/registry.ts');
  const res = new BundleRegistry({ flowsDir: config.flowsDir, dataDir: config.dataDir, source: config.workflowSource }).reload();
  const out: Check[] = res.errors.map((e) => fail('flows', `${e.file}: ${e.reason}`, `Check it with \`abstractgateway bundles validate ${join(config.flowsDir, e.file)}\`, then fix or remove it.`));
  if (!res.count) out.push(warn('flows', `no bundles in ${config.flowsDir}`, 'Install one with `abstractgateway bundles install <file.flow>`.'));
  else out.push(ok('flows', `${res.count} bundle(s) load: ${res.bundle_ids.join(', ')}`));
  return out;
}

async function checkToken(config: GatewayConfig): Promise<Check> {
  const { isWeakToken } = await import('../auth/tokens.ts');
  const env = (process.env.ABSTRACTGATEWAY_AUTH_TOKEN || process.env.ABSTRACTGATEWAY_AUTH_TOKENS || '').split(',').map((t) => t.trim()).filter(Boolean);
  if (env.length) {
    return env.some(isWeakToken)
      ? warn('token', 'ABSTRACTGATEWAY_AUTH_TOKEN(S) contains a weak token (< 15 chars or a placeholder)', 'Use a random 32+ character token; `serve` refuses weak tokens on non-loopback hosts.')
      : ok('token', 'from ABSTRACTGATEWAY_AUTH_TOKEN(S)');
  }
  const file = join(config.dataDir, 'gateway_token');
  if (!existsSync(file)) return warn('token', 'no token configured yet', 'Run `abstractgateway token` (serve also creates one on first start).');
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077) return fail('token', `${file} has mode ${mode.toString(8).padStart(4, '0')}: other users can read the token`, `chmod 600 ${file}`);
  return ok('token', `${file} (mode 0600)`);
}

/**
 * The LLM side: every provider the gateway would use (configured, local defaults, the default provider) is asked
 * for its models, as discovery does. The default provider unreachable, or its default model missing, is a
 * failure; other providers unreachable are warnings (LLM nodes naming them would fail).
 */
async function checkLlm(): Promise<Check[]> {
  const { loadLlmConfig, PROVIDER_ENV } = await import('../llm/config.ts');
  const { createLlmDiscovery } = await import('../llm/discovery.ts');
  const { unreachableHint } = await import('../llm/llm-call.ts');
  let config;
  try {
    config = loadLlmConfig(process.env);
  } catch (e) {
    return [fail('llm', errMessage(e), 'Fix that variable (see docs/operations.md).')];
  }
  const discovery = createLlmDiscovery(config);
  const names = Object.values(config.providers).filter((p) => p.configured || p.name === config.defaultProvider).map((p) => p.name).sort();
  const out: Check[] = [];
  if (!config.defaultProvider || !config.defaultModel) {
    out.push(warn('llm', 'no default provider/model (ABSTRACTGATEWAY_PROVIDER / ABSTRACTGATEWAY_MODEL unset)', 'LLM nodes must name their provider and model, or set both variables.'));
  }
  const results = await Promise.all(names.map(async (name) => ({ name, ep: config.providers[name]!, m: await discovery.listModels(name) })));
  for (const { name, ep, m } of results) {
    const isDefault = name === config.defaultProvider;
    const label = `${name}${isDefault ? ' (default)' : ''} at ${ep.baseUrl}`;
    if (m.error) {
      const unreachable = /request failed|timed out/.test(m.error);
      const fix = unreachable ? unreachableHint(name, ep.baseUrl).replace(/^.*?: /, '') : `Check ${[PROVIDER_ENV[name]?.url, PROVIDER_ENV[name]?.key].filter(Boolean).join(' / ')}.`;
      out.push((isDefault ? fail : warn)('llm', `${label}: ${unreachable ? 'not reachable' : 'error'}: ${m.error}`, fix.charAt(0).toUpperCase() + fix.slice(1)));
    } else if (!m.models.length) {
      out.push(warn('llm', `${label}: reachable, but it lists no models`, 'Load or pull a model on that server.'));
    } else if (isDefault && config.defaultModel && !m.models.includes(config.defaultModel)) {
      out.push(fail('llm', `${label}: model '${config.defaultModel}' is not among its ${m.models.length} models (${m.models.slice(0, 5).join(', ')}${m.models.length > 5 ? ', …' : ''})`, 'Set ABSTRACTGATEWAY_MODEL to one it lists, or load that model.'));
    } else {
      out.push(ok('llm', `${label}: reachable, ${m.models.length} model(s)${isDefault && config.defaultModel ? `, default model ${config.defaultModel} listed` : ''}`));
    }
  }
  return out;
}

async function checkPort(config: GatewayConfig): Promise<Check> {
  if (config.port === 0) return ok('port', 'port 0: any free port is used');
  const where = `${config.host}:${config.port}`;
  try {
    const server = Bun.listen({ hostname: config.host, port: config.port, socket: { data() {} } });
    server.stop(true);
    return ok('port', `${where} is free`);
  } catch (e) {
    const healthy = await fetch(`http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}/api/health`, { signal: AbortSignal.timeout(1000) })
      .then((r) => r.ok).catch(() => false);
    if (healthy) return warn('port', `${where} is in use by a running gateway`, 'Fine if that is this installation; otherwise pick another --port.');
    return fail('port', `${where} is not available: ${errMessage(e)}`, 'Stop whatever uses it, or choose another --port / ABSTRACTGATEWAY_PORT.');
  }
}

export default defineCommand({
  meta: { name: 'doctor', description: 'Check the data dir, database, bundles, token, port and LLM providers, and say what to fix' },
  args: {
    host: { type: 'string', valueHint: 'host', description: 'Host to check (default: as serve would use)' },
    port: { type: 'string', valueHint: 'port', description: 'Port to check (default: as serve would use)' },
    ...dataDirArgs,
    ...flowsDirArgs,
    ...jsonArgs,
  },
  async run({ args }) {
    const config = configFrom(args, { host: args.host?.trim() || undefined, port: intArg('port', args.port, 0, 65535) });
    const checks: Check[] = [
      checkDataDir(config),
      ...(await checkDatabase(config)),
      ...(await checkFlows(config)),
      await checkToken(config),
      await checkPort(config),
      ...(await checkLlm()),
    ];
    const healthy = !checks.some((x) => x.status === 'fail');
    if (args.json) printJson({ ok: healthy, data_dir: config.dataDir, backend: config.storeBackend, checks });
    else {
      const mark = { ok: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('FAIL') };
      const lines = checks.flatMap((x) => [`${mark[x.status]}  ${x.name.padEnd(9)} ${x.detail}`, ...(x.fix && x.status !== 'ok' ? [`      ${' '.repeat(9)} ${c.dim('-> ' + x.fix)}`] : [])]);
      lines.push('', healthy ? c.green('No problems found.') : c.red(`${checks.filter((x) => x.status === 'fail').length} problem(s) to fix.`));
      process.stdout.write(lines.join('\n') + '\n');
    }
    if (!healthy) process.exitCode = EXIT.FAIL;
  },
});
