/**
 * The CDI registry: spec files from /etc/cdi then /var/run/cdi (later directories win), or the
 * directories given with --cdi-spec-dir. A broken file is reported (file, field, reason) and
 * skipped; two files of the same directory defining the same device is a conflict, reported,
 * and that device cannot be resolved.
 */
import fs = require('node:fs');
import path = require('node:path');
import { UsageError, messageOf } from '../core/errors';
import { goJson, stringsWhereExpected } from './go/json';
import { GoValue, GoYamlError, readGoYaml } from './go/yaml';
import { parseQualifiedName } from './name';
import { cdiSpecSchema } from './schema';
import { ContainerEdits, appendEdits, emptyEdits } from './edits';
import { CdiDevice, CdiSpec, CdiSpecError, validateCdiSpec } from './spec';

export const DEFAULT_CDI_DIRS = ['/etc/cdi', '/var/run/cdi'];

export interface ResolvedDevice {
  qualifiedName: string;
  spec: CdiSpec;
  device: CdiDevice;
}

export interface Registry {
  specs: CdiSpec[];
  devices: Map<string, ResolvedDevice>;
  /** One line per broken file or conflict. */
  problems: string[];
  conflicts: Map<string, string[]>;
  /** The folders the specs were looked for in, as given (named when a device is not found). */
  dirs?: string[];
}

/**
 * A spec file's text as the reference decodes it (ParseSpec: sigs.k8s.io/yaml into specs-go's
 * Spec): JSON as JSON, YAML with go-yaml v2's YAML 1.1 scalars (go-yaml.ts); then numbers and
 * bools where the Spec has a string become strings, as its YAML-to-JSON step makes them (go-json.ts).
 */
export function parseSpecText(text: string, file: string): unknown {
  if (file.endsWith('.json')) {
    let doc: unknown;
    try {
      doc = text.trim() === '' ? null : JSON.parse(text);
    } catch (e) {
      throw new CdiSpecError(file, '(file)', `not valid JSON: ${messageOf(e)}`, { cause: e });
    }
    return stringsWhereExpected(doc, cdiSpecSchema());
  }
  let doc: GoValue;
  try {
    doc = readGoYaml(text);
  } catch (e) {
    throw new CdiSpecError(file, '(file)', `not valid YAML: ${messageOf(e).split('\n')[0]}`, { cause: e });
  }
  try {
    return goJson(doc, cdiSpecSchema());
  } catch (e) {
    if (!(e instanceof GoYamlError)) throw e;
    const colon = e.message.indexOf(': ');
    throw new CdiSpecError(file, e.message.slice(0, colon), e.message.slice(colon + 2), { cause: e });
  }
}

/**
 * Where a spec may be kept decoded and checked between runs (src/hook/decoded-cache.ts): decoding
 * and checking a spec costs a GPU hook's start ~1.5 ms in JSON and ~7 in YAML (the yaml library's
 * module and its parser's first run), reading back the spec they made ~0.1 ms.
 */
export interface DecodedSpecs {
  /** The spec exactly this text of `file` was read as, if kept. */
  get(file: string, text: string): unknown;
  /** Keeps the spec `text` of `file` was read as (plain JSON values). */
  put(file: string, text: string, spec: CdiSpec): void;
}

/** What was kept is a spec this build read (the entry's text and build are checked before): its shape, not its rules. */
function isKeptSpec(x: unknown, file: string): x is CdiSpec {
  const s = x as Partial<CdiSpec> | null;
  return (
    typeof s === 'object' && s !== null && s.file === file && typeof s.kind === 'string' && Array.isArray(s.devices)
  );
}

export function loadSpecFile(file: string, decodedSpecs?: DecodedSpecs): CdiSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CdiSpecError(file, '(file)', messageOf(e), { cause: e });
  }
  const kept = decodedSpecs?.get(file, text);
  if (isKeptSpec(kept, file)) return kept;
  const doc = parseSpecText(text, file);
  if (doc === null) throw new CdiSpecError(file, '(file)', 'no Spec data');
  const spec = validateCdiSpec(doc, file);
  decodedSpecs?.put(file, text, spec); // a refused spec is not kept: it is read, and refused, each time
  return spec;
}

