// `bundles list|show|validate|install|remove`: the flows directory through the same BundleRegistry the server
// uses, so what the CLI accepts is exactly what the gateway will load.
import { defineCommand } from 'citty';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { GatewayConfig } from '../config.ts';
import { CliFailure, EXIT, UsageError, c, ce, configFrom, dataDirArgs, errMessage, flowsDirArgs, jsonArgs, printJson, table } from './common.ts';

const common = { ...dataDirArgs, ...flowsDirArgs, ...jsonArgs } as const;
const RELOAD_HINT = 'A running gateway sees it after `POST /api/gateway/bundles/reload` or a restart; a separate runner reloads on its own.';

async function registry(config: GatewayConfig, opts: { quiet?: boolean } = {}) {
  const { BundleRegistry } = await import('../flow/bundle/registry.ts');
  const reg = new BundleRegistry({ flowsDir: config.flowsDir, dataDir: config.dataDir, source: config.workflowSource });
  const res = reg.reload();
  if (!opts.quiet) for (const e of res.errors) process.stderr.write(`${ce.yellow('warning:')} skipped ${e.file}: ${e.reason}\n`);
  return { reg, res };
}

const list = defineCommand({
  meta: { name: 'list', description: 'List installed bundles (latest version of each unless --all-versions)' },
  args: {
    ...common,
    'all-versions': { type: 'boolean', description: 'Every installed version' },
    'include-deprecated': { type: 'boolean', description: 'Also show deprecated entrypoints' },
  },
  async run({ args }) {
    const config = configFrom(args);
    const { reg, res } = await registry(config, { quiet: !!args.json });
    const out = reg.list({ allVersions: !!args['all-versions'], includeDeprecated: !!args['include-deprecated'] });
    if (args.json) return printJson({ flows_dir: config.flowsDir, ...out, errors: res.errors });
    if (!out.items.length) {
      process.stdout.write(`No bundles in ${config.flowsDir}.\nInstall one with: abstractgateway bundles install <file.flow>\n`);
      return;
    }
    const rows = out.items.flatMap((b) =>
      b.entrypoints.map((ep) => [b.bundle_ref, ep.flow_id, ep.name + (ep.deprecated ? c.yellow(' (deprecated)') : ''), ep.description.slice(0, 60)]),
    );
    process.stdout.write(table(['BUNDLE', 'ENTRYPOINT', 'NAME', 'DESCRIPTION'], rows) + '\n');
  },
});

const show = defineCommand({
  meta: { name: 'show', description: 'Show one bundle: entrypoints, their inputs and flows' },
  args: { ref: { type: 'positional', description: 'bundle_id or bundle_id@version', required: true }, ...common },
  async run({ args }) {
    const { reg } = await registry(configFrom(args), { quiet: !!args.json });
    const d = reg.get(args.ref);
    if (args.json) return printJson(d);
    const lines = [`${c.bold(d.bundle_ref)}  created ${d.created_at || '-'}`, `flows: ${d.flows.join(', ')}`];
    for (const ep of d.entrypoints) {
      lines.push('', `${c.cyan(ep.flow_id)}  ${ep.name}${ep.deprecated ? c.yellow(' (deprecated)') : ''}${ep.flow_id === d.default_entrypoint ? c.dim(' (default)') : ''}`);
      if (ep.description) lines.push(`  ${ep.description}`);
      lines.push(`  workflow_id: ${ep.workflow_id}`);
      for (const i of ep.inputs) lines.push(`  input ${i.id} (${i.type})${i.default !== undefined ? ` default ${JSON.stringify(i.default)}` : ''}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
  },
});

interface Validation {
  ok: boolean;
  file: string;
  bundle_ref: string | null;
  errors: string[];
  flows: import('../flow/bundle/validate.ts').FlowCheck[];
}

/** The gateway's own validation (src/flow/bundle/validate.ts) of a file: archive, manifest, every flow compiling. */
export async function validateBundle(file: string): Promise<Validation> {
  const { bundleFromPath } = await import('../flow/bundle/bundle.ts');
  const { checkBundle } = await import('../flow/bundle/validate.ts');
  const out: Validation = { ok: true, file, bundle_ref: null, errors: [], flows: [] };
  let bundle;
  try {
    bundle = bundleFromPath(file);
  } catch (e) {
    return { ...out, ok: false, errors: [errMessage(e)] };
  }
  const check = checkBundle(bundle);
  return { ...out, ok: check.ok, bundle_ref: check.bundle_ref, flows: check.flows };
}

const validate = defineCommand({
  meta: { name: 'validate', description: 'Check a .flow file (or unpacked bundle dir) exactly as the gateway would; exit 1 with reasons when invalid' },
  args: { file: { type: 'positional', description: 'Path to a .flow file or bundle directory', required: true }, ...jsonArgs },
  async run({ args }) {
    const file = resolve(args.file);
    if (!existsSync(file)) throw new UsageError(`${args.file} does not exist`);
    const v = await validateBundle(file);
    if (args.json) printJson(v);
    else {
      const lines = [v.ok ? `${c.green('valid')} ${v.bundle_ref} (${args.file})` : `${c.red('invalid')} ${args.file}`];
      for (const e of v.errors) lines.push(`  ${c.red('x')} ${e}`);
      for (const f of v.flows) {
        lines.push(f.warning ? `  ${c.yellow('!')} flow ${f.flow_id} loads but cannot run here: ${f.warning}`
          : f.ok ? `  ${c.green('ok')} flow ${f.flow_id}: ${f.nodes} nodes, entry ${f.entry}` : `  ${c.red('x')} flow ${f.flow_id}: ${f.error}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    }
    if (!v.ok) process.exitCode = EXIT.FAIL;
  },
});

const install = defineCommand({
  meta: { name: 'install', description: 'Validate and install a .flow file into the flows directory as <bundle_id>@<version>.flow' },
  args: {
    file: { type: 'positional', description: 'Path to the .flow file', required: true },
    overwrite: { type: 'boolean', description: 'Replace an installed bundle with the same id and version' },
    ...common,
  },
  async run({ args }) {
    const file = resolve(args.file);
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`${args.file} is not a file`);
    const v = await validateBundle(file);
    if (!v.ok) {
      const reasons = [...v.errors, ...v.flows.filter((f) => !f.ok).map((f) => `flow ${f.flow_id}: ${f.error}`)];
      throw new CliFailure(`Not installed: ${reasons.join('; ')}`, `Run \`abstractgateway bundles validate ${args.file}\` for details.`);
    }
    const config = configFrom(args);
    const { reg } = await registry(config, { quiet: true });
    let info;
    try {
      info = reg.install(new Uint8Array(readFileSync(file)), { overwrite: !!args.overwrite });
    } catch (e) {
      const msg = errMessage(e);
      throw new CliFailure(msg, /already installed/.test(msg) ? 'Pass --overwrite to replace it, or bump bundle_version in manifest.json.' : undefined);
    }
    if (args.json) return printJson({ ok: true, flows_dir: config.flowsDir, ...info });
    process.stdout.write(`Installed ${c.bold(info.bundle_ref)} into ${config.flowsDir}\n${c.dim(RELOAD_HINT)}\n`);
  },
});

