import { ScrapedRelay } from '@tunnelgate/app-testing';
import { describeAsRoot } from '@tunnelgate/netns-testing';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT, type K8sObject } from './render-overlay';

const MONITORING = join(ROOT, 'deployments/k8s/monitoring');

interface Dashboard {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
}
interface AlertRule {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
}

const referenced = (expr: string) =>
  [...expr.matchAll(/\btunnelgate_[a-z0-9_]+/g)].map((m) => m[0]);

/**
 * The monitoring manifests against the metrics the built apps really export: tunnel-api (its
 * firewall on, in a namespace of the test's own) and a relay gateway with two workers (its
 * primary's own series too) are started and scraped, and every metric a dashboard query or an
 * alert names must be among theirs.
 */
describeAsRoot('deployments/k8s/monitoring', () => {
  let relay: ScrapedRelay | undefined;
  let metrics: Set<string>;

  beforeAll(async () => {
    relay = await new ScrapedRelay().start();
    metrics = relay.metricNames();
  }, 60_000);

  afterAll(() => relay?.remove());

  const dashboard = JSON.parse(
    readFileSync(join(MONITORING, 'tunnelgate-dashboard.json'), 'utf8'),
  ) as Dashboard;
  const alertsFile = parseAllDocuments(
    readFileSync(join(MONITORING, 'relay-alerts.yaml'), 'utf8'),
  )[0]?.toJS() as {
    spec: { groups: { rules: AlertRule[] }[] };
  };
  const rules = alertsFile.spec.groups.flatMap((group) => group.rules);

  it('the scrape found both apps and the gateway primary', () => {
    for (const name of [
      'tunnelgate_api_request_duration_seconds',
      'tunnelgate_gateway_connections_total',
      'tunnelgate_gateway_workers',
    ])
      expect(metrics).toContain(name);
  });

  it('every dashboard query names only metrics the apps export', () => {
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(10);
    const unknown = panels.flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) =>
        referenced(target.expr)
          .filter((name) => !metrics.has(name))
          .map((name) => `${panel.title}: ${name}`),
      ),
    );
    expect(panels.filter((panel) => (panel.targets ?? []).length === 0)).toEqual([]);
    expect(unknown).toEqual([]);
  });

  it('every alert names only exported metrics, and has a severity and a summary', () => {
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining([
        'TunnelgateFirewallSyncFailing',
        'TunnelgateApiNotReady',
        'TunnelgateDeviceUnavailableForCustomers',
        'TunnelgateQuotaReached',
        'TunnelgateGatewayUpstreamFailures',
        'TunnelgateFileDescriptorsNearLimit',
      ]),
    );
    const unknown = rules.flatMap((rule) =>
      referenced(rule.expr)
        .filter((name) => !metrics.has(name))
        .map((name) => `${rule.alert}: ${name}`),
    );
    expect(unknown).toEqual([]);
    for (const rule of rules) {
      expect(rule.labels?.severity).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations?.summary).toBeTruthy();
    }
  });

  it('renders, and its PodMonitor scrapes the relay pods on ports they have', () => {
    const text = execFileSync('kubectl', ['kustomize', MONITORING], { encoding: 'utf8' });
    const objects = parseAllDocuments(text).map((doc) => doc.toJS() as K8sObject);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'PodMonitor',
      'PrometheusRule',
    ]);
    const monitor = objects.find((o) => o.kind === 'PodMonitor') as K8sObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: { port: string }[];
      };
    };
    const daemonset = parseAllDocuments(
      readFileSync(join(ROOT, 'deployments/k8s/relay/relay-daemonset.yaml'), 'utf8'),
    )[0]?.toJS() as {
      spec: {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: { ports?: { name: string }[] }[] };
        };
      };
    };
    expect(daemonset.spec.template.metadata.labels).toMatchObject(
      monitor.spec.selector.matchLabels,
    );
    const ports = daemonset.spec.template.spec.containers.flatMap((c) =>
      (c.ports ?? []).map((p) => p.name),
    );
    for (const endpoint of monitor.spec.podMetricsEndpoints) expect(ports).toContain(endpoint.port);
    const dashboardMap = objects.find((o) => o.kind === 'ConfigMap') as K8sObject & {
      metadata: { labels?: Record<string, string> };
    };
    expect(dashboardMap.metadata.labels?.['grafana_dashboard']).toBe('1');
  });
});
