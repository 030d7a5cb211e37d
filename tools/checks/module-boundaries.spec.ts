import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '../..');

const ESLINT = join(ROOT, 'node_modules/eslint/bin/eslint.js');

interface EslintResult {
  messages: { ruleId: string | null; message: string }[];
}

/**
 * Lints a throwaway file placed inside a real project, with the ESLint CLI and that project's
 * config, as `nx lint` runs it: proof that the boundaries are enforced, not just declared.
 */
async function lintAsIfIn(
  projectDir: string,
  source: string,
  suffix: '.ts' | '.spec.ts' = '.ts',
): Promise<string[]> {
  const file = join(ROOT, projectDir, 'src', `boundary-probe-${randomUUID()}${suffix}`);
  writeFileSync(file, source);
  try {
    const run = spawnSync(process.execPath, [ESLINT, '--format', 'json', file], {
      cwd: join(ROOT, projectDir),
      encoding: 'utf8',
      env: { ...process.env, NX_DAEMON: 'false' },
    });
    if (!run.stdout) throw new Error(`eslint printed nothing: ${run.stderr}`);
    const [result] = JSON.parse(run.stdout) as EslintResult[];
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parser'}: ${m.message}`);
  } finally {
    rmSync(file, { force: true });
  }
}

describe('module boundaries (real ESLint, real project graph)', () => {
  it('lets a pure lib import what it may (the control case)', async () => {
    expect(
      await lintAsIfIn(
        'libs/sessions',
        `import * as z from 'zod/mini';\nexport const probe = z.string();\n`,
      ),
    ).toEqual([]);
  });

  it('fails a pure lib that imports node:child_process', async () => {
    const problems = await lintAsIfIn(
      'libs/sessions',
      `import { execFileSync } from 'node:child_process';\nexport const probe = execFileSync;\n`,
    );
    expect(problems).toEqual([expect.stringMatching(/^no-restricted-imports: .*no I\/O/)]);
  });

  it('fails a pure lib that imports a Nest package or a logger', async () => {
    const problems = await lintAsIfIn(
      'libs/sessions',
      `import { Injectable } from '@nestjs/common';\nimport * as winston from 'winston';\nexport const probe = [Injectable, winston];\n`,
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^@nx\/enforce-module-boundaries: .*@nestjs\/common/),
        expect.stringMatching(/^no-restricted-imports: .*no framework/),
      ]),
    );
  });

  it("fails proxy-gateway importing tunnel-api's store lib", async () => {
    const problems = await lintAsIfIn(
      'apps/proxy-gateway',
      `import { SqliteStore } from '@tunnelgate/store';\nexport const probe = SqliteStore;\n`,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^@nx\/enforce-module-boundaries: .*"scope:proxy-gateway" can only depend on .*"scope:shared"/,
      ),
    ]);
  });

  it('fails classic zod anywhere (the workspace uses zod/mini)', async () => {
    const problems = await lintAsIfIn(
      'apps/tunnel-api',
      `import { z } from 'zod';\nexport const probe = z.string();\n`,
    );
    expect(problems).toEqual([expect.stringMatching(/^no-restricted-imports: .*zod\/mini/)]);
  });

  it('fails an app importing another app', async () => {
    const target = relative(
      join(ROOT, 'apps/proxy-gateway/src'),
      join(ROOT, 'apps/tunnel-api/src/app.module'),
    );
    const problems = await lintAsIfIn(
      'apps/proxy-gateway',
      `import { AppModule } from '${target}';\nexport const probe = AppModule;\n`,
    );
    expect(problems).toEqual([expect.stringMatching(/^@nx\/enforce-module-boundaries: /)]);
  });

  it('fails app code importing the test utilities, and lets its tests import them', async () => {
    const source = `import { Netns } from '@tunnelgate/netns-testing';\nexport const probe = Netns;\n`;
    expect(await lintAsIfIn('apps/tunnel-api', source)).toEqual([
      expect.stringMatching(
        /^@nx\/enforce-module-boundaries: .*"type:app" can only depend on .*"type:lib"/,
      ),
    ]);
    expect(await lintAsIfIn('apps/tunnel-api', source, '.spec.ts')).toEqual([]);
  });

  it("fails tunnel-api importing the gateway's original-dst addon", async () => {
    const problems = await lintAsIfIn(
      'apps/tunnel-api',
      `import { originalDestination } from '@tunnelgate/original-dst';\nexport const probe = originalDestination;\n`,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^@nx\/enforce-module-boundaries: .*"scope:tunnel-api" can only depend/,
      ),
    ]);
  });

  it("lets an e2e project import its own app's sources, and no other app's", async () => {
    const own = `import { createGateway } from '../../proxy-gateway/src/bootstrap';\nexport const probe = createGateway;\n`;
    const other = `import { AppModule } from '../../tunnel-api/src/app.module';\nexport const probe = AppModule;\n`;
    expect(await lintAsIfIn('apps/proxy-gateway-e2e', own, '.spec.ts')).toEqual([]);
    expect(await lintAsIfIn('apps/proxy-gateway-e2e', other, '.spec.ts')).toEqual([
      expect.stringMatching(/^@nx\/enforce-module-boundaries: /),
    ]);
  });
});
