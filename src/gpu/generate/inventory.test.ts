/** What `ocihooks doctor` says of an installed CDI spec that is read although the CDI reference refuses it. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpDir } from '../../../test/support/e2e';
import { gpuChecks } from './inventory';

test("a spec with hooks keyed by stage (zlayer's form) is a warning naming the field; a CDI-form one is ok", () => {
  const dir = tmpDir('doctor-by-stage');
  const cdi = path.join(dir, 'cdi');
  fs.mkdirSync(cdi);
  const spec = (hooks: object) =>
    JSON.stringify({
      cdiVersion: '0.6.0',
      kind: 'vendor.com/x',
      devices: [{ name: 'a', containerEdits: { env: ['A=1'], hooks } }],
    });
  fs.writeFileSync(path.join(cdi, 'by-stage.json'), spec({ createContainer: [{ path: '/usr/bin/h' }] }));
  fs.writeFileSync(path.join(cdi, 'list.json'), spec([{ hookName: 'createContainer', path: '/usr/bin/h' }]));
  const roots = { proc: path.join(dir, 'proc'), sys: path.join(dir, 'sys'), dev: dir, driver: dir };
  expect(gpuChecks(roots, [cdi]).filter((c) => c.name.startsWith('CDI spec'))).toEqual([
    {
      name: `CDI spec ${path.join(cdi, 'by-stage.json')}`,
      status: 'warn',
      detail:
        "devices[0].containerEdits.hooks: an object of hook lists keyed by stage (zlayer's form), not the CDI form (a list of hooks, each with hookName); read as that list, but the CDI reference refuses this spec; vendor.com/x: 1 device(s)",
    },
    { name: `CDI spec ${path.join(cdi, 'list.json')}`, status: 'ok', detail: 'vendor.com/x: 1 device(s), current' },
  ]);
});
