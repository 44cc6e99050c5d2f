/**
 * Slurm's hostlist expressions, as scontrol prints node lists and gres.conf names devices:
 * "node[01-03,7],gpu5" is node01 node02 node03 node7 gpu5; "/dev/nvidia[0-1]" is /dev/nvidia0
 * /dev/nvidia1. Commas inside brackets belong to the range; a range keeps its zero padding.
 */
import { UsageError } from '../../core/errors';

/** Splits at the commas that are outside brackets. */
function topLevelParts(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '[') depth++;
    else if (list[i] === ']') depth--;
    else if (list[i] === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts.filter((p) => p !== '');
}

function expandOne(item: string, what: string): string[] {
  const open = item.indexOf('[');
  if (open < 0) return [item];
  const close = item.indexOf(']', open);
  if (close < 0) throw new UsageError(`${what}: ${JSON.stringify(item)}: "[" without "]"`);
  const head = item.slice(0, open);
  const tails = expandOne(item.slice(close + 1), what);
  const out: string[] = [];
  for (const range of item.slice(open + 1, close).split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m)
      throw new UsageError(`${what}: ${JSON.stringify(item)}: ${JSON.stringify(range)} is not a number or a range`);
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    if (to < from || to - from > 100_000) throw new UsageError(`${what}: ${JSON.stringify(item)}: bad range ${range}`);
    for (let n = from; n <= to; n++)
      for (const t of tails) out.push(`${head}${String(n).padStart((m[1] as string).length, '0')}${t}`);
  }
  return out;
}

export function expandHostlist(list: string, what = 'hostlist'): string[] {
  return topLevelParts(list.trim()).flatMap((p) => expandOne(p, what));
}

/** "0-1,3" (a GRES IDX list): the numbers. */
export function expandIndexList(list: string, what = 'IDX'): number[] {
  return expandHostlist(`[${list}]`, what).map(Number);
}
