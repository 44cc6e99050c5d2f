/**
 * When the cache goes into the container's root, the injected folders go into the root's own
 * configuration too: /etc/ld.so.conf.d/00-ocihooks.conf, so that an `ldconfig` run inside the
 * container later (Debian's libc-bin trigger after `apt install`) keeps them, as NVIDIA's
 * 00-nvcr-*.conf does. One file, merged: a later hook of the same start, or the next start of the
 * same container, adds its folders to those already named instead of leaving one file per run. It
 * sorts after NVIDIA's 00-compat-*.conf (CUDA compat wins, as in the hook's own configuration).
 * Written through the root's fd (the folder resolved in root) with replaceFileAt, so an image's
 * symlink cannot send it to the host and a reader never sees half of it.
 */
import fs = require('node:fs');
import { errorCode } from '../../../core/errors';
import { replaceFileAt } from '../../../linux/files';
import { native } from '../../../linux/native';
import { openInRootfs } from '../../../linux/mount/rootfs';

export const DROP_IN_FOLDER = '/etc/ld.so.conf.d';
export const DROP_IN_NAME = '00-ocihooks.conf';

/** The folders a drop-in names: its lines that are absolute paths, comments and includes left out. */
export function dropInFolders(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/'));
}

/** The drop-in's text: the folders it named before, then the new ones, once each. */
export function dropInText(before: string | undefined, folders: string[]): string {
  const all = [...new Set([...(before === undefined ? [] : dropInFolders(before)), ...folders])];
  return ['# ocihooks: folders injected into this container, for an ldconfig run inside it', ...all, ''].join('\n');
}

function readIfFile(dirFd: number, name: string): string | undefined {
  const c = native().constants;
  let fd: number;
  try {
    fd = native().openat(dirFd, name, c.O_RDONLY | c.O_NOFOLLOW | c.O_NONBLOCK | c.O_CLOEXEC, 0);
  } catch (e) {
    if (errorCode(e) === 'ENOENT' || errorCode(e) === 'ELOOP') return undefined; // a symlink is replaced, never read
    throw e;
  }
  try {
    return fs.fstatSync(fd).isFile() ? fs.readFileSync(fd, 'utf8') : undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes the drop-in naming `folders` (merged with what it named) and returns its container path;
 * undefined, writing nothing, when the image has no /etc/ld.so.conf.d folder (its ldconfig would
 * not read one) or there is nothing to name.
 */
export function writeDropIn(rootFd: number, folders: string[]): string | undefined {
  const c = native().constants;
  const dirFd = openInRootfs(rootFd, DROP_IN_FOLDER, c.O_RDONLY | c.O_DIRECTORY);
  if (dirFd === undefined) return undefined;
  try {
    const before = readIfFile(dirFd, DROP_IN_NAME);
    if (!folders.length && before === undefined) return undefined;
    const text = dropInText(before, folders);
    if (text === before) return `${DROP_IN_FOLDER}/${DROP_IN_NAME}`;
    replaceFileAt(dirFd, DROP_IN_NAME, text, 0o644);
    return `${DROP_IN_FOLDER}/${DROP_IN_NAME}`;
  } finally {
    fs.closeSync(dirFd);
  }
}
