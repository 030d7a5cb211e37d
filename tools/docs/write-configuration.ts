// Writes docs/configuration.md from the built apps (run after a build):
//   SWC_NODE_PROJECT=tsconfig.base.json node -r @swc-node/register tools/docs/write-configuration.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { programVariables, renderConfiguration } from './configuration';

const file = join(__dirname, '../../docs/configuration.md');
writeFileSync(file, renderConfiguration(programVariables()));
process.stdout.write(`wrote ${file}\n`);
