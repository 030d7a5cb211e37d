import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUPPORTED_NODE_MAJOR, unsupportedNodeReason } from './node-runtime';

const ROOT = join(__dirname, '../../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('the Node runtime', () => {
  const pinned = read('.node-version').trim();

  it('is declared once: .node-version, and everything else follows it', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(pinned.split('.')[0])).toBe(SUPPORTED_NODE_MAJOR);
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines;
    expect(engines.node).toBe(`>=${pinned} <${SUPPORTED_NODE_MAJOR + 1}`);
    expect(read('deployments/docker/Dockerfile')).toContain(
      `ARG NODE_IMAGE=node:${pinned}-bookworm-slim`,
    );
  });

  it('is the one these tests run on', () => {
    expect(process.versions.node).toBe(pinned);
  });

  it('refuses another major line with a message that says what to do', () => {
    expect(unsupportedNodeReason(`${SUPPORTED_NODE_MAJOR}.0.1`)).toBeUndefined();
    expect(unsupportedNodeReason('20.20.2')).toMatch(
      /needs Node 24 LTS and this is Node 20\.20\.2/,
    );
    expect(unsupportedNodeReason('26.1.0')).toMatch(/\.node-version/);
  });
});
