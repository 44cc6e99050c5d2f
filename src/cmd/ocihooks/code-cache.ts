/** `ocihooks code-cache [--prefix P]`: rewrites an installation's V8 code caches (after a node upgrade). */
import type { CommandModule } from 'yargs';
import { writeCodeCaches } from '../../admin/code-cache';
import BUNDLES from '../bundles.json';
import { PREFIX, printReport } from './common';

export const codeCacheCommand: CommandModule<object, { prefix: string }> = {
  command: 'code-cache',
  describe: "rewrite the V8 code caches of an installation's hooks (after a node upgrade; install does it too)",
  builder: (y) =>
    y.option('prefix', {
      type: 'string',
      default: PREFIX,
      describe: 'installation to refresh (bin/ and lib/ under it)',
    }),
  handler: (a) => printReport(writeCodeCaches(a.prefix, BUNDLES)),
};
