// The iterative JSON depth scan: counts nesting outside strings, across chunk boundaries, without recursion.
import { expect, test } from 'bun:test';
import { JsonDepthScanner, jsonTooDeep } from '../../src/util/json-depth.ts';

const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

test('depth is counted for arrays and objects, siblings do not add up', () => {
  expect(jsonTooDeep(deep(64), 64)).toBe(false);
  expect(jsonTooDeep(deep(65), 64)).toBe(true);
  expect(jsonTooDeep('{"a":{"b":{"c":[1]}}}', 3)).toBe(true);
  expect(jsonTooDeep('{"a":{"b":{"c":[1]}}}', 4)).toBe(false);
  expect(jsonTooDeep('[' + '[],'.repeat(10_000) + '[]]', 2)).toBe(false);
});

test('brackets inside strings (with escaped quotes) do not count', () => {
  expect(jsonTooDeep(JSON.stringify({ s: deep(1000), t: 'a\\"[[[[', u: '\\\\' }), 2)).toBe(false);
  expect(jsonTooDeep('["\\\\"' + ',[[[]]]]', 3)).toBe(true); // the string ends after the escaped backslash
});

test('chunks may split anywhere (bytes, UTF-8 included); scanning stops at the first level too deep', () => {
  const text = new TextEncoder().encode(`{"é":"[[\\"",` + '"x":' + deep(10) + '}');
  for (let cut = 1; cut < text.length; cut++) {
    const s = new JsonDepthScanner(10);
    s.feed(text.subarray(0, cut));
    s.feed(text.subarray(cut));
    expect(s.exceeded).toBe(true);
    expect(s.maxSeen).toBe(11);
  }
  const s = new JsonDepthScanner(64);
  expect(s.feedString(deep(1_000_000))).toBe(false);
  expect(s.maxSeen).toBe(65);
});
