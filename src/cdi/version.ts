/**
 * Which cdiVersion a spec needs: each field and name rule arrived in a version of the CDI spec —
 *   0.4.0 mounts[].type · 0.5.0 deviceNodes[].hostPath, device names starting with a digit ·
 *   0.6.0 annotations, "." in the class · 0.7.0 intelRdt, additionalGids · 1.1.0 netDevices.
 */
import type { RawEdits, RawSpec } from './schema';

export const CDI_VERSIONS = ['0.3.0', '0.4.0', '0.5.0', '0.6.0', '0.7.0', '0.8.0', '1.0.0', '1.1.0'] as const;
export type CdiVersion = (typeof CDI_VERSIONS)[number];

/** Whether version v is min or later. */
export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The minimum cdiVersion the spec's content needs, with the field that needs it. */
export function requiredVersion(raw: RawSpec): { version: string; field: string } {
  let need = { version: '0.3.0', field: '' };
  const bump = (version: string, field: string) => {
    if (!versionAtLeast(need.version, version)) need = { version, field };
  };
  const all: [string, RawEdits | undefined][] = [['containerEdits', raw.containerEdits], ...raw.devices.map((d, i) => [`devices[${i}].containerEdits`, d.containerEdits] as [string, RawEdits | undefined])];
  for (const [where, e] of all) {
    if (e?.netDevices?.length) bump('1.1.0', `${where}.netDevices`);
    if (e?.intelRdt) bump('0.7.0', `${where}.intelRdt`);
    if (e?.additionalGids?.length) bump('0.7.0', `${where}.additionalGids`);
    (e?.deviceNodes ?? []).forEach((n, i) => n.hostPath && bump('0.5.0', `${where}.deviceNodes[${i}].hostPath`));
    (e?.mounts ?? []).forEach((m, i) => m.type && bump('0.4.0', `${where}.mounts[${i}].type`));
  }
  if (raw.annotations && Object.keys(raw.annotations).length) bump('0.6.0', 'annotations');
  raw.devices.forEach((d, i) => {
    if (d.annotations && Object.keys(d.annotations).length) bump('0.6.0', `devices[${i}].annotations`);
    if (/^[0-9]/.test(d.name)) bump('0.5.0', `devices[${i}].name`);
  });
  const cls = raw.kind.split('/')[1] ?? '';
  if (cls.includes('.')) bump('0.6.0', 'kind');
  return need;
}
