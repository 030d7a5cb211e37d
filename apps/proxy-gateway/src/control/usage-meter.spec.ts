import type { Socket } from 'node:net';
import { Registry } from 'prom-client';
import type { UsageReportRequest, UsageReportResponse } from '@tunnelgate/sessions';
import { ConnectionRegistry } from '../connections/connection-registry';
import { ClientTunnel } from '../connections/tunnel';
import { gatewayMetrics } from '../metrics/gateway-metrics';
import { ApiRefusal } from '@tunnelgate/api-client';
import { UsageMeter } from './usage-meter';

/**
 * The meter against a scripted tunnel-api: what matters here is which reports it sends and
 * when, and the real store's once-per-id (the store contract) is what makes a resend safe.
 */
class ScriptedApi {
  readonly reports: UsageReportRequest[] = [];
  /** What each next call does; an empty script answers every report. */
  readonly script: ('answer' | 'lose-answer' | 'refuse')[] = [];

  async reportUsage(report: UsageReportRequest): Promise<UsageReportResponse> {
    this.reports.push(structuredClone(report));
    const next = this.script.shift() ?? 'answer';
    if (next === 'lose-answer') throw new Error('socket hang up');
    if (next === 'refuse') throw new ApiRefusal(400, 'VALIDATION_FAILED', 'bad report');
    return { duplicate: false, unknownAccounts: [], accounts: [] };
  }
}

/** A client socket as the meter sees it: its byte counts. */
function fakeClient(): Socket & { bytesRead: number; bytesWritten: number } {
  return { bytesRead: 0, bytesWritten: 0 } as unknown as Socket & {
    bytesRead: number;
    bytesWritten: number;
  };
}

function setup(flush: { flushMs: number; flushBytes: number }) {
  const api = new ScriptedApi();
  const registry = new ConnectionRegistry(gatewayMetrics(new Registry(), 0));
  const client = fakeClient();
  const tunnel = new ClientTunnel(1, 'http', client);
  tunnel.accountId = 'alice';
  registry.add(tunnel);
  const logs: Record<string, unknown>[] = [];
  const meter = new UsageMeter(
    api,
    { setUsedBytes: () => undefined },
    registry,
    { reporter: 'gw-1', ...flush },
    (entry) => logs.push(entry),
  );
  return { api, client, tunnel, meter, logs };
}

describe('UsageMeter', () => {
  it('sends a report whose answer was lost again as it was, same id, and new bytes after it', async () => {
    const { api, client, tunnel, meter } = setup({ flushMs: 3_600_000, flushBytes: 1 << 30 });
    api.script.push('lose-answer');
    client.bytesRead = 1000;
    meter.sample(tunnel);
    await meter.flush();
    // Bytes relayed while the first report is unanswered wait for a report of their own.
    client.bytesWritten = 500;
    meter.sample(tunnel);
    expect(meter.unreported('alice')).toBe(1500);
    await meter.flush();
    expect(meter.unreported('alice')).toBe(500);
    await meter.flush();
    expect(meter.unreported('alice')).toBe(0);
    expect(api.reports.map((r) => r.entries)).toEqual([
      [{ accountId: 'alice', bytes: 1000 }],
      [{ accountId: 'alice', bytes: 1000 }],
      [{ accountId: 'alice', bytes: 500 }],
    ]);
    expect(api.reports[1]?.id).toBe(api.reports[0]?.id);
    expect(api.reports[2]?.id).not.toBe(api.reports[0]?.id);
    expect(api.reports.every((r) => r.reporter === 'gw-1')).toBe(true);
  });

  it('drops a report tunnel-api refused on its content, with an error line, and goes on', async () => {
    const { api, client, tunnel, meter, logs } = setup({ flushMs: 3_600_000, flushBytes: 1 << 30 });
    api.script.push('refuse');
    client.bytesRead = 1000;
    meter.sample(tunnel);
    await meter.flush();
    client.bytesRead = 1200;
    meter.sample(tunnel);
    await meter.flush();
    expect(api.reports.map((r) => r.entries[0]?.bytes)).toEqual([1000, 200]);
    expect(logs).toEqual([expect.objectContaining({ level: 'error', bytes: 1000 })]);
  });

  it('reports an account as soon as it has flushBytes unreported, before the time is due', async () => {
    const { api, client, meter } = setup({ flushMs: 3_600_000, flushBytes: 64 * 1024 });
    client.bytesRead = 10_000;
    await meter.tick();
    expect(api.reports).toEqual([]);
    client.bytesRead = 64 * 1024;
    await meter.tick();
    expect(api.reports.map((r) => r.entries)).toEqual([[{ accountId: 'alice', bytes: 65_536 }]]);
  });
});
