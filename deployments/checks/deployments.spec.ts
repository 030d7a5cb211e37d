import { execFileSync, spawnSync } from 'node:child_process';
import { describeAsRoot, Netns } from '@tunnelgate/netns-testing';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copiedTo, dockerStages, stageEnv } from './dockerfile';
import {
  expand,
  podTemplates,
  probePort,
  resolveEnv,
  type Container,
  type PodSpec,
} from './pod-spec';
import { OVERLAYS, renderOverlay, ROOT, type K8sObject } from './render-overlay';
import { schemaProblem } from './validate-schema';

/** Our images, by the Dockerfile stage that builds them and the built entry point they run. */
const APPS: Record<string, { stage: string; entry: string }> = {
  'tunnelgate/tunnel-api': { stage: 'tunnel-api', entry: 'dist/apps/tunnel-api/main.js' },
  'tunnelgate/proxy-gateway': { stage: 'proxy-gateway', entry: 'dist/apps/proxy-gateway/main.js' },
  'tunnelgate/openvpn': { stage: 'openvpn', entry: 'dist/apps/hook-cli/main.js' },
};

interface PolicyPort {
  protocol: string;
  port: number;
  endPort?: number;
}

interface EnvVariable {
  name: string;
  required: boolean;
}

const knownVariables = new Map<string, EnvVariable[]>();
/**
 * What the built app itself says it reads (`main.js env`, or `manage-env` for hook-cli's
 * manager): the manifests are checked against it.
 */
function variablesOf(entry: string, command = 'env'): EnvVariable[] {
  let known = knownVariables.get(`${entry} ${command}`);
  if (!known) {
    known = JSON.parse(
      execFileSync('node', [join(ROOT, entry), command], { encoding: 'utf8' }),
    ) as EnvVariable[];
    knownVariables.set(`${entry} ${command}`, known);
  }
  return known;
}

/** A container running `hook-cli manage`. */
const isManager = (container: Container) => container.command?.at(-1) === 'manage';

function appOf(container: Container) {
  return APPS[container.image.split(':')[0] ?? ''];
}

