import { expect, test } from 'bun:test';
import { globToRegExp, isPublicWildcard, originMatcher } from '../../../src/http/security/origin.ts';

test('fnmatch semantics: * spans dots, colons and slashes; ? is one char; [..] sets; case-sensitive', () => {
  const m = originMatcher(['http://localhost:*', 'https://*.ngrok-free.app', 'http://host?.lan', 'http://[ab]x.test', 'http://[!0-9]y.test']);
  for (const ok of ['http://localhost:5173', 'http://localhost:', 'https://cd37c7c7a7de.ngrok-free.app', 'https://a.b.ngrok-free.app', 'http://host1.lan', 'http://ax.test', 'http://ky.test']) {
    expect(m(ok)).toBe(true);
  }
  for (const no of ['http://evil.example', 'HTTP://localhost:1', 'https://ngrok-free.app', 'http://host12.lan', 'http://cx.test', 'http://5y.test', 'https://x.ngrok-free.app.evil.com']) {
    expect(m(no)).toBe(false);
  }
});

test('exact patterns are literal (dots are not wildcards); * allows all; empty Origin allowed', () => {
  const m = originMatcher(['https://app.example.com']);
  expect(m('https://app.example.com')).toBe(true);
  expect(m('https://appxexample.com')).toBe(false);
  expect(m('')).toBe(true);
  expect(originMatcher(['*'])('https://anything')).toBe(true);
  expect(originMatcher([])('http://localhost:1')).toBe(false);
});

test('an unclosed [ is a literal character', () => {
  expect(globToRegExp('http://a[b*').test('http://a[bcd')).toBe(true);
  expect(globToRegExp('http://a[b*').test('http://ab')).toBe(false);
});

test('public wildcards', () => {
  expect(['*', 'https://*.ngrok-free.app', 'https://*.example.com'].every(isPublicWildcard)).toBe(true);
  expect(['http://localhost:*', 'http://127.0.0.1:*', 'https://app.example.com'].some(isPublicWildcard)).toBe(false);
});
