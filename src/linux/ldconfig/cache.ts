/**
 * /etc/ld.so.cache, read in TypeScript (no ldconfig -p, no container binary). Both formats:
 *  - old "ld.so-1.7.0": 16-byte header (magic, nlibs), 12-byte entries {flags, key, value};
 *    string offsets are relative to the end of the entry array;
 *  - new "glibc-ld.so.cache1.1": 48-byte header (magic+version, nlibs, len_strings, flags,
 *    extension_offset), 24-byte entries {flags, key, value, osversion, hwcap}; string offsets
 *    are relative to the start of this header. It is either the whole file (glibc >= 2.32) or
 *    follows the old format, 8-byte aligned, in the "compat" layout.
 */
import fs = require('node:fs');
import { ActionError, UsageError } from '../../core/errors';
import { native } from '../native';
import { openInRootfs } from '../mount/rootfs';

export interface LdCacheEntry {
  /** The soname the linker looks up, e.g. libfabric.so.1 */
  name: string;
  /** Where it lives in the container. */
  path: string;
  flags: number;
}

export interface LdCache {
  format: 'old' | 'new' | 'compat';
  entries: LdCacheEntry[];
}

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';

function cString(buf: Buffer, offset: number, what: string): string {
  if (offset >= buf.length)
    throw new UsageError(`ld.so.cache: ${what} string offset ${offset} is past the end (${buf.length} bytes)`);
  const end = buf.indexOf(0, offset);
  if (end < 0) throw new UsageError(`ld.so.cache: ${what} string at ${offset} is not terminated`);
  return buf.toString('utf8', offset, end);
}

function parseNew(buf: Buffer, base: number): LdCacheEntry[] {
  if (buf.length < base + 48) throw new UsageError('ld.so.cache: truncated new-format header');
  const nlibs = buf.readUInt32LE(base + 20);
  const entriesEnd = base + 48 + nlibs * 24;
  if (nlibs > 1_000_000 || entriesEnd > buf.length)
    throw new UsageError(`ld.so.cache: ${nlibs} entries do not fit in ${buf.length} bytes`);
  const out: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = base + 48 + i * 24;
    out.push({
      flags: buf.readInt32LE(at),
      name: cString(buf, base + buf.readUInt32LE(at + 4), 'key'),
      path: cString(buf, base + buf.readUInt32LE(at + 8), 'value'),
    });
  }
  return out;
}

export function parseLdCache(buf: Buffer): LdCache {
  if (buf.length >= NEW_MAGIC.length && buf.toString('latin1', 0, NEW_MAGIC.length) === NEW_MAGIC) {
    return { format: 'new', entries: parseNew(buf, 0) };
  }
  if (buf.length >= 16 && buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    const nlibs = buf.readUInt32LE(12);
    const strings = 16 + nlibs * 12;
    if (nlibs > 1_000_000 || strings > buf.length)
      throw new UsageError(`ld.so.cache: ${nlibs} entries do not fit in ${buf.length} bytes`);
    const newAt = (strings + 7) & ~7;
    if (
      buf.length >= newAt + NEW_MAGIC.length &&
      buf.toString('latin1', newAt, newAt + NEW_MAGIC.length) === NEW_MAGIC
    ) {
      return { format: 'compat', entries: parseNew(buf, newAt) };
    }
    const entries: LdCacheEntry[] = [];
    for (let i = 0; i < nlibs; i++) {
      const at = 16 + i * 12;
      entries.push({
        flags: buf.readInt32LE(at),
        name: cString(buf, strings + buf.readUInt32LE(at + 4), 'key'),
        path: cString(buf, strings + buf.readUInt32LE(at + 8), 'value'),
      });
    }
    return { format: 'old', entries };
  }
  throw new UsageError('ld.so.cache: unknown format (no ld.so-1.7.0 or glibc-ld.so.cache1.1 magic)');
}

/** Directories that contributed entries, in first-seen order, with their counts. */
export function cacheFolders(cache: LdCache): Map<string, number> {
  const folders = new Map<string, number>();
  for (const e of cache.entries) {
    const dir = e.path.slice(0, Math.max(1, e.path.lastIndexOf('/')));
    folders.set(dir, (folders.get(dir) ?? 0) + 1);
  }
  return folders;
}

/** Reads the container's /etc/ld.so.cache (resolved in root), or undefined if it has none. */
export function readContainerCache(rootFd: number): LdCache | undefined {
  const fd = openInRootfs(rootFd, '/etc/ld.so.cache', native().constants.O_RDONLY);
  if (fd === undefined) return undefined;
  try {
    if (!fs.fstatSync(fd).isFile()) throw new ActionError('/etc/ld.so.cache in the container is not a regular file');
    return parseLdCache(fs.readFileSync(fd));
  } finally {
    fs.closeSync(fd);
  }
}

/** What a refreshed cache holds: its size, format and how many entries each injected folder gave. */
export function summariseCache(
  cache: LdCache,
  folders: string[],
): { entries: number; format: string; contributed: Record<string, number> } {
  const byFolder = cacheFolders(cache);
  const contributed: Record<string, number> = {};
  for (const f of folders) contributed[f] = byFolder.get(f.replace(/\/+$/, '')) ?? 0;
  return { entries: cache.entries.length, format: cache.format, contributed };
}
