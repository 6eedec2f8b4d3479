// Reads a `.flow` archive (or an unpacked bundle directory) into memory as `path -> bytes`, refusing
// hostile input before it costs anything: names and declared sizes are checked in fflate's `filter`,
// which runs for each entry BEFORE that entry is inflated. Nothing is ever extracted to disk.

import { unzipSync } from 'fflate';
import fs from 'node:fs';
import path from 'node:path';
import { DomainError, InvalidBundle } from '../../model/index.ts';

export interface ArchiveLimits {
  /** Max number of entries (directories included). */
  maxEntries: number;
  /** Max inflated size of one entry, in bytes. */
  maxEntryBytes: number;
  /** Max inflated size of all entries together, in bytes. */
  maxTotalBytes: number;
}

// Real bundles are a few KiB; these caps only exist to stop zip bombs and entry floods.
export const DEFAULT_LIMITS: ArchiveLimits = {
  maxEntries: 2000,
  maxEntryBytes: 32 * 1024 * 1024,
  maxTotalBytes: 128 * 1024 * 1024,
};

/** Archive contents keyed by normalised relative path (`/` separators, no directory entries). */
export type ArchiveFiles = Map<string, Uint8Array>;

/** Why `name` is not a safe relative archive path, or null when it is. */
export function unsafeEntryName(name: string): string | null {
  if (name === '') return 'empty name';
  if (name.includes('\0')) return 'NUL character in name';
  if (name.includes('\\')) return 'backslash in name';
  if (name.startsWith('/')) return 'absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'drive letter';
  const segments = name.replace(/\/$/, '').split('/');
  if (segments.some((s) => s === '..')) return 'path traversal (..)';
  if (segments.some((s) => s === '.' || s === '')) return 'empty or "." path segment';
  return null;
}

function rejectArchive(reason: string): DomainError {
  return new InvalidBundle(`Invalid bundle archive: ${reason}`);
}

/**
 * CRC-32 of every central-directory entry, in directory order (the order fflate's filter sees them). Also
 * rejects a bad end record or entry count before fflate walks the directory.
 */
function centralDirectoryCrcs(bytes: Uint8Array, limits: ArchiveLimits): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let e = bytes.length - 22;
  while (e >= 0 && bytes.length - e <= 65557 && dv.getUint32(e, true) !== 0x06054b50) e--;
  if (e < 0 || bytes.length - e > 65557) throw rejectArchive('not a zip file (no end of central directory record)');
  const count = dv.getUint16(e + 8, true);
  let offset = dv.getUint32(e + 16, true);
  if (count === 0xffff || offset === 0xffffffff) throw rejectArchive('zip64 archives are not supported');
  if (count > limits.maxEntries) throw rejectArchive(`too many entries (${count} > ${limits.maxEntries})`);
  const crcs: number[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > bytes.length || dv.getUint32(offset, true) !== 0x02014b50) throw rejectArchive('corrupt central directory');
    crcs.push(dv.getUint32(offset + 16, true));
    offset += 46 + dv.getUint16(offset + 28, true) + dv.getUint16(offset + 30, true) + dv.getUint16(offset + 32, true);
  }
  return crcs;
}

/** Unzip `bytes` in memory with every hostile-archive check applied. */
export function readZip(bytes: Uint8Array, limits: ArchiveLimits = DEFAULT_LIMITS): ArchiveFiles {
  if (bytes.length === 0) throw rejectArchive('empty file');
  const crcs = centralDirectoryCrcs(bytes, limits);
  const expected = new Map<string, { size: number; crc: number }>();
  let total = 0;
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(bytes, {
      filter: (entry) => {
        const name = entry.name;
        const crc = crcs[expected.size]!;
        const bad = unsafeEntryName(name);
        if (bad) throw rejectArchive(`unsafe entry name ${JSON.stringify(name)}: ${bad}`);
        if (expected.has(name)) throw rejectArchive(`duplicate entry ${JSON.stringify(name)}`);
        expected.set(name, { size: entry.originalSize, crc });
        if (name.endsWith('/')) return false; // directory entry: nothing to read
        if (entry.compression !== 0 && entry.compression !== 8) {
          throw rejectArchive(`entry ${JSON.stringify(name)} uses unsupported compression method ${entry.compression}`);
        }
        if (entry.originalSize > limits.maxEntryBytes) {
          throw rejectArchive(`entry ${JSON.stringify(name)} is too large (${entry.originalSize} bytes > ${limits.maxEntryBytes})`);
        }
        total += entry.originalSize;
        if (total > limits.maxTotalBytes) throw rejectArchive(`archive inflates to more than ${limits.maxTotalBytes} bytes`);
        return true;
      },
    });
  } catch (e) {
    if (e instanceof DomainError) throw e;
    throw rejectArchive(`not a readable zip file (${e instanceof Error ? e.message : String(e)})`);
  }
  const files: ArchiveFiles = new Map();
  for (const [name, data] of Object.entries(raw)) {
    // fflate inflates into a buffer of the declared size, so memory is bounded by the checks above; a lying
    // size or damaged data shows up as a length or CRC mismatch.
    const want = expected.get(name)!;
    if (data.length !== want.size) {
      throw rejectArchive(`entry ${JSON.stringify(name)} inflated to ${data.length} bytes, header says ${want.size}`);
    }
    if (Bun.hash.crc32(data) >>> 0 !== want.crc) throw rejectArchive(`entry ${JSON.stringify(name)} is corrupt (CRC-32 mismatch)`);
    files.set(name, data);
  }
  return files;
}

/**
 * Read an unpacked bundle directory (same layout as the archive) with the same names and limits. Symlinks are
 * followed only when they resolve to a regular file inside `dir`; symlinked directories are never entered.
 */
export function readBundleDir(dir: string, limits: ArchiveLimits = DEFAULT_LIMITS): ArchiveFiles {
  const root = fs.realpathSync(dir);
  const files: ArchiveFiles = new Map();
  let total = 0;
  const walk = (absDir: string, relDir: string): void => {
    for (const ent of fs.readdirSync(absDir, { withFileTypes: true })) {
      const rel = relDir ? `${relDir}/${ent.name}` : ent.name;
      const abs = path.join(absDir, ent.name);
      const bad = unsafeEntryName(rel);
      if (bad) throw rejectArchive(`unsafe file name ${JSON.stringify(rel)}: ${bad}`);
      if (ent.isDirectory()) { walk(abs, rel); continue; }
      let real = abs;
      if (ent.isSymbolicLink()) {
        real = fs.realpathSync(abs);
        if (!real.startsWith(root + path.sep)) throw rejectArchive(`${JSON.stringify(rel)} links outside the bundle directory`);
      }
      const st = fs.statSync(real);
      if (!st.isFile()) continue;
      if (files.size >= limits.maxEntries) throw rejectArchive(`too many entries (> ${limits.maxEntries})`);
      if (st.size > limits.maxEntryBytes) throw rejectArchive(`entry ${JSON.stringify(rel)} is too large (${st.size} bytes > ${limits.maxEntryBytes})`);
      total += st.size;
      if (total > limits.maxTotalBytes) throw rejectArchive(`bundle is larger than ${limits.maxTotalBytes} bytes`);
      files.set(rel, new Uint8Array(fs.readFileSync(real)));
    }
  };
  walk(root, '');
  return files;
}
