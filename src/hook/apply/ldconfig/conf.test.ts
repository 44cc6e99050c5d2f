/** The configuration the linker-cache step gives the host ldconfig: its folder order, offline. */
import { ConfFolders, injectedFolders, ldconfigConf } from './conf';

const ROCKY = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/libx32', '/usr/libx32'];
const DEBIAN = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib', '/usr/lib'];

test('a Rocky-like image: the injected folder, the image configuration, then its system folders', () => {
  expect(ldconfigConf({ earlier: [], injected: ['/opt/ocihooks-test/lib'], system: ROCKY })).toBe(
    [
      "# ocihooks: the image's 00-* drop-ins, the injected folders, the image's configuration, its system folders",
      'include /etc/ld.so.conf.d/00-*.conf',
      '/opt/ocihooks-test/lib',
      'include /etc/ld.so.conf',
      '/lib',
      '/usr/lib',
      '/lib64',
      '/usr/lib64',
      '/libx32',
      '/usr/libx32',
      '',
    ].join('\n'),
  );
});

test.each<[string, ConfFolders, string[]]>([
  ['nothing injected (LDCONFIG_PATH)', { earlier: [], injected: [], system: ROCKY }, []],
  [
    'an injected system folder stays among the system folders (NVIDIA leaves it out of 00-nvcr)',
    { earlier: [], injected: ['/usr/lib64', '/usr/lib64/nvidia'], system: ROCKY },
    ['/usr/lib64/nvidia'],
  ],
  [
    "Debian's multiarch folder injected into a Debian-like image (nvidia-ctk's usual --folder)",
    { earlier: [], injected: ['/usr/lib/x86_64-linux-gnu'], system: DEBIAN },
    [],
  ],
  [
    'the same folder into an image that is not Debian-like stays injected',
    { earlier: [], injected: ['/usr/lib/x86_64-linux-gnu'], system: ROCKY },
    ['/usr/lib/x86_64-linux-gnu'],
  ],
  [
    "an earlier hook's cache: its folders first, its system folders not moved forward, once each",
    { earlier: ['/opt/a', '/lib64', '/lib', '/opt/b'], injected: ['/opt/b', '/opt/c'], system: ROCKY },
    ['/opt/a', '/opt/b', '/opt/c'],
  ],
  [
    "an earlier cache's glibc-hwcaps folder: its parent instead (ldconfig finds it with its hwcap)",
    {
      earlier: [
        '/opt/a/glibc-hwcaps/x86-64-v3',
        '/opt/a',
        '/lib64/glibc-hwcaps/x86-64-v2',
        '/opt/b/glibc-hwcaps/x86-64-v2',
      ],
      injected: [],
      system: ROCKY,
    },
    ['/opt/a', '/opt/b'],
  ],
])('%s', (_name, folders, expected) => {
  expect(injectedFolders(folders)).toEqual(expected);
});
