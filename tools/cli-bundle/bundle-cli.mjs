// Bundles a command-line app into one executable file (dist/apps/<app>/main.js): no module
// resolution at run time and no node_modules beside it, so it starts fast (OpenVPN starts the
// hook once per client event) and runs anywhere the built tree is.
import { chmodSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

/** `appDir`: the app's folder (its src/main.ts and tsconfig.json). */
export async function bundleCli(appDir) {
  const outfile = join(appDir, '../../dist/apps', basename(appDir), 'main.js');
  await build({
    entryPoints: [join(appDir, 'src/main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    tsconfig: join(appDir, 'tsconfig.json'),
    banner: { js: '#!/usr/bin/env node' },
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
}
