// Bundles the operator CLI into one executable file: it runs anywhere the built tree is (a relay
// host, a pod's shell) without node_modules beside it, and starts fast enough to script.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, '../../dist/apps/operator-cli/main.js');

await build({
  entryPoints: [join(here, 'src/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  tsconfig: join(here, 'tsconfig.json'),
  banner: { js: '#!/usr/bin/env node' },
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
chmodSync(outfile, 0o755);
