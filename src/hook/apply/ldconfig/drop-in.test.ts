import { dropInFolders, dropInText } from './drop-in';

const HEAD = '# ocihooks: folders injected into this container, for an ldconfig run inside it';

test.each<[string, string | undefined, string[], string[]]>([
  ['a first write', undefined, ['/opt/lib', '/usr/lib/slurm'], ['/opt/lib', '/usr/lib/slurm']],
  // A later hook of the same start, or the container's next start: the folders named before stay first.
  ['merged with what it named', `${HEAD}\n/opt/lib\n`, ['/usr/lib/slurm', '/opt/lib'], ['/opt/lib', '/usr/lib/slurm']],
  ['comments, includes and blank lines left out', '# x\ninclude /etc/x.conf\n\n  /opt/a  \n', [], ['/opt/a']],
])('%s', (_name, before, folders, named) => {
  const text = dropInText(before, folders);
  expect(text).toBe([HEAD, ...named, ''].join('\n'));
  expect(dropInFolders(text)).toEqual(named);
});
