import { describe, expect, test } from 'bun:test';
import { checkBindSafety, securityWarnings } from '../../../src/http/security/startup.ts';
import { loadSecurityPolicy } from '../../../src/http/security/policy.ts';
import { tempDir } from './harness.ts';

const STRONG = 'agw_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

describe('checkBindSafety', () => {
  test('no token → refuse on every host, with a fix', () => {
    for (const host of ['127.0.0.1', '0.0.0.0']) {
      const r = checkBindSafety(host, []);
      expect(r.error).toStartWith('Missing gateway auth token.');
      expect(r.error).toContain('ABSTRACTGATEWAY_AUTH_TOKEN');
    }
    expect(checkBindSafety('0.0.0.0', [], { authRequired: false }).error).toBeNull();
  });

  test('weak token on a non-loopback host → refuse (wildcard and LAN addresses alike)', () => {
    for (const host of ['0.0.0.0', '::', '[::]', '192.168.1.20', 'example.org']) {
      const r = checkBindSafety(host, ['t']);
      expect(r.error).toStartWith('Refusing to start: weak auth token detected while binding to a non-loopback host');
      expect(r.error).toContain('127.0.0.1');
    }
    expect(checkBindSafety('0.0.0.0', [STRONG, 'changeme']).error).not.toBeNull();
  });

  test('weak token on loopback is allowed; strong token anywhere is allowed', () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) expect(checkBindSafety(host, ['t']).error).toBeNull();
    expect(checkBindSafety('192.168.1.20', [STRONG]).error).toBeNull();
  });

  test('warnings: wildcard bind and public origin wildcards', () => {
    const r = checkBindSafety('0.0.0.0', [STRONG], { allowedOrigins: ['http://localhost:*', 'https://*.ngrok-free.app'] });
    expect(r.error).toBeNull();
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings.join('\n')).toContain('https://*.ngrok-free.app');
    expect(r.warnings.join('\n')).not.toContain('http://localhost:*');
    expect(checkBindSafety('127.0.0.1', [STRONG], { allowedOrigins: ['http://127.0.0.1:*'] }).warnings).toEqual([]);
  });
});

describe('securityWarnings', () => {
  test('security off is loud', () => {
    const lines = securityWarnings(loadSecurityPolicy({ ABSTRACTGATEWAY_SECURITY: '0' }, { dataDir: tempDir() }));
    expect(lines.join('\n')).toContain('DISABLED');
    expect(lines.length).toBeGreaterThan(3);
  });

  test('a safe default config says only where its generated token lives', () => {
    const p = loadSecurityPolicy({}, { dataDir: tempDir() });
    const lines = securityWarnings(p);
    expect(lines).toEqual([expect.stringContaining(p.tokenFile!)]);
    expect(lines.join('\n')).not.toContain(p.tokens[0]!);
  });

  test('risky knobs are each reported', () => {
    const p = loadSecurityPolicy({
      ABSTRACTGATEWAY_AUTH_TOKEN: STRONG, ABSTRACTGATEWAY_DEV_READ_NO_AUTH: '1', ABSTRACTGATEWAY_PROTECT_WRITE: '0',
      ABSTRACTGATEWAY_ALLOWED_ORIGINS: '*', ABSTRACTGATEWAY_TRUST_PROXY: '1', ABSTRACTGATEWAY_AUDIT_LOG: '0',
    }, { dataDir: tempDir() });
    const text = securityWarnings(p).join('\n');
    for (const needle of ['PROTECT_WRITE=0', 'DEV_READ_NO_AUTH=1', 'public origin wildcard', 'TRUST_PROXY=1', 'audit log is disabled']) {
      expect(text).toContain(needle);
    }
  });
});
