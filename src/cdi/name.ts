/**
 * CDI names, as the reference's pkg/parser reads them: a kind is "vendor/class", a device is
 * named within its kind, and a request names a device fully as "vendor/class=name". The
 * reasons are the reference's words.
 */
import { UsageError } from '../core/errors';

/** Annotations whose values request CDI devices by name (the reference's pkg/cdi annotations.go). */
export const CDI_ANNOTATION_PREFIX = 'cdi.k8s.io/';

const isLetter = (c: string | undefined) => c !== undefined && /^[A-Za-z]$/.test(c);
const isAlnum = (c: string | undefined) => c !== undefined && /^[A-Za-z0-9]$/.test(c);
const q = (s: string) => JSON.stringify(s);

function vendorOrClassProblem(name: string): string | undefined {
  if (name === '') return 'empty name';
  if (!isLetter(name[0])) return `${q(name)}, should start with letter`;
  if (name.length === 1) return undefined;
  for (const c of name.slice(1, -1))
    if (!isAlnum(c) && !'_-.'.includes(c)) return `invalid character '${c}' in name ${q(name)}`;
  if (!isAlnum(name[name.length - 1])) return `${q(name)}, should end with a letter or digit`;
  return undefined;
}

export function vendorProblem(vendor: string): string | undefined {
  const p = vendorOrClassProblem(vendor);
  return p && `invalid vendor. ${p}`;
}

export function classProblem(cls: string): string | undefined {
  const p = vendorOrClassProblem(cls);
  return p && `invalid class. ${p}`;
}

/** Why `name` is not a valid device name, or undefined. */
export function deviceNameProblem(name: string): string | undefined {
  if (name === '') return 'invalid (empty) device name';
  if (!isAlnum(name[0])) return `invalid class ${q(name)}, should start with a letter or digit`; // sic: the reference says "class"
  if (name.length === 1) return undefined;
  for (const c of name.slice(1, -1))
    if (!isAlnum(c) && !'_-.:'.includes(c)) return `invalid character '${c}' in device name ${q(name)}`;
  if (!isAlnum(name[name.length - 1])) return `invalid name ${q(name)}, should end with a letter or digit`;
  return undefined;
}

/** "vendor/class" -> its parts (the class may hold more "/"); an unparsable kind gives vendor "". */
export function parseQualifier(kind: string): { vendor: string; class: string } {
  const slash = kind.indexOf('/');
  if (slash <= 0 || slash === kind.length - 1) return { vendor: '', class: kind };
  return { vendor: kind.slice(0, slash), class: kind.slice(slash + 1) };
}

/** A device reference split, without validation; unqualified names come back as vendor "". */
export function parseDevice(device: string): { vendor: string; class: string; name: string } {
  const unqualified = { vendor: '', class: '', name: device };
  if (device === '' || device.startsWith('/')) return unqualified;
  const eq = device.indexOf('=');
  if (eq <= 0 || eq === device.length - 1) return unqualified;
  const { vendor, class: cls } = parseQualifier(device.slice(0, eq));
  if (vendor === '') return unqualified;
  return { vendor, class: cls, name: device.slice(eq + 1) };
}

/** Why a request is not a fully-qualified device name, in the reference's words, or undefined. */
export function qualifiedNameProblem(device: string): string | undefined {
  const d = parseDevice(device);
  if (d.vendor === '') return `unqualified device ${q(device)}, missing vendor`;
  const p = vendorProblem(d.vendor) ?? classProblem(d.class) ?? deviceNameProblem(d.name);
  return p && `invalid device ${q(device)}: ${p}`;
}

/** "vendor.com/class=name" -> its kind and device name; anything else is a UsageError naming it. */
export function parseQualifiedName(name: string): { kind: string; device: string } {
  const problem = qualifiedNameProblem(name);
  if (problem)
    throw new UsageError(`CDI device ${q(name)}: not a fully-qualified name (vendor.com/class=name): ${problem}`);
  const d = parseDevice(name);
  return { kind: `${d.vendor}/${d.class}`, device: d.name };
}
