import { afterEach, describe, expect, test } from 'bun:test';
import { strToU8, zipSync } from 'fflate';
import fs from 'node:fs';
import path from 'node:path';
import { InvalidBundle } from '../../../src/model/index.ts';
import { bundleFromBytes } from '../../../src/flow/bundle/bundle.ts';
import { readBundleDir, readZip, unsafeEntryName, type ArchiveLimits } from '../../../src/flow/bundle/zip.ts';
import { patchName, tmpDir } from './helpers.ts';
import { describeShared, SHARED_BUNDLES } from '../../support/shared.ts';

const SMALL: ArchiveLimits = { maxEntries: 5, maxEntryBytes: 64 * 1024, maxTotalBytes: 100 * 1024 };

function rejects(fn: () => unknown, message: string | RegExp): void {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(InvalidBundle);
  if (typeof message === 'string') expect((err as InvalidBundle).message).toContain(message);
  else expect((err as InvalidBundle).message).toMatch(message);
}

/** Offset of the first central-directory header (scanning forward; test data never contains the signature). */
function centralHeader(zip: Uint8Array): number {
  const dv = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  for (let i = 0; i + 4 <= zip.length; i++) if (dv.getUint32(i, true) === 0x02014b50) return i;
  throw new Error('no central directory');
}

describe('readZip', () => {
  test('reads entries in memory and skips directory entries', () => {
    const zip = zipSync({ 'manifest.json': strToU8('{}'), flows: {}, 'flows/a.json': strToU8('[1]') });
    const files = readZip(zip);
    expect([...files.keys()].sort()).toEqual(['flows/a.json', 'manifest.json']);
    expect(new TextDecoder().decode(files.get('flows/a.json'))).toBe('[1]');
  });

  test.each([
    ['../evil.json', 'path traversal'],
    ['flows/../../evil.json', 'path traversal'],
    ['/etc/passwd', 'absolute path'],
    ['flows\\evil.json', 'backslash'],
    ['C:/evil.json', 'drive letter'],
    ['flows/./a.json', 'empty or "." path segment'],
  ])('rejects unsafe entry name %p', (name, reason) => {
    const zip = zipSync({ 'manifest.json': strToU8('{}'), [name]: strToU8('{}') });
    rejects(() => readZip(zip), `unsafe entry name ${JSON.stringify(name)}: ${reason}`);
  });

  test('rejects duplicate entries', () => {
    const zip = patchName(zipSync({ 'flows/a.json': strToU8('1'), 'flows/b.json': strToU8('2') }), 'flows/b.json', 'flows/a.json');
    rejects(() => readZip(zip), 'duplicate entry "flows/a.json"');
  });

  test('rejects an entry whose declared size is over the per-entry cap (zip bomb)', () => {
    const zip = zipSync({ 'bomb.json': new Uint8Array(1024 * 1024) }, { level: 9 });
    expect(zip.length).toBeLessThan(5000);
    rejects(() => readZip(zip, SMALL), 'entry "bomb.json" is too large (1048576 bytes > 65536)');
  });

  test('rejects archives inflating past the total cap', () => {
    const zip = zipSync({ a: new Uint8Array(40_000), b: new Uint8Array(40_000), c: new Uint8Array(40_000) });
    rejects(() => readZip(zip, SMALL), 'archive inflates to more than 102400 bytes');
  });

  test('rejects too many entries before reading any', () => {
    const many = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`f${i}.json`, strToU8('1')]));
    rejects(() => readZip(zipSync(many), SMALL), 'too many entries (6 > 5)');
  });

  test('a header that lies about the size is caught (larger: length, smaller: CRC)', () => {
    const zip = zipSync({ 'a.json': strToU8(JSON.stringify({ text: 'x'.repeat(500) })) });
    const at = centralHeader(zip);
    const bigger = zip.slice();
    new DataView(bigger.buffer).setUint32(at + 24, 600, true);
    rejects(() => readZip(bigger), 'inflated to');
    const smaller = zip.slice();
    new DataView(smaller.buffer).setUint32(at + 24, 10, true);
    rejects(() => readZip(smaller), 'is corrupt (CRC-32 mismatch)');
  });

  test('rejects unsupported compression methods', () => {
    const zip = zipSync({ 'a.json': strToU8('{}') });
    new DataView(zip.buffer).setUint16(centralHeader(zip) + 10, 12, true);
    rejects(() => readZip(zip), 'unsupported compression method 12');
  });

  test('rejects empty, garbage, truncated and damaged archives', () => {
    rejects(() => readZip(new Uint8Array()), 'empty file');
    rejects(() => readZip(strToU8('this is not a zip file at all, just text')), 'not a zip file');
    const zip = zipSync({ 'a.json': strToU8(JSON.stringify({ v: 'hello '.repeat(200) })) });
    rejects(() => readZip(zip.slice(0, zip.length - 30)), /Invalid bundle archive/);
    const damaged = zip.slice();
    damaged[40] = damaged[40]! ^ 0xff; // inside the deflate stream of the only entry
    rejects(() => readZip(damaged), /Invalid bundle archive/);
  });

  describeShared('real bundles', () => {
    test('random damage to real bundles is always a clean InvalidBundle, never a crash', () => {
      const dir = SHARED_BUNDLES;
      const real = fs.readdirSync(dir).map((f) => new Uint8Array(fs.readFileSync(path.join(dir, f))));
      let seed = 42;
      const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      let rejected = 0;
      for (let i = 0; i < 1500; i++) {
        const b = real[i % real.length]!.slice();
        for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        const input = i % 10 === 0 ? b.slice(0, Math.floor(rnd() * b.length)) : b;
        try {
          bundleFromBytes(input);
        } catch (e) {
          if (!(e instanceof InvalidBundle)) throw e;
          rejected++;
        }
      }
      expect(rejected).toBeGreaterThan(1000);
    });
  });

  test('unsafeEntryName accepts ordinary relative names', () => {
    expect(unsafeEntryName('flows/a.json')).toBeNull();
    expect(unsafeEntryName('assets/')).toBeNull();
    expect(unsafeEntryName('')).toBe('empty name');
  });
});

describe('readBundleDir', () => {
  const dirs: string[] = [];
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }); });

  test('reads an unpacked bundle with the same names', () => {
    const d = tmpDir(); dirs.push(d);
    fs.mkdirSync(path.join(d, 'flows'));
    fs.writeFileSync(path.join(d, 'manifest.json'), '{}');
    fs.writeFileSync(path.join(d, 'flows', 'a.json'), '{"id":"a"}');
    expect([...readBundleDir(d).keys()].sort()).toEqual(['flows/a.json', 'manifest.json']);
  });

  test('refuses symlinks that leave the directory and files over the caps', () => {
    const d = tmpDir(); dirs.push(d);
    const outside = tmpDir(); dirs.push(outside);
    fs.writeFileSync(path.join(outside, 'secret.json'), '{}');
    fs.writeFileSync(path.join(d, 'manifest.json'), '{}');
    fs.symlinkSync(path.join(outside, 'secret.json'), path.join(d, 'link.json'));
    rejects(() => readBundleDir(d), '"link.json" links outside the bundle directory');
    fs.rmSync(path.join(d, 'link.json'));
    fs.writeFileSync(path.join(d, 'big.json'), new Uint8Array(70 * 1024));
    rejects(() => readBundleDir(d, SMALL), 'entry "big.json" is too large');
  });
});
