// `token`: print the gateway's stored bearer token (creating it on first use), or rotate it.
import { defineCommand } from 'citty';
import { UsageError, c, ce, configFrom, dataDirArgs, jsonArgs, printJson } from './common.ts';

export default defineCommand({
  meta: { name: 'token', description: 'Print the stored API token (<data-dir>/gateway_token, created if missing), or --rotate it' },
  args: {
    action: { type: 'positional', required: false, description: 'show (default) or rotate' },
    rotate: { type: 'boolean', description: 'Replace the token with a fresh one (restart the gateway to apply)' },
    ...dataDirArgs,
    ...jsonArgs,
  },
  async run({ args }) {
    const action = args.action ?? 'show';
    if (action !== 'show' && action !== 'rotate') throw new UsageError(`Unknown action ${JSON.stringify(action)}: use show or rotate`);
    const rotate = action === 'rotate' || !!args.rotate;
    const config = configFrom(args);
    const { ensureToken, rotateToken, fingerprintToken, curlExample } = await import('../auth/tokens.ts');
    const t = rotate ? rotateToken(config.dataDir) : ensureToken(config.dataDir);
    const envSet = !!(process.env.ABSTRACTGATEWAY_AUTH_TOKEN?.trim() || process.env.ABSTRACTGATEWAY_AUTH_TOKENS?.trim());
    if (envSet) process.stderr.write(`${ce.yellow('note:')} ABSTRACTGATEWAY_AUTH_TOKEN(S) is set: the server uses that instead of the stored token.\n`);
    if (args.json) return printJson({ token: t.token, path: t.path, created: t.created, rotated: rotate, fingerprint: fingerprintToken(t.token) });
    if (!process.stdout.isTTY) return void process.stdout.write(t.token + '\n'); // TOKEN=$(abstractgateway token)
    const lines = [t.token, c.dim(`stored in ${t.path} (mode 0600), fingerprint ${fingerprintToken(t.token)}`)];
    if (rotate) lines.push(c.yellow('Rotated: restart the gateway to apply it; clients with the old token will get 401.'));
    else if (t.created) lines.push('Created a new token.');
    lines.push(c.dim(`Try it: ${curlExample(t.token, `http://${config.host}:${config.port}`)}`));
    process.stdout.write(lines.join('\n') + '\n');
  },
});
