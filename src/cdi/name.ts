/**
 * CDI names: a kind is "vendor/class", a device is named within its kind, and a request names a
 * device fully as "vendor/class=name".
 */
import { UsageError } from '../core/errors';

const NAME_CHARS = /^[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]$|^[A-Za-z0-9]$/;
const DEVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]*[A-Za-z0-9]$|^[A-Za-z0-9]$/;

/** Why `kind` is not a valid "vendor/class", or undefined; and its parts. */
export function checkKind(kind: string): { vendor: string; class: string; problem?: undefined } | { problem: string } {
  const [vendor, cls, extra] = kind.split('/');
  if (extra !== undefined || !vendor || !cls) return { problem: `${JSON.stringify(kind)} is not "vendor/class"` };
  if (!NAME_CHARS.test(vendor) || !/^[A-Za-z]/.test(vendor)) return { problem: `vendor ${JSON.stringify(vendor)}: letters, digits, "-", "_", "." only, starting with a letter and ending with a letter or digit` };
  if (!NAME_CHARS.test(cls)) return { problem: `class ${JSON.stringify(cls)}: letters, digits, "-", "_", "." only, starting and ending with a letter or digit` };
  return { vendor, class: cls };
}

/** Why `name` is not a valid device name, or undefined. */
export function checkDeviceName(name: string): string | undefined {
  if (!DEVICE_NAME.test(name)) return `${JSON.stringify(name)}: letters, digits, "-", "_", ".", ":" only, starting and ending with a letter or digit`;
  return undefined;
}

/** "vendor.com/class=name" -> its kind and device name; anything else is a UsageError naming it. */
export function parseQualifiedName(name: string): { kind: string; device: string } {
  const m = /^([^/=\s]+\/[^/=\s]+)=([^=\s]+)$/.exec(name);
  if (!m) throw new UsageError(`CDI device ${JSON.stringify(name)}: not a fully-qualified name (vendor.com/class=name)`);
  return { kind: m[1] as string, device: m[2] as string };
}