/** Spec files are the .json and .yaml files of a folder, as the reference scans them (not .yml). */
export const SPEC_FILE = /\.(json|yaml)$/;

export function loadRegistry(dirs: string[], decodedSpecs?: DecodedSpecs): Registry {
  const reg: Registry = { specs: [], devices: new Map(), problems: [], conflicts: new Map(), dirs };
  for (const dir of dirs) {
    let names: string[];
    try {
      names = fs
        .readdirSync(dir)
        .filter((f) => SPEC_FILE.test(f))
        .sort();
    } catch {
      continue; // a missing spec directory is normal
    }
    const fromThisDir = new Map<string, string>();
    for (const name of names) {
      const file = path.join(dir, name);
      let spec: CdiSpec;
      try {
        spec = loadSpecFile(file, decodedSpecs);
      } catch (e) {
        reg.problems.push(e instanceof CdiSpecError ? e.message : `${file}: ${messageOf(e)}`);
        continue;
      }
      reg.specs.push(spec);
      for (const device of spec.devices) {
        const q = `${spec.kind}=${device.name}`;
        const earlier = fromThisDir.get(q);
        if (earlier !== undefined) {
          const files = [...(reg.conflicts.get(q) ?? [earlier]), file];
          reg.conflicts.set(q, files);
          reg.problems.push(`conflict: ${q} is defined in ${files.join(' and ')}`);
          reg.devices.delete(q);
          continue;
        }
        fromThisDir.set(q, file);
        reg.conflicts.delete(q); // a later directory overrides an earlier one, conflicts included
        reg.devices.set(q, { qualifiedName: q, spec, device });
      }
    }
  }
  return reg;
}

/** Resolves requested names; "kind=all" means every device of that kind unless one is named "all". */
export function resolveDevices(reg: Registry, names: string[]): ResolvedDevice[] {
  const out = new Map<string, ResolvedDevice>();
  for (const name of names) {
    const { kind, device } = parseQualifiedName(name);
    const conflict = reg.conflicts.get(name);
    if (conflict) throw new UsageError(`CDI device ${name}: defined in more than one spec (${conflict.join(', ')})`);
    const found = reg.devices.get(name);
    if (found) {
      out.set(name, found);
      continue;
    }
    const ofKind = [...reg.devices.values()].filter((d) => d.spec.kind === kind);
    if (device === 'all' && ofKind.length > 0) {
      for (const d of ofKind) out.set(d.qualifiedName, d);
      continue;
    }
    const known = ofKind.map((d) => d.device.name);
    // A spec that was refused may be the one meant: name it (the first; the log has them all).
    const skipped = reg.problems.length
      ? `; skipped ${reg.problems.length === 1 ? 'a spec' : `${reg.problems.length} specs`}: ${reg.problems[0]}`
      : '';
    throw new UsageError(
      `CDI device ${name}: unknown${known.length ? ` (${kind} has ${known.join(', ')}${skipped})` : ` (no spec for ${kind}${reg.dirs ? ` in ${reg.dirs.join(', ')}` : ''}${skipped})`}`,
    );
  }
  return [...out.values()];
}

/**
 * The edits that injecting `devices` makes, in the reference's order (Cache.InjectDevices): for
 * each device in request order, its spec's own edits the first time that spec is met, then the
 * device's. Nothing is de-duplicated.
 */
export function injectionEdits(devices: ResolvedDevice[]): ContainerEdits {
  let edits = emptyEdits();
  const specs = new Set<CdiSpec>();
  for (const d of devices) {
    if (!specs.has(d.spec)) {
      specs.add(d.spec);
      edits = appendEdits(edits, d.spec.edits);
    }
    edits = appendEdits(edits, d.device.edits);
  }
  return edits;
}
