// The Python sandbox's start-up snapshot cache (src/sandbox/python.ts): a snapshot is read back only when its
// checksum holds, so a torn or altered file is ignored (the worker then boots from scratch and rewrites it).
import { afterAll, describe, expect, test } from 'bun:test';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSnapshot, writeSnapshot } from '../../src/sandbox/python.ts';
import { tempDir } from '../support/harness.ts';

const dir = tempDir('ag-snapshot-');
afterAll(() => dir.cleanup());

describe('start-up snapshot cache', () => {
  const body = new Uint8Array(4096).map((_, i) => (i * 7) & 255);

  test('round-trips, private to the user', async () => {
    const file = join(dir.path, 'cache', 'abstractgateway', 'snap.bin');
    await writeSnapshot(file, body);
    expect(await readSnapshot(file)).toEqual(body);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir.path, 'cache', 'abstractgateway')).mode & 0o777).toBe(0o700);
  });

  test('a flipped byte, a truncated file, a short file or no file is not a snapshot', async () => {
    const file = join(dir.path, 'flip.bin');
    await writeSnapshot(file, body);
    const bytes = readFileSync(file);
    bytes[100] ^= 1;
    writeFileSync(file, bytes);
    expect(await readSnapshot(file)).toBeUndefined();
    await writeSnapshot(file, body);
    writeFileSync(file, readFileSync(file).subarray(0, 2000));
    expect(await readSnapshot(file)).toBeUndefined();
    writeFileSync(file, new Uint8Array(5));
    expect(await readSnapshot(file)).toBeUndefined();
    expect(await readSnapshot(join(dir.path, 'missing.bin'))).toBeUndefined();
  });

  test('a file or directory others may write is not trusted', async () => {
    const file = join(dir.path, 'shared', 'snap.bin');
    await writeSnapshot(file, body);
    chmodSync(file, 0o666);
    expect(await readSnapshot(file)).toBeUndefined();
    chmodSync(file, 0o600);
    chmodSync(join(dir.path, 'shared'), 0o777);
    expect(await readSnapshot(file)).toBeUndefined();
    chmodSync(join(dir.path, 'shared'), 0o700);
    expect(await readSnapshot(file)).toEqual(body);
  });
});
