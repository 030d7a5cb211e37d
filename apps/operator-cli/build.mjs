// The operator CLI is one executable file: it runs on a relay host or in a pod's shell without
// node_modules beside it, and starts fast enough to script.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../tools/cli-bundle/bundle-cli.mjs';

await bundleCli(dirname(fileURLToPath(import.meta.url)));
