// The five desktop executables of `npm run build:all` (built by .ci/run before the tests; checked when
// present): each file has the right executable format and CPU (ELF x86-64 / AArch64, Mach-O x86_64 / arm64,
// PE AMD64); the linux-x64 one runs here, and the linux-arm64 one runs under qemu-aarch64 (Debian qemu-user +
// libc6-arm64-cross) when that is installed: --version, --help and a real /api/health.
import { afterAll, describe, expect, test } from 'bun:test';
import { existsSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { TARGETS } from '../../scripts/build-all.ts';
import { tempDir } from '../support/harness.ts';
import { Bg, ROOT, cli } from './helpers.ts';

const DIST = join(ROOT, 'dist');
const path = (file: string) => join(DIST, file);
const missing = TARGETS.filter((t) => !existsSync(path(t.file)));
if (missing.length) console.warn(`skip: ${missing.map((t) => t.file).join(', ')} not built (run \`npm run build:all\`)`);
const QEMU = Bun.which('qemu-aarch64');
const SYSROOT = '/usr/aarch64-linux-gnu';
const qemuReady = !!QEMU && existsSync(join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'));
if (!qemuReady) console.warn('skip: linux-arm64 under emulation needs qemu-aarch64 and the arm64 libc (apt-get install qemu-user libc6-arm64-cross)');

const tmp = tempDir('ag-bins-');
const bgs: Bg[] = [];
afterAll(async () => {
  await Promise.all(bgs.map((b) => b.stop('SIGKILL')));
  tmp.cleanup();
});

function head(file: string, n = 4096): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    readSync(fd, buf, 0, n, 0);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Executable format and CPU from the header bytes. */
export function identify(buf: Buffer): string {
  if (buf.readUInt32BE(0) === 0x7f454c46) {
    const machine = buf.readUInt16LE(18);
    return `elf-${machine === 0x3e ? 'x64' : machine === 0xb7 ? 'arm64' : machine.toString(16)}`;
  }
  if (buf.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = buf.readUInt32LE(4);
    return `macho-${cpu === 0x01000007 ? 'x64' : cpu === 0x0100000c ? 'arm64' : cpu.toString(16)}`;
  }
  if (buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (buf.toString('latin1', pe, pe + 4) !== 'PE\0\0') return 'mz-without-pe';
    const machine = buf.readUInt16LE(pe + 4);
    return `pe-${machine === 0x8664 ? 'x64' : machine === 0xaa64 ? 'arm64' : machine.toString(16)}`;
  }
  return 'unknown';
}

const EXPECTED: Record<string, string> = {
  'linux-x64': 'elf-x64', 'linux-arm64': 'elf-arm64', 'darwin-x64': 'macho-x64', 'darwin-arm64': 'macho-arm64', 'windows-x64': 'pe-x64',
};

describe('docs/install.md', () => {
  test('names every file build:all produces, with a systemd unit and a launchd plist', async () => {
    const doc = await Bun.file(join(ROOT, 'docs', 'install.md')).text();
    for (const t of TARGETS) expect(doc).toContain(`\`${t.file}\``);
    expect(doc).toContain('[Service]');
    expect(doc).toContain('<key>ProgramArguments</key>');
  });
});

describe('npm run build:all outputs', () => {
  for (const t of TARGETS) {
    test.skipIf(!existsSync(path(t.file)))(`${t.file} has the right format and CPU`, () => {
      expect(identify(head(path(t.file)))).toBe(EXPECTED[t.name]!);
    });
  }

  test.skipIf(!existsSync(path('abstractgateway-linux-x64')) || process.arch !== 'x64' || process.platform !== 'linux')('linux-x64 runs here', async () => {
    const r = await cli(['--version'], { exe: [path('abstractgateway-linux-x64')], cwd: tmp.path });
    expect(r).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });
});

describe.skipIf(!qemuReady || !existsSync(path('abstractgateway-linux-arm64')))('linux-arm64 under qemu-aarch64', () => {
  const exe = [QEMU!, '-L', SYSROOT, path('abstractgateway-linux-arm64')];
  test('--version and --help', async () => {
    expect(await cli(['--version'], { exe, cwd: tmp.path })).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const help = await cli(['--help'], { exe, cwd: tmp.path });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('USAGE abstractgateway');
  }, 60_000);

  test('serve answers /api/health with the embedded examples', async () => {
    const srv = new Bg(['serve', '--port', '0', '--data-dir', join(tmp.path, 'arm')], { exe, cwd: tmp.path });
    bgs.push(srv);
    const url = (await srv.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
    expect(srv.out).toContain('installed example bundles');
    expect(await (await fetch(`${url}/api/health`)).json()).toEqual({ status: 'healthy', service: 'abstractgateway' });
    expect(await srv.stop('SIGTERM')).toBe(0);
  }, 90_000);
});
