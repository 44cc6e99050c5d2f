/**
 * The README is the front door (at most 200 lines) and the reference lives in docs/: every
 * relative link in README.md and docs/*.md names a file of the repository and, with an anchor, a
 * heading of that file (GitHub's slugs), so moving a section cannot leave a dangling link.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const pages = [
  'README.md',
  ...fs
    .readdirSync(path.join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function headings(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string));
}

function links(page: string): string[] {
  const text = fs.readFileSync(path.join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string).filter((l) => !/^[a-z]+:/.test(l));
}

test('slugs are GitHub’s', () => {
  expect(slug('How a hook finds the container (the location rule, `src/hook/location.ts`)')).toBe(
    'how-a-hook-finds-the-container-the-location-rule-srchooklocationts',
  );
  expect(slug('GPU on the accelerator machine')).toBe('gpu-on-the-accelerator-machine');
});

test('the README is a front door: at most 200 lines', () => {
  expect(fs.readFileSync(path.join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(200);
});

test.each(pages)('every relative link in %s resolves', (page) => {
  const broken: string[] = [];
  for (const link of links(page)) {
    const [file, anchor] = link.split('#') as [string, string | undefined];
    const target = file === '' ? path.join(root, page) : path.resolve(path.dirname(path.join(root, page)), file);
    if (!fs.existsSync(target)) broken.push(`${link}: no such file`);
    else if (anchor && target.endsWith('.md') && !headings(target).includes(anchor))
      broken.push(`${link}: no such heading`);
  }
  expect(broken).toEqual([]);
});
