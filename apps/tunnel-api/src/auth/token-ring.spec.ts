import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenRing } from './token-ring';

describe('TokenRing', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'token-ring-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const OLD = 'old-gateway-token-0123456789';
  const NEW = 'new-gateway-token-0123456789';
  const HOOK = 'hook-token-0123456789abcdef';
  const afterRecheck = () => new Promise((resolve) => setTimeout(resolve, 1100));

  it('names the principal of each token, and rotates without a restart', async () => {
    const gateway = join(dir, 'gateway-token');
    const hook = join(dir, 'hook-token');
    writeFileSync(gateway, `${OLD}\n`, { mode: 0o600 });
    writeFileSync(hook, `${HOOK}\n`, { mode: 0o600 });
    const ring = new TokenRing([
      { principal: 'gateway', path: gateway, variable: 'TUNNELGATE_GATEWAY_TOKEN_FILE' },
      { principal: 'hook', path: hook, variable: 'TUNNELGATE_HOOK_TOKEN_FILE' },
    ]);
    expect(ring.principalOf(OLD)).toBe('gateway');
    expect(ring.principalOf(HOOK)).toBe('hook');
    expect(ring.principalOf(NEW)).toBeUndefined();
    // The rotation: the new token first, the old one still valid while clients move over.
    writeFileSync(gateway, `${NEW}\n${OLD}\n`);
    await afterRecheck();
    expect(ring.principalOf(NEW)).toBe('gateway');
    expect(ring.principalOf(OLD)).toBe('gateway');
    writeFileSync(gateway, `${NEW}\n`);
    await afterRecheck();
    expect(ring.principalOf(OLD)).toBeUndefined();
    expect(ring.principalOf(NEW)).toBe('gateway');
    // A file broken mid-rotation keeps the last good tokens.
    writeFileSync(gateway, 'short\n');
    await afterRecheck();
    expect(ring.principalOf(NEW)).toBe('gateway');
  });
});
