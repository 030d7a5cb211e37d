import type { ConnectionSlotsRequest, ConnectionSlotsResponse } from '@tunnelgate/sessions';
import { ConnectionSlots } from './connection-slots';

/** The store's slot arithmetic for one account, in memory (the real one is in the store tests). */
class SlotApi {
  readonly holders = new Map<string, number>();
  limit = 2;
  down = false;

  async holdSlots(request: ConnectionSlotsRequest): Promise<ConnectionSlotsResponse> {
    if (this.down) throw new Error('tunnel-api unreachable');
    let others = 0;
    for (const [holder, held] of this.holders) if (holder !== request.holder) others += held;
    const held = Math.max(0, Math.min(request.wanted, this.limit - request.reserved - others));
    this.holders.set(request.holder, held);
    return { held, limit: this.limit };
  }
}

const quiet = () => undefined;

describe('ConnectionSlots', () => {
  it('lets logins at once on two gateways take the limit between them, and no more', async () => {
    const api = new SlotApi();
    const here = { a: 0, b: 0 };
    const gatewayA = new ConnectionSlots(api, 'gw-a', () => ({ here: here.a, openvpn: 0 }), quiet);
    const gatewayB = new ConnectionSlots(api, 'gw-b', () => ({ here: here.b, openvpn: 0 }), quiet);
    try {
      const claims = await Promise.all([
        gatewayA.claim('acc', 2),
        gatewayA.claim('acc', 2),
        gatewayB.claim('acc', 2),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(2);
      expect([...api.holders.values()].reduce((a, b) => a + b, 0)).toBe(2);
    } finally {
      gatewayA.stop();
      gatewayB.stop();
    }
  });

  it('counts OpenVPN sessions, and holds the limit on this gateway alone while tunnel-api is down', async () => {
    const api = new SlotApi();
    let here = 0;
    const slots = new ConnectionSlots(api, 'gw-a', () => ({ here, openvpn: 1 }), quiet);
    try {
      expect(await slots.claim('acc', 2)).toBe(true);
      here = 1;
      expect(await slots.claim('acc', 2)).toBe(false);
      api.down = true;
      here = 0;
      expect(await slots.claim('acc', 2)).toBe(true);
      here = 1;
      expect(await slots.claim('acc', 2)).toBe(false);
    } finally {
      slots.stop();
    }
  });
});
