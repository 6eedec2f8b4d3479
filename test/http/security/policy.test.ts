import { describe, expect, test } from 'bun:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSecurityPolicy } from '../../../src/http/security/policy.ts';
import { bodyLimitFor, maxRequestBodySize } from '../../../src/http/security/limits.ts';
import { InvalidConfig } from '../../../src/model/index.ts';
import { tempDir } from './harness.ts';

const MIB = 1024 * 1024;

describe('loadSecurityPolicy', () => {
  test('defaults match the contract', () => {
    const p = loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: 'x' }, { dataDir: tempDir() });
    expect(p).toMatchObject({
      enabled: true, tokens: ['x'], tokenSource: 'env', protectRead: true, protectWrite: true, devReadNoAuth: false,
      allowedOrigins: ['http://localhost:*', 'http://127.0.0.1:*'], maxBodyBytes: 256000, maxAttachmentBytes: 25 * MIB,
      maxBundleBytes: 75 * MIB, maxUploadBodyBytes: 0, maxConcurrency: 64, maxSse: 256, maxSsePerClient: 0, maxJsonDepth: 64, bodyTimeoutS: 15, uploadTimeoutS: 120, lockoutAfter: 5, lockoutBaseS: 1,
      lockoutMaxS: 60, trustProxy: false,
      audit: { enabled: true, maxBytes: 50 * MIB, rotations: 10, headers: ['x-client-id', 'x-client-version', 'x-forwarded-for'] },
    });
  });

  test('tokens from both vars and legacy names, trimmed and de-duplicated', () => {
    const p = loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: 'a, b', ABSTRACTGATEWAY_AUTH_TOKENS: 'b,c' }, { dataDir: tempDir() });
    expect(p.tokens).toEqual(['a', 'b', 'c']);
    const legacy = loadSecurityPolicy({ ABSTRACTFLOW_GATEWAY_AUTH_TOKEN: 'old', ABSTRACTFLOW_GATEWAY_MAX_SSE: '3' }, { dataDir: tempDir() });
    expect(legacy.tokens).toEqual(['old']);
    expect(legacy.maxSse).toBe(3);
  });

  test('zero-config: no token → generated into <dataDir>/gateway_token and reused', () => {
    const dir = tempDir();
    const p = loadSecurityPolicy({}, { dataDir: dir });
    expect(p.tokenSource).toBe('file');
    expect(p.tokenFile).toBe(join(dir, 'gateway_token'));
    expect(p.tokens).toHaveLength(1);
    expect(loadSecurityPolicy({}, { dataDir: dir }).tokens).toEqual(p.tokens);
  });

  test('no token file when it is not needed or not wanted', () => {
    for (const [env, autoToken] of [[{ ABSTRACTGATEWAY_SECURITY: '0' }, true], [{ ABSTRACTGATEWAY_PROTECT_READ: 'no', ABSTRACTGATEWAY_PROTECT_WRITE: 'off' }, true], [{}, false]] as const) {
      const dir = tempDir();
      const p = loadSecurityPolicy(env, { dataDir: dir, autoToken });
      expect(p.tokens).toEqual([]);
      expect(p.tokenSource).toBe('none');
      expect(existsSync(join(dir, 'gateway_token'))).toBe(false);
    }
  });

  test('origins: unset → default, only commas → none', () => {
    const dir = tempDir();
    expect(loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: 'x', ABSTRACTGATEWAY_ALLOWED_ORIGINS: ' , ,' }, { dataDir: dir }).allowedOrigins).toEqual([]);
    expect(loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: 'x', ABSTRACTGATEWAY_ALLOWED_ORIGINS: ' * ' }, { dataDir: dir }).allowedOrigins).toEqual(['*']);
  });

  test('bad values name the variable and what it accepts', () => {
    const cases: [string, string, RegExp][] = [
      ['ABSTRACTGATEWAY_SECURITY', 'maybe', /ABSTRACTGATEWAY_SECURITY="maybe".*1, true, yes, on, 0, false, no, off/],
      ['ABSTRACTGATEWAY_MAX_BODY_BYTES', '10kb', /ABSTRACTGATEWAY_MAX_BODY_BYTES="10kb".*whole number of bytes/],
      ['ABSTRACTGATEWAY_MAX_SSE', '-1', /ABSTRACTGATEWAY_MAX_SSE.*>= 0/],
      ['ABSTRACTGATEWAY_LOCKOUT_BASE_S', 'soon', /ABSTRACTGATEWAY_LOCKOUT_BASE_S.*seconds/],
      ['ABSTRACTGATEWAY_AUDIT_LOG_ROTATIONS', '500', /ABSTRACTGATEWAY_AUDIT_LOG_ROTATIONS.*between 0 and 200/],
      ['ABSTRACTGATEWAY_MAX_JSON_DEPTH', '0', /ABSTRACTGATEWAY_MAX_JSON_DEPTH="0".*between 1 and 10000/],
      ['ABSTRACTGATEWAY_BODY_TIMEOUT_S', '0', /ABSTRACTGATEWAY_BODY_TIMEOUT_S.*seconds between 0.1 and 3600/],
      ['ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S', 'later', /ABSTRACTGATEWAY_UPLOAD_TIMEOUT_S.*seconds/],
      ['ABSTRACTGATEWAY_MAX_SSE_PER_CLIENT', '-2', /ABSTRACTGATEWAY_MAX_SSE_PER_CLIENT.*>= 0/],
    ];
    for (const [name, value, message] of cases) {
      let err: unknown;
      try { loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: 'x', [name]: value }, { dataDir: tempDir() }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(InvalidConfig);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('body caps', () => {
  const base = loadSecurityPolicy({ ABSTRACTGATEWAY_AUTH_TOKEN: 'x' }, { dataDir: tempDir() });

  test('per path: writes, bundle and attachment uploads (+2 MiB framing), optional upload cap', () => {
    expect(bodyLimitFor(base, '/api/gateway/commands')).toBe(256000);
    expect(bodyLimitFor(base, '/api/gateway/bundles/upload')).toBe(77 * MIB);
    expect(bodyLimitFor(base, '/api/gateway/runs/r1/attachments/upload')).toBe(27 * MIB);
    expect(bodyLimitFor({ ...base, maxUploadBodyBytes: 1000 }, '/api/gateway/bundles/upload')).toBe(1000);
  });

  test('the hard cap for Bun is the largest cap, or Bun default when a cap is disabled', () => {
    expect(maxRequestBodySize(base)).toBe(77 * MIB);
    expect(maxRequestBodySize({ ...base, maxBodyBytes: 0 })).toBe(128 * MIB);
    expect(maxRequestBodySize({ ...base, maxBundleBytes: MIB, maxAttachmentBytes: MIB })).toBe(3 * MIB);
  });
});
