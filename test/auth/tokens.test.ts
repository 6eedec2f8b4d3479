import { describe, expect, test } from 'bun:test';
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bearerToken, curlExample, ensureToken, fingerprintToken, isWeakToken, parseTokenList, rotateToken, tokenMatcher,
} from '../../src/auth/tokens.ts';
import { sha256Hex } from '../../src/util/json.ts';
import { tempDir } from '../http/security/harness.ts';
import { assertNoTokenLeak } from '../http/security/leak.ts';

describe('tokens', () => {
  test('fingerprint = first 12 hex of sha256', () => {
    expect(fingerprintToken('t')).toBe(sha256Hex('t').slice(0, 12));
    expect(fingerprintToken('t')).toMatch(/^[0-9a-f]{12}$/);
  });

  test('matcher accepts exactly the configured tokens', () => {
    const ok = tokenMatcher(['alpha-token-123456', 'beta']);
    expect(ok('alpha-token-123456')).toBe(true);
    expect(ok('beta')).toBe(true);
    expect(ok('alpha-token-12345')).toBe(false);
    expect(ok('')).toBe(false);
    expect(tokenMatcher([])('anything')).toBe(false);
  });

  test('bearer parsing', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc  ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeNull();
    expect(bearerToken('Bearer ')).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });

  test('comma lists are trimmed and empties dropped', () => {
    expect(parseTokenList(' a, b ,,c ')).toEqual(['a', 'b', 'c']);
    expect(parseTokenList('')).toEqual([]);
  });

  test('weak tokens', () => {
    for (const t of ['', 't', 'changeme', 'ADMIN', '14-characters!']) expect(isWeakToken(t)).toBe(true);
    expect(isWeakToken('15-characters!!')).toBe(false);
  });
});

describe('token file', () => {
  test('created once with mode 0600, then reused', () => {
    const dir = join(tempDir(), 'nested', 'data');
    const first = ensureToken(dir);
    expect(first.created).toBe(true);
    expect(first.path).toBe(join(dir, 'gateway_token'));
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(isWeakToken(first.token)).toBe(false);
    expect(first.token.length).toBeGreaterThanOrEqual(40);
    const again = ensureToken(dir);
    expect(again).toEqual({ token: first.token, path: first.path, created: false });
  });

  test('rotate replaces the token; reuse tightens loose permissions; an empty file is regenerated', () => {
    const dir = tempDir();
    const a = ensureToken(dir);
    const b = rotateToken(dir);
    expect(b.token).not.toBe(a.token);
    expect(ensureToken(dir).token).toBe(b.token);
    chmodSync(b.path, 0o644);
    ensureToken(dir);
    expect(statSync(b.path).mode & 0o777).toBe(0o600);
    writeFileSync(b.path, '  \n');
    const c = ensureToken(dir);
    expect(c.created).toBe(true);
    expect(c.token).not.toBe(b.token);
  });

  test('curl example is ready to paste', () => {
    expect(curlExample('tok', 'http://127.0.0.1:9000/')).toBe('curl -H "Authorization: Bearer tok" http://127.0.0.1:9000/api/gateway/bundles');
  });
});

describe('assertNoTokenLeak', () => {
  test('passes on clean text and fails (naming the spot) on a leak', () => {
    assertNoTokenLeak('nothing here', ['secret-token']);
    expect(() => assertNoTokenLeak('a Bearer secret-token b', ['secret-token'])).toThrow(/leaked/);
    expect(() => assertNoTokenLeak('q=secret%2Ftoken', ['secret/token'])).toThrow(/leaked/);
  });
});