function allContainers(spec: PodSpec): Container[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

const rendered = new Map<string, K8sObject[]>(OVERLAYS.map((o) => [o, renderOverlay(o)]));

describe.each(OVERLAYS)('deployments/k8s/overlays/%s', (overlay) => {
  const objects = rendered.get(overlay) ?? [];
  const pods = podTemplates(objects);
  const containers = pods.flatMap(({ owner, spec }) =>
    allContainers(spec).map((container) => ({ owner, container })),
  );
  const ours = containers.filter(({ container }) => appOf(container));

  it('renders, and every object is valid against the Kubernetes schemas', () => {
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.map(schemaProblem).filter(Boolean)).toEqual([]);
  });

  it('runs no privileged container and lets none escalate', () => {
    const offenders = containers
      .filter(
        ({ container }) =>
          container.securityContext?.privileged !== false ||
          container.securityContext.allowPrivilegeEscalation !== false,
      )
      .map(({ owner, container }) => `${owner}/${container.name}`);
    expect(offenders).toEqual([]);
  });

  it('sets only variables the app reads, and every variable the app requires', () => {
    expect(ours.length).toBeGreaterThan(0);
    const problems = ours.flatMap(({ owner, container }) => {
      const known = variablesOf(
        appOf(container)?.entry ?? '',
        isManager(container) ? 'manage-env' : 'env',
      );
      const set = (container.env ?? []).map((v) => v.name);
      const referenced = JSON.stringify([container.env, container.command]);
      const unknown = set.filter((name) =>
        name.startsWith('TUNNELGATE_')
          ? !known.some((v) => v.name === name)
          : !referenced.includes(`$(${name})`),
      );
      const missing = known.filter((v) => v.required && !set.includes(v.name)).map((v) => v.name);
      return [
        ...unknown.map((name) => `${owner}/${container.name}: ${name} is read by nothing`),
        ...missing.map((name) => `${owner}/${container.name}: required ${name} is not set`),
      ];
    });
    expect(problems).toEqual([]);
  });

  it('uses images the Dockerfile builds, on pinned bases', () => {
    const { args, stages } = dockerStages();
    const stageNames = stages.map((s) => s.name);
    for (const { container } of ours) expect(stageNames).toContain(appOf(container)?.stage);
    const bases = stages.map((s) => expand(s.from.replace(/\$\{(\w+)\}/g, '$($1)'), args));
    const foreign = containers.filter(({ container }) => !appOf(container));
    for (const image of [
      ...bases.filter((b) => !stageNames.includes(b)),
      ...foreign.map((c) => c.container.image),
    ])
      expect(image).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/);
  });

  it('installs in each image every package its built app requires', () => {
    const { stages } = dockerStages();
    for (const app of ['tunnel-api', 'proxy-gateway']) {
      const bundle = readFileSync(join(ROOT, `dist/apps/${app}/main.js`), 'utf8');
      const required = new Set(
        [...bundle.matchAll(/require\("([^"]+)"\)/g)]
          .map((m) => m[1] ?? '')
          .filter((name) => !name.startsWith('node:') && !builtinModules.includes(name))
          .map((name) =>
            (name.startsWith('@') ? name.split('/').slice(0, 2) : name.split('/').slice(0, 1)).join(
              '/',
            ),
          ),
      );
      // What `npm ci --omit=dev` installs there: every top-level package of the generated lock.
      const lock = JSON.parse(
        readFileSync(join(ROOT, `dist/apps/${app}/package-lock.json`), 'utf8'),
      ) as {
        packages: Record<string, { dev?: boolean }>;
      };
      const locked = Object.entries(lock.packages)
        .filter(([path, entry]) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path) && !entry.dev)
        .map(([path]) => path.slice('node_modules/'.length));
      const stage = stages.find((s) => s.name === app);
      const copied = (stage?.lines ?? []).flatMap((line) => {
        const into = /^COPY .* node_modules\/(\S+?)\/?$/.exec(line);
        return into ? [into[1] ?? ''] : [];
      });
      const installed = new Set([...locked, ...copied]);
      expect({ app, missing: [...required].filter((name) => !installed.has(name)) }).toEqual({
        app,
        missing: [],
      });
    }
  });

  it("points tunnel-api's REDIRECT at the gateway's transparent listener", () => {
    for (const { spec } of pods.filter((p) => p.owner.startsWith('DaemonSet/'))) {
      const envOf = (name: string) =>
        Object.fromEntries(
          (spec.containers.find((c) => c.name === name)?.env ?? []).map((v) => [v.name, v.value]),
        );
      const redirectPort = envOf('tunnel-api')['TUNNELGATE_TRANSPARENT_PORT'];
      const listen = envOf('proxy-gateway')['TUNNELGATE_GATEWAY_TRANSPARENT_LISTEN'] ?? '';
      expect(redirectPort).toMatch(/^\d+$/);
      expect(listen.split(':').pop()).toBe(redirectPort);
    }
  });

  it("admits the gateway's SOCKS5 UDP association ports", () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const admitted = policies.flatMap((policy) =>
      ((policy['spec'] as { ingress?: { from?: unknown; ports?: PolicyPort[] }[] }).ingress ?? [])
        .filter((rule) => rule.from === undefined)
        .flatMap((rule) => rule.ports ?? []),
    );
    for (const { container } of ours.filter(
      ({ container }) => container.name === 'proxy-gateway',
    )) {
      const range = container.env?.find((v) => v.name === 'TUNNELGATE_GATEWAY_UDP_PORTS')?.value;
      expect(range).toMatch(/^\d+-\d+$/);
      const [from, to] = (range ?? '').split('-').map(Number);
      expect(admitted).toContainEqual({ protocol: 'UDP', port: from, endPort: to });
    }
  });

  it('starts OpenVPN through the hook path its image installs', () => {
    const openvpnStage = dockerStages().stages.find((s) => s.name === 'openvpn');
    const hookPath = openvpnStage && copiedTo(openvpnStage, 'dist/apps/hook-cli/main.js');
    const template =
      openvpnStage && copiedTo(openvpnStage, 'deployments/openvpn/server.conf.template');
    expect(hookPath).toMatch(/^\//);
    expect(openvpnStage && stageEnv(openvpnStage)['TUNNELGATE_OPENVPN_TEMPLATE']).toBe(template);
    const openvpns = ours.filter(({ container }) => appOf(container)?.stage === 'openvpn');
    const servers = openvpns.filter(({ container }) => !isManager(container));
    const managers = openvpns.filter(({ container }) => isManager(container));
    expect(servers.length).toBeGreaterThanOrEqual(2);
    expect(managers.length).toBe(servers.length);
    for (const { container } of servers) {
      const script = (container.command ?? []).join(' ');
      expect(script).toContain(`${hookPath} server-config >`);
      expect(script).toMatch(/exec openvpn --config /);
    }
    for (const { container } of managers) expect(container.command).toEqual([hookPath, 'manage']);
  });

  it('probes only ports its containers declare, with the same probes on every overlay', () => {
    const probes = ours.flatMap(({ container }) =>
      [container.livenessProbe, container.readinessProbe, container.startupProbe].flatMap((p) =>
        p?.httpGet
          ? [
              {
                container: container.name,
                path: p.httpGet.path,
                port: probePort(container, p.httpGet.port),
              },
            ]
          : [],
      ),
    );
    expect(probes.filter((p) => p.port === undefined)).toEqual([]);
    expect(probes.length).toBeGreaterThanOrEqual(4);
    const singleNode = podTemplates(rendered.get('single-node') ?? [])[0]?.spec.containers ?? [];
    for (const { container } of ours) {
      const same = singleNode.find((c) => c.name === container.name);
      expect([container.livenessProbe, container.readinessProbe]).toEqual([
        same?.livenessProbe,
        same?.readinessProbe,
      ]);
    }
  });
});

/**
 * The single-node relay pod's containers, started from the rendered manifest on the built apps
 * inside a network namespace (host network = the namespace; the node's address = its loopback),
 * with each volume a directory here: then the kubelet's probes are asked for real.
 */
