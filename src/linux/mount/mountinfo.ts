/** /proc/<pid>/mountinfo, parsed in one pass (see proc(5)). */

export interface MountInfo {
  id: number;
  parentId: number;
  major: number;
  minor: number;
  /** Root of the mount within its filesystem. */
  root: string;
  mountPoint: string;
  options: string;
  optionalFields: string[];
  fsType: string;
  source: string;
  superOptions: string;
}

/** Undoes the kernel's octal escapes (\040 space, \011 tab, \012 newline, \134 backslash). */
export function unescapeMountField(field: string): string {
  return field.indexOf('\\') < 0
    ? field
    : field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parses one line; returns undefined for a line that is not a mountinfo record. */
export function parseMountInfoLine(line: string): MountInfo | undefined {
  const f = line.split(' ');
  const sep = f.indexOf('-', 6);
  if (f.length < 10 || sep < 0 || f.length < sep + 4) return undefined;
  const [majorText, minorText] = (f[2] ?? '').split(':');
  const id = Number(f[0]);
  const parentId = Number(f[1]);
  const major = Number(majorText);
  const minor = Number(minorText);
  if (![id, parentId, major, minor].every(Number.isInteger)) return undefined;
  return {
    id,
    parentId,
    major,
    minor,
    root: unescapeMountField(f[3] as string),
    mountPoint: unescapeMountField(f[4] as string),
    options: f[5] as string,
    optionalFields: f.slice(6, sep),
    fsType: unescapeMountField(f[sep + 1] as string),
    source: unescapeMountField(f[sep + 2] as string),
    superOptions: f.slice(sep + 3).join(' '),
  };
}

export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const m = parseMountInfoLine(line);
    if (m) out.push(m);
  }
  return out;
}

/** The kernel's escaping of a path in mountinfo (space, tab, newline and backslash as \ooo). */
export function escapeMountField(field: string): string {
  return field.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * Whether some mount in mountinfo `text` has `mountPoint` as its mount point, without parsing the
 * records: every hook start asks this, and a host with a thousand mounts (a busy container node)
 * made the full parse several ms. A hit counts only as the fifth field of its line: fields never
 * hold a raw space, so exactly three spaces lie between the line's start and the hit.
 */
export function mountInfoHasMountPoint(text: string, mountPoint: string): boolean {
  const needle = ` ${escapeMountField(mountPoint)} `;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
    const lineStart = text.lastIndexOf('\n', at) + 1;
    let spaces = 0;
    for (let i = text.indexOf(' ', lineStart); i >= 0 && i < at; i = text.indexOf(' ', i + 1)) spaces++;
    if (spaces === 3) return true;
  }
  return false;
}

/** The record of mount `id` in mountinfo `text`, parsing that line only. */
export function mountInfoById(text: string, id: number): MountInfo | undefined {
  const needle = `${id} `;
  for (let at = text.startsWith(needle) ? 0 : text.indexOf(`\n${needle}`); at >= 0;) {
    const start = text[at] === '\n' ? at + 1 : at;
    const end = text.indexOf('\n', start);
    const m = parseMountInfoLine(text.slice(start, end < 0 ? undefined : end));
    if (m?.id === id) return m;
    at = text.indexOf(`\n${needle}`, start);
  }
  return undefined;
}