const remove = defineCommand({
  meta: { name: 'remove', description: 'Delete a bundle (every version, or just bundle_id@version) from the flows directory' },
  args: { ref: { type: 'positional', description: 'bundle_id or bundle_id@version', required: true }, ...common },
  async run({ args }) {
    const config = configFrom(args);
    const { reg } = await registry(config, { quiet: true });
    const removed = reg.remove(args.ref);
    if (args.json) return printJson({ ok: true, removed });
    process.stdout.write(`Removed ${removed} file(s) for ${args.ref}\n${c.dim('Existing runs of it keep their ledger; new starts will fail.')}\n`);
  },
});

const pack = defineCommand({
  meta: { name: 'pack', description: 'Pack a directory of VisualFlow *.json into a .flow bundle: the entry flow plus every flow it references' },
  args: {
    dir: { type: 'positional', description: 'Directory of VisualFlow JSON documents', required: true },
    entry: { type: 'string', valueHint: 'flow_id', description: 'Entry flow (its document "id"); the bundle\'s only entrypoint', required: true },
    out: { type: 'string', valueHint: 'file.flow', description: 'Output file (default: <bundle_id>@<version>.flow in the current directory)' },
    'bundle-id': { type: 'string', valueHint: 'id', description: 'bundle_id (default: the directory name)' },
    'bundle-version': { type: 'string', valueHint: 'version', description: 'bundle_version (default 0.0.0)' },
    ...jsonArgs,
  },
  async run({ args }) {
    const dir = resolve(args.dir);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${args.dir} is not a directory`);
    const { packDirectory } = await import('../flow/visualflow/pack.ts');
    const { directoryBundleId } = await import('../flow/visualflow/directory.ts');
    const { sanitizeBundleId, sanitizeBundleVersion } = await import('../flow/bundle/refs.ts');
    const bundleId = args['bundle-id']?.trim() || directoryBundleId(dir);
    const version = args['bundle-version']?.trim() || '0.0.0';
    if (sanitizeBundleId(bundleId) !== bundleId) throw new UsageError(`--bundle-id '${bundleId}' may only use letters, digits, "_" and "-"`);
    if (sanitizeBundleVersion(version) !== version) throw new UsageError(`--bundle-version '${version}' may only use letters, digits, "_", "-" and "."`);
    let packed;
    try {
      packed = packDirectory(dir, { entry: args.entry.trim(), bundleId, bundleVersion: version });
    } catch (e) {
      const msg = errMessage(e);
      throw new CliFailure(`Not packed: ${msg}`, /missing flows/.test(msg) ? `Add the missing flow documents to ${args.dir}, or remove the subflow nodes that name them.` : undefined);
    }
    const out = resolve(args.out?.trim() || `${bundleId}@${version}.flow`);
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, packed.bytes);
    renameSync(tmp, out);
    const v = await validateBundle(out);
    if (!v.ok) throw new CliFailure(`Packed ${out} but it does not validate: ${[...v.errors, ...v.flows.filter((f) => !f.ok).map((f) => `flow ${f.flow_id}: ${f.error}`)].join('; ')}`);
    const flows = Object.keys(packed.manifest.flows);
    if (args.json) return printJson({ ok: true, file: out, bundle_ref: `${bundleId}@${version}`, entry: args.entry, flows, skipped: packed.skipped });
    for (const s of packed.skipped) process.stderr.write(`${c.yellow('warning:')} skipped ${s.file}: ${s.reason}\n`);
    process.stdout.write(`Packed ${c.bold(`${bundleId}@${version}`)} (${flows.length} flow(s): ${flows.join(', ')}) into ${out}\n`);
  },
});

export default defineCommand({
  meta: { name: 'bundles', description: 'List, inspect, validate, install, remove and pack workflow bundles (.flow)' },
  subCommands: { list, show, validate, install, remove, pack },
});
