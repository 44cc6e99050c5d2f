/**
 * Device requests in a container's cdi.k8s.io/* annotations, read as the reference's
 * ParseAnnotations reads them (pkg/cdi annotations.go): the value split at every ",", each entry
 * a fully-qualified device name exactly as written — a blank around a name, an empty entry (a
 * trailing or doubled comma) or an empty value is no name — and one bad entry refuses the
 * container. Trimming or skipping would start a container the reference refuses, with devices its
 * owner may not have meant.
 */
import { UsageError } from '../core/errors';
import { CDI_ANNOTATION_PREFIX, qualifiedNameProblem } from './name';

const q = (s: string) => JSON.stringify(s);

/** The device names the annotations request, in order (repeats kept); a UsageError names the annotation and the entry. */
export function annotationDevices(annotations: Readonly<Record<string, string>>): string[] {
  const devices: string[] = [];
  for (const [key, value] of Object.entries(annotations)) {
    if (!key.startsWith(CDI_ANNOTATION_PREFIX)) continue;
    const entries = value.split(',');
    entries.forEach((entry, i) => {
      const where = `annotation ${key}=${q(value)}`;
      if (value === '') throw new UsageError(`${where}: the value is empty, no CDI device is named`);
      if (entry === '')
        throw new UsageError(`${where}: entry ${i + 1} of ${entries.length} is empty (a comma too many)`);
      const problem = qualifiedNameProblem(entry);
      if (problem)
        throw new UsageError(
          `${where}: entry ${q(entry)} is not a CDI device name (vendor.com/class=name${entry.trim() !== entry ? ', no blanks' : ''}): ${problem}`,
        );
      devices.push(entry);
    });
  }
  return devices;
}
