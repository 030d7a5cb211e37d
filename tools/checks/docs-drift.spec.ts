import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ScrapedRelay, TUNNEL_API } from '@tunnelgate/app-testing';
import { describeAsRoot } from '@tunnelgate/netns-testing';
import { programVariables, renderConfiguration } from '../docs/configuration';

const ROOT = join(__dirname, '../..');

/** The manual: the README and everything under docs/. */
function manual(): { file: string; text: string }[] {
  const files = ['README.md'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(ROOT, dir))) {
      const path = join(dir, name);
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  return files.map((file) => ({ file, text: readFileSync(join(ROOT, file), 'utf8') }));
}

/** `a/{b,c}` as `a/b` and `a/c`, the way the manual abbreviates sibling routes. */
function expandBraces(text: string): string[] {
  const group = /\{([^{}]*,[^{}]*)\}/.exec(text);
  if (!group) return [text];
  return (group[1] ?? '').split(',').flatMap((part) => expandBraces(text.replace(group[0], part)));
}

/** Each name the pattern finds in the manual (its first group), with the files it is in. */
function mentions(pattern: RegExp): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const { file, text } of manual())
    for (const match of text.matchAll(pattern))
      for (const name of expandBraces(match[1] ?? match[0]))
        found.set(name, [...(found.get(name) ?? []), file]);
  return found;
}

const unknown = (named: Map<string, string[]>, known: (name: string) => boolean) =>
  [...named]
    .filter(([name]) => !known(name))
    .map(([name, files]) => `${name} (${files.join(', ')})`);

describe('the manual against the code', () => {
  it('docs/configuration.md is what the built apps say they read', () => {
    const committed = readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8');
    const fresh = renderConfiguration(programVariables());
    // Stale: regenerate with tools/docs/write-configuration.ts (after a build).
    expect(committed).toBe(fresh);
  });

  it('names only variables some program reads', () => {
    const programs = [...programVariables().values()].flat().map((v) => v.name);
    // The quick start's own, read by its scripts.
    const tools = ['tools/relay/start.js', 'tools/relay/openvpn-pki.sh']
      .map((file) => readFileSync(join(ROOT, file), 'utf8'))
      .join('\n');
    const known = new Set([...programs, ...tools.matchAll(/TUNNELGATE_[A-Z0-9_]+/g)].map(String));
    expect(unknown(mentions(/\b(TUNNELGATE_[A-Z0-9_]*[A-Z0-9])\b/g), (n) => known.has(n))).toEqual(
      [],
    );
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    const slug = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-');
    for (const { file, text } of manual())
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split('#');
        const resolved = path ? join(dirname(join(ROOT, file)), path) : join(ROOT, file);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target}`);
          continue;
        }
        if (!anchor) continue;
        const headings = [...readFileSync(resolved, 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) =>
          slug(m[1] ?? ''),
        );
        if (!headings.includes(anchor))
          broken.push(`${file}: ${target} (no such heading in ${relative(ROOT, resolved)})`);
      }
    expect(broken).toEqual([]);
  });
});

describeAsRoot('the manual against a running relay', () => {
  let relay: ScrapedRelay | undefined;
  beforeAll(async () => {
    relay = await new ScrapedRelay().start();
  }, 60_000);
  afterAll(() => relay?.remove());

  it('names only metrics the apps export', () => {
    const metrics = relay?.metricNames() ?? new Set<string>();
    expect(metrics.size).toBeGreaterThan(30);
    expect(
      unknown(mentions(/\b(tunnelgate_[a-z0-9_]*[a-z0-9])\b/g), (n) => metrics.has(n)),
    ).toEqual([]);
  });

  it('lists every route tunnel-api serves in docs/api.md, and names no route it does not', () => {
    const document = JSON.parse(relay?.page(`${TUNNEL_API}/docs-json`).body ?? '{}') as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = new Set(
      Object.entries(document.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map(
          (method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`,
        ),
      ),
    );
    expect(served.size).toBeGreaterThan(25);
    const api = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');
    const table = new Set(
      [...api.matchAll(/^\| `((?:GET|POST|PUT|PATCH|DELETE) \/\S*)`/gm)].map((m) => m[1] ?? ''),
    );
    expect([...served].filter((route) => !table.has(route))).toEqual([]);
    const named = mentions(
      /\b((?:GET|POST|PUT|PATCH|DELETE) \/(?:v1\/[\w/:{},-]*[\w}]|healthz|readyz|metrics|docs(?:-json|-yaml)?))/g,
    );
    expect(unknown(named, (route) => served.has(route) || /^GET \/docs/.test(route))).toEqual([]);
  });
});
