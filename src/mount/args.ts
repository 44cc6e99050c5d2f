/**
 * The Sarus mount hook's argument grammar, with Sarus's wording so admins recognise errors:
 *   --mount=type=bind,source|src=/abs,destination|dst|target=/abs[,readonly]
 *   --device=/dev/host[:/dev/container][:access]     (access: one to three of "rwm", no repeats)
 */
import path = require('node:path');
import { UsageError } from '../core/errors';

export interface MountRequest {
  source: string;
  destination: string;
  readonly: boolean;
}

export interface DeviceRequest {
  source: string;
  destination: string;
  access: string;
}

function mountError(arg: string, reason: string): UsageError {
  return new UsageError(`Invalid mount request '${arg}': ${reason}`);
}

/** The keys of a bind request other than readonly (parseMountRequest runs once per --mount: no literal arrays in it). */
const ADDRESS_KEYS = new Set(['type', 'source', 'src', 'destination', 'dst', 'target']);

/**
 * The usual form, "type=bind,src=/a,dst=/b[,readonly]" (either spelling of each key), read by one
 * regular expression: a hook can be given a thousand. Anything else, and any value this form
 * would refuse, takes the full reading below, which says what is wrong.
 */
const USUAL = /^type=bind,(?:src|source)=(\/[^,]*),(?:dst|destination|target)=(\/[^,]*)(,readonly)?$/;

export function parseMountRequest(arg: string): MountRequest {
  const usual = USUAL.exec(arg);
  if (usual) return { source: usual[1] as string, destination: usual[2] as string, readonly: usual[3] !== undefined };
  if (arg.trim() === '') throw mountError(arg, 'empty request');
  const map = new Map<string, string>();
  for (const item of arg.split(',')) {
    if (item === '') throw mountError(arg, 'empty option (two commas in a row?)');
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? '' : item.slice(eq + 1);
    if (map.has(key)) throw mountError(arg, `'${key}' is given more than once`);
    map.set(key, value);
  }
  const type = map.get('type');
  if (type === undefined) throw mountError(arg, "'type' must be specified");
  if (type !== 'bind') throw mountError(arg, `'${type}' is not a valid mount type`);

  const src = map.get('src');
  let source = map.get('source');
  if (source !== undefined && src !== undefined)
    throw mountError(arg, "multiple formats used to specify mount source. Use either 'source' or 'src'.");
  source ??= src;
  if (source === undefined) throw mountError(arg, "no source specified. Use either 'source' or 'src'.");
  if (source === '') throw mountError(arg, 'source is empty');
  if (!path.isAbsolute(source)) throw mountError(arg, 'source must be an absolute path');

  const dst = map.get('destination');
  const dst2 = map.get('dst');
  const dst3 = map.get('target');
  if ((dst !== undefined ? 1 : 0) + (dst2 !== undefined ? 1 : 0) + (dst3 !== undefined ? 1 : 0) > 1)
    throw mountError(
      arg,
      "multiple formats used to specify mount destination. Use one of 'destination', 'dst' or 'target'.",
    );
  const destination = dst ?? dst2 ?? dst3;
  if (destination === undefined)
    throw mountError(arg, "no destination specified. Use either 'destination', 'dst' or 'target'.");
  if (destination === '') throw mountError(arg, 'destination is empty');
  if (!path.isAbsolute(destination)) throw mountError(arg, 'destination must be an absolute path');

  let readonly = false;
  for (const [key, value] of map) {
    if (ADDRESS_KEYS.has(key)) continue;
    if (key === 'readonly') {
      if (value !== '' && value !== 'true') throw mountError(arg, `'readonly' takes no value (got '${value}')`);
      readonly = true;
      continue;
    }
    throw mountError(arg, `'${key}' is not a valid bind mount option`);
  }
  return { source, destination, readonly };
}

function deviceError(arg: string, reason: string): UsageError {
  return new UsageError(`Invalid device request '${arg}': ${reason}`);
}

const ACCESS_RULE = "access is one to three of the letters 'r', 'w', 'm', each at most once";

/**
 * The rule an access string breaks, in Sarus's order (DeviceAccess: empty, longer than 3, then
 * letter by letter an invalid or a repeated one), or undefined for a valid one.
 */
export function accessProblem(s: string): string | undefined {
  if (s === '') return `access is empty (${ACCESS_RULE})`;
  if (s.length > 3) return `access '${s}' is longer than 3 characters (${ACCESS_RULE})`;
  const seen = new Set<string>();
  for (const c of s) {
    if (!'rwm'.includes(c)) return `access '${s}' has an invalid letter '${c}' (${ACCESS_RULE})`;
    if (seen.has(c)) return `access '${s}' repeats the letter '${c}' (${ACCESS_RULE})`;
    seen.add(c);
  }
  return undefined;
}

export function parseDeviceRequest(arg: string): DeviceRequest {
  if (arg === '') throw deviceError(arg, 'empty request');
  const parts = arg.split(':');
  if (parts.length > 3) throw deviceError(arg, 'too many tokens: expected <host path>[:<container path>][:<access>]');
  const source = parts[0] as string;
  if (source === '') throw deviceError(arg, 'host device path is empty');
  if (!path.isAbsolute(source)) throw deviceError(arg, 'host device path must be an absolute path');
  let destination = source;
  let access = 'rwm';
  if (parts.length === 2) {
    // As Sarus reads it: an absolute second token is the container path, anything else the access.
    const second = parts[1] as string;
    if (path.isAbsolute(second)) destination = second;
    else {
      const problem = accessProblem(second);
      if (problem && second === '')
        throw deviceError(arg, `nothing after ':' (a container path or an access string): ${problem}`);
      if (problem)
        throw deviceError(arg, `'${second}' is not an absolute container path; as an access string: ${problem}`);
      access = second;
    }
  } else if (parts.length === 3) {
    destination = parts[1] as string;
    access = parts[2] as string;
    if (destination === '') throw deviceError(arg, 'container device path is empty');
    if (!path.isAbsolute(destination)) throw deviceError(arg, 'container device path must be an absolute path');
    const problem = accessProblem(access);
    if (problem) throw deviceError(arg, problem);
  }
  return { source, destination, access };
}

export const FI_PROVIDER_PATH_TOKEN = '<FI_PROVIDER_PATH>';

/**
 * The host sources a hook's arguments bind (`--mount=...src=X` and `--device=X...`), for install
 * to check that they exist here. An argument that does not parse is left to the hook to report.
 */
export function hostSourcesOf(hookArgs: readonly string[]): string[] {
  const sources: string[] = [];
  for (const arg of hookArgs) {
    try {
      if (arg.startsWith('--mount='))
        sources.push(parseMountRequest(arg.slice(8).split(FI_PROVIDER_PATH_TOKEN).join('/fi-provider-path')).source);
      else if (arg.startsWith('--device=')) sources.push(parseDeviceRequest(arg.slice(9)).source);
    } catch {
      // not for install to judge: `ocihooks validate` and the hook itself report it
    }
  }
  return sources;
}
