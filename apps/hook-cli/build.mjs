// Bundles the hook into one executable file. OpenVPN starts it once per client event, so start-up
// time is the cost that matters: one file, no module resolution at run time, no framework.
import { chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, '../../dist/apps/hook-cli/main.js');

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
