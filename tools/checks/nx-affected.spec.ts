import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '../..');
const NX = require.resolve('nx/bin/nx');

/**
 * A scratch copy of this working tree (tracked and new files, not ignored ones) committed in a
 * repository of its own, so that a test can edit a file and ask Nx what the edit affects, as
 * `nx affected` in CI would, without touching the real tree.
 */
class ScratchWorkspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'tunnelgate-nx-'));

  constructor() {
    const files = execFileSync(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    )
      .split('\0')
      .filter(Boolean);
    for (const file of files) {
      try {
        mkdirSync(dirname(join(this.dir, file)), { recursive: true });
        cpSync(join(ROOT, file), join(this.dir, file));
      } catch (error) {
        // A file deleted in the working tree but not yet in the index.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    symlinkSync(join(ROOT, 'node_modules'), join(this.dir, 'node_modules'));
    this.git('init', '-q', '-b', 'main');
    this.git('add', '-A');
    this.git('-c', 'user.name=test', '-c', 'user.email=test@localhost', 'commit', '-qm', 'base');
  }

  /** The projects `nx show projects --affected` lists after appending a comment to `file`. */
  affectedByEditing(file: string): string[] {
    const comment = file.endsWith('.yaml') ? '\n# edited\n' : '\n/* edited */\n';
    appendFileSync(join(this.dir, file), comment);
    try {
      return (
        JSON.parse(this.nx('show', 'projects', '--affected', '--base=HEAD', '--json')) as string[]
      ).sort();
    } finally {
      this.git('checkout', '-q', '--', file);
    }
  }

  nx(...args: string[]): string {
    return execFileSync(process.execPath, [NX, ...args], {
      cwd: this.dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        FORCE_COLOR: '0',
      },
    });
  }

  private git(...args: string[]): void {
    execFileSync('git', args, { cwd: this.dir, stdio: 'ignore' });
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Everything that starts an app's build (dist/apps/<app>/main.js) in its tests or checks. */
const STARTS_TUNNEL_API = [
  'tunnel-api-e2e',
  'proxy-gateway-e2e',
  'hook-cli-e2e',
  'relay-e2e',
  'deployments',
];

const WEBPACK_CONFIG = 'tools/build/nest-app-webpack.js';

describe('nx affected tells the truth (real Nx, a scratch copy of this tree)', () => {
  let workspace: ScratchWorkspace;
  beforeAll(() => {
    workspace = new ScratchWorkspace();
  });
  afterAll(() => workspace?.remove());

  it('an edit to tunnel-api affects every project whose tests start its build', () => {
    const affected = workspace.affectedByEditing('apps/tunnel-api/src/openvpn/openvpn.service.ts');
    expect(affected).toEqual(expect.arrayContaining(['tunnel-api', ...STARTS_TUNNEL_API]));
    expect(affected).not.toContain('proxy-gateway');
    expect(affected).not.toContain('hook-cli');
  });

  it('an edit to a manifest affects the deployments project and what renders its templates', () => {
    expect(workspace.affectedByEditing('deployments/k8s/base/kustomization.yaml')).toEqual(
      expect.arrayContaining(['deployments']),
    );
    const affected = workspace.affectedByEditing('deployments/openvpn/server.conf.template');
    expect(affected).toEqual(expect.arrayContaining(['deployments', 'hook-cli-e2e', 'relay-e2e']));
    expect(affected).not.toContain('tunnel-api');
  });

  it('an edit to the shared webpack config affects both Nest apps and is an input of their builds', () => {
    const affected = workspace.affectedByEditing(WEBPACK_CONFIG);
    expect(affected).toEqual(
      expect.arrayContaining(['tunnel-api', 'proxy-gateway', 'proxy-gateway-e2e']),
    );
    expect(affected).not.toContain('hook-cli');
    for (const app of ['tunnel-api', 'proxy-gateway']) {
      const check = workspace.nx(
        'show',
        'target',
        'inputs',
        `${app}:build`,
        '--check',
        WEBPACK_CONFIG,
      );
      expect(check).toContain(`${WEBPACK_CONFIG} is an input for ${app}:build`);
    }
  });

  it('an edit to the CLI bundler affects both bundled CLIs and neither Nest app', () => {
    const affected = workspace.affectedByEditing('tools/cli-bundle/bundle-cli.mjs');
    expect(affected).toEqual(expect.arrayContaining(['hook-cli', 'operator-cli']));
    expect(affected).not.toContain('tunnel-api');
    expect(affected).not.toContain('proxy-gateway');
  });

  it('an edit to the original-dst addon affects the gateway, and only it of the apps', () => {
    const affected = workspace.affectedByEditing('libs/original-dst/src/original_dst.c');
    expect(affected).toEqual(
      expect.arrayContaining(['original-dst', 'proxy-gateway', 'proxy-gateway-e2e']),
    );
    expect(affected).not.toContain('tunnel-api');
    expect(affected).not.toContain('hook-cli');
  });

  it('the test utilities are tagged apart from runtime libs', () => {
    const project = JSON.parse(workspace.nx('show', 'project', 'netns-testing', '--json')) as {
      tags: string[];
    };
    expect(project.tags).toContain('type:testing');
    expect(project.tags).not.toContain('type:lib');
    const affected = workspace.affectedByEditing('libs/netns-testing/src/index.ts');
    expect(affected).toEqual(
      expect.arrayContaining(['netns-testing', 'tunnel-api-e2e', 'relay-e2e']),
    );
    expect(affected).not.toContain('hook-cli');
  });
});
