// The hook is one executable file: OpenVPN starts it once per client event, so start-up time is
// the cost that matters (no module resolution at run time, no framework).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../tools/cli-bundle/bundle-cli.mjs';

await bundleCli(dirname(fileURLToPath(import.meta.url)));