describeAsRoot('the single-node relay pod, started from its manifest', () => {
  const objects = rendered.get('single-node') ?? [];
  const pod = podTemplates(objects).find((p) => p.owner.startsWith('DaemonSet/'));
  let ns: Netns;
  let dir: string;

  /** Each volume becomes a directory; Secrets get files with stand-in contents. */
  function mountVolumes(container: Container, env: Record<string, string>): Record<string, string> {
    let remapped = JSON.stringify(env);
    for (const mount of container.volumeMounts ?? []) {
      const local = join(dir, mount.name);
      mkdirSync(local, { recursive: true });
      remapped = remapped.split(mount.mountPath).join(local);
    }
    return JSON.parse(remapped) as Record<string, string>;
  }

  function writeSecrets(): void {
    for (const [volume, files] of Object.entries({
      'api-token': {
        'api-token': 'k8s-check-token-0123456789abcdef',
        'gateway-token': 'k8s-check-gateway-token-0123456789',
        'hook-token': 'k8s-check-hook-token-0123456789ab',
      },
      'gateway-token': { 'gateway-token': 'k8s-check-gateway-token-0123456789' },
      'hook-token': { 'hook-token': 'k8s-check-hook-token-0123456789ab' },
      'openvpn-pki': { 'ca.crt': 'ca', 'server.crt': 'cert', 'server.key': 'key' },
      'openvpn-ca': { 'ca.crt': 'ca' },
    })) {
      mkdirSync(join(dir, volume), { recursive: true });
      for (const [file, content] of Object.entries(files)) {
        writeFileSync(join(dir, volume, file), content);
        chmodSync(join(dir, volume, file), 0o440);
      }
    }
  }

  function containerEnv(name: string): { container: Container; env: Record<string, string> } {
    const container = pod?.spec.containers.find((c) => c.name === name);
    if (!container) throw new Error(`no container ${name}`);
    const env = resolveEnv(container, objects, {
      hostIp: '127.0.0.1',
      secret: (secret) => {
        throw new Error(`single-node reads no Secret through env (${secret})`);
      },
    });
    return { container, env: mountVolumes(container, env) };
  }

  function start(name: string): void {
    const { container, env } = containerEnv(name);
    const entry = appOf(container)?.entry ?? '';
    ns.spawn('node', [join(ROOT, entry)], env);
  }

  /** Polls like the kubelet until the probe answers, or gives its last status after the deadline. */
  async function probe(name: string, kind: 'livenessProbe' | 'readinessProbe'): Promise<string> {
    const container = pod?.spec.containers.find((c) => c.name === name);
    const get = container?.[kind]?.httpGet;
    if (!container || !get) return 'no probe';
    const url = `http://${get.host ?? '127.0.0.1'}:${probePort(container, get.port)}${get.path}`;
    let status = '';
    for (let attempt = 0; attempt < 60 && status !== '200'; attempt++) {
      // curl exits non-zero while the port is closed; its printed status is what counts.
      status = spawnSync(
        'ip',
        [
          'netns',
          'exec',
          ns.name,
          'curl',
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '--max-time',
          '1',
          url,
        ],
        { encoding: 'utf8' },
      ).stdout;
      if (status !== '200') await new Promise((r) => setTimeout(r, 250));
    }
    return `${name} ${kind} ${get.path} → ${status}`;
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'k8s-pod-'));
    chmodSync(dir, 0o755);
    ns = new Netns();
    writeSecrets();
  });

  afterAll(() => {
    ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tunnel-api and proxy-gateway answer their liveness and readiness probes', async () => {
    start('tunnel-api');
    start('proxy-gateway');
    const answers = [];
    for (const name of ['tunnel-api', 'proxy-gateway'])
      for (const kind of ['livenessProbe', 'readinessProbe'] as const)
        answers.push(await probe(name, kind));
    expect(answers).toEqual([
      'tunnel-api livenessProbe /healthz → 200',
      'tunnel-api readinessProbe /readyz → 200',
      'proxy-gateway livenessProbe /healthz → 200',
      'proxy-gateway readinessProbe /readyz → 200',
    ]);
  }, 60_000);

  it("each OpenVPN container's environment renders a server config its manager answers", () => {
    for (const name of ['openvpn-udp', 'openvpn-tcp']) {
      const { env } = containerEnv(name);
      const manager = containerEnv(`${name}-manager`).env;
      const hook = join(ROOT, 'dist/apps/hook-cli/main.js');
      const config = execFileSync(hook, ['server-config'], {
        encoding: 'utf8',
        env: {
          PATH: process.env['PATH'],
          ...env,
          TUNNELGATE_OPENVPN_TEMPLATE: join(ROOT, 'deployments/openvpn/server.conf.template'),
        },
      });
      expect(config).toContain(`dev ${env['TUNNELGATE_OPENVPN_DEV']}`);
      expect(config).toContain('management-client-auth');
      expect(config).toContain(
        `management ${manager['TUNNELGATE_OPENVPN_MANAGEMENT_SOCKET']} unix`,
      );
      expect(config).toMatch(
        new RegExp(`server ${(manager['TUNNELGATE_OPENVPN_SUBNET'] ?? '').split('/')[0]} `),
      );
    }
  });
});
