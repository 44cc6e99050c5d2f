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
    return stringsWhereExpected(doc, cdiSpecSchema);
  }
  let doc: GoValue;
  try {
    doc = readGoYaml(text);
  } catch (e) {
    throw new CdiSpecError(file, '(file)', `not valid YAML: ${messageOf(e).split('\n')[0]}`, { cause: e });
  }
  try {
    return goJson(doc, cdiSpecSchema);
  } catch (e) {
    if (!(e instanceof GoYamlError)) throw e;
    const colon = e.message.indexOf(': ');
    throw new CdiSpecError(file, e.message.slice(0, colon), e.message.slice(colon + 2), { cause: e });
  }
}

/**
 * Where a spec in YAML may be kept decoded between runs (src/hook/decoded-cache.ts): decoding
 * YAML costs a hook start ~6 ms, JSON ~0.1. What is kept is validated like a decoded text.
 */
export interface DecodedSpecs {
  /** What exactly this text of `file` decoded to, if kept. */
  get(file: string, text: string): unknown;
  /** Keeps what `text` of `file` decoded to (goJson's values: plain JSON). */
  put(file: string, text: string, decoded: unknown): void;
}

export function loadSpecFile(file: string, decodedSpecs?: DecodedSpecs): CdiSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new CdiSpecError(file, '(file)', messageOf(e), { cause: e });
  }
  const kept = file.endsWith('.json') ? undefined : decodedSpecs;
  const keptDoc = kept?.get(file, text);
  const doc = keptDoc !== undefined ? keptDoc : parseSpecText(text, file);
  if (doc === null) throw new CdiSpecError(file, '(file)', 'no Spec data');
  // Kept before validating: validation reads it into other objects, and a spec that fails it is
  // refused from what was kept as from the text, with the same words.
  if (kept && keptDoc === undefined) kept.put(file, text, doc);
  return validateCdiSpec(doc, file);
}

/** Spec files are the .json and .yaml files of a folder, as the reference scans them (not .yml). */
export const SPEC_FILE = /\.(json|yaml)$/;

export function loadRegistry(dirs: string[], decodedSpecs?: DecodedSpecs): Registry {
  const reg: Registry = { specs: [], devices: new Map(), problems: [], conflicts: new Map() };
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
      `CDI device ${name}: unknown${known.length ? ` (${kind} has ${known.join(', ')}${skipped})` : ` (no spec for ${kind}${skipped})`}`,
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
