/**
 * cdiVersion, as the reference reads it (specs-go/version.go): one leading "v" is optional, the
 * version must be a known one, and at least the version whose features the spec uses —
 *   0.4.0 a mount type · 0.5.0 a device node hostPath, a device name starting with a digit ·
 *   0.6.0 annotations, a "." in the class · 0.7.0 intelRdt, additionalGids ·
 *   1.1.0 netDevices, intelRdt schemata or enableMonitoring.
 * 0.1.0 and 0.2.0 are known but older than the earliest supported, 0.3.0.
 */
import type { RawEdits, RawSpec } from './schema';

/** Known versions, oldest first. */
export const KNOWN_CDI_VERSIONS = [
  '0.1.0',
  '0.2.0',
  '0.3.0',
  '0.4.0',
  '0.5.0',
  '0.6.0',
  '0.7.0',
  '0.8.0',
  '1.0.0',
  '1.1.0',
] as const;
/** The versions a spec may say, oldest first. */
export const CDI_VERSIONS = KNOWN_CDI_VERSIONS.slice(2) as readonly CdiVersion[];
export type CdiVersion = '0.3.0' | '0.4.0' | '0.5.0' | '0.6.0' | '0.7.0' | '0.8.0' | '1.0.0' | '1.1.0';
export const CURRENT_CDI_VERSION: CdiVersion = '1.1.0';

const rank = (v: string) => (KNOWN_CDI_VERSIONS as readonly string[]).indexOf(v);

/** The minimum version the spec's content needs, and the first field that needs it ("" for 0.3.0). */
export function minimumRequiredVersion(raw: RawSpec): { version: CdiVersion; field: string } {
  let need: { version: CdiVersion; field: string } = { version: '0.3.0', field: '' };
  const bump = (version: CdiVersion, field: string) => {
    if (rank(version) > rank(need.version)) need = { version, field };
  };
  const editsOf: [string, RawEdits | null | undefined][] = [
    ['containerEdits', raw.containerEdits],
    ...(raw.devices ?? []).map(
      (d, i) => [`devices[${i}].containerEdits`, d.containerEdits] as [string, RawEdits | null | undefined],
    ),
  ];
  for (const [where, e] of editsOf) {
    if (e?.intelRdt && (e.intelRdt.schemata != null || e.intelRdt.enableMonitoring)) bump('1.1.0', `${where}.intelRdt`);
    if (e?.netDevices?.length) bump('1.1.0', `${where}.netDevices`);
    if (e?.intelRdt) bump('0.7.0', `${where}.intelRdt`);
    if (e?.additionalGids?.length) bump('0.7.0', `${where}.additionalGids`);
    (e?.deviceNodes ?? []).forEach((n, i) => n.hostPath && bump('0.5.0', `${where}.deviceNodes[${i}].hostPath`));
    (e?.mounts ?? []).forEach((m, i) => m.type && bump('0.4.0', `${where}.mounts[${i}].type`));
  }
  if (Object.keys(raw.annotations ?? {}).length) bump('0.6.0', 'annotations');
  const kind = raw.kind ?? '';
  if (kind.includes('/') && kind.slice(kind.indexOf('/') + 1).includes('.')) bump('0.6.0', 'kind');
  (raw.devices ?? []).forEach((d, i) => {
    if (Object.keys(d.annotations ?? {}).length) bump('0.6.0', `devices[${i}].annotations`);
    if (/^[0-9]/.test(d.name ?? '')) bump('0.5.0', `devices[${i}].name`);
  });
  return need;
}

/** The spec's version, or why it cannot be read: the field at fault and the reference's reason. */
export function checkVersion(raw: RawSpec): { version: CdiVersion } | { field: string; reason: string } {
  const given = raw.cdiVersion ?? '';
  const version = given.startsWith('v') ? given.slice(1) : given;
  if (rank(version) < 0) return { field: 'cdiVersion', reason: `invalid version ${JSON.stringify(given)}` };
  const need = minimumRequiredVersion(raw);
  if (rank(need.version) > rank(version)) {
    const field = rank(version) < rank('0.3.0') ? 'cdiVersion' : need.field;
    return { field, reason: `the spec version must be at least v${need.version} (the file says ${given})` };
  }
  return { version: version as CdiVersion };
}
