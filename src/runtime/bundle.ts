/**
 * Edits a bundle's config.json for the runtime: the original is kept beside it and is the input
 * of every later run, so running the wrapper twice on a bundle never adds a hook twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, messageOf } from '../core/errors';
import { Json, parseJson } from '../core/json';
import type { HooksRead } from '../hooksd/read';
import { writeFileAtomically } from '../linux/files';
import { injectHooks } from './inject';

export const ORIGINAL_SUFFIX = '.ocihooks-orig';

/**
 * Edits <bundle>/config.json in place. The original is kept as config.json.ocihooks-orig and is
 * the input of every later run, so running the wrapper twice never adds a hook twice.
 */
export function rewriteBundleConfig(bundle: string, read: HooksRead, extraAnnotations: Record<string, string>): string[] {
  const configPath = path.join(bundle, 'config.json');
  const originalPath = configPath + ORIGINAL_SUFFIX;
  const source = fs.existsSync(originalPath) ? originalPath : configPath;
  let text: string;
  try {
    text = fs.readFileSync(source, 'utf8');
  } catch (e) {
    throw new UsageError(`config ${source}: ${messageOf(e)}`);
  }
  const original = parseJson(text, `config ${source}`) as Json;
  const { config, added } = injectHooks(original, read, extraAnnotations, source);
  if (source === configPath) fs.copyFileSync(configPath, originalPath);
  writeFileAtomically(configPath, JSON.stringify(config, null, 2));
  return added;
}
