import { ClientAddresses } from './client-addresses';

describe('ClientAddresses', () => {
  it('reports every address as possibly changed until a sync has taken them once', () => {
    const clients = ClientAddresses.of([{ id: 's1', vpnIp: '10.9.0.2' }]);
    expect(clients.takeTouched()).toBeUndefined();
    expect(clients.takeTouched()).toEqual(new Set());
    clients.clear();
    expect(clients.takeTouched()).toBeUndefined();
  });

  it('touches only the addresses whose membership a change moved', () => {
    const clients = ClientAddresses.of([
      { id: 's1', vpnIp: '10.9.0.2' },
      { id: 's2', vpnIp: '10.9.0.3' },
    ]);
    clients.takeTouched();
    clients.set('s3', '10.9.0.4');
    clients.delete('s1');
    clients.set('s2', '10.9.0.3');
    expect(clients.takeTouched()).toEqual(new Set(['10.9.0.4', '10.9.0.2']));
    expect(clients.members).toEqual(new Set(['10.9.0.3', '10.9.0.4']));
  });

  it('keeps an address that two sessions hold (a reconnect before the old close) until both go', () => {
    const clients = ClientAddresses.of([{ id: 'old', vpnIp: '10.9.0.2' }]);
    clients.set('new', '10.9.0.2');
    clients.delete('old');
    expect(clients.members).toEqual(new Set(['10.9.0.2']));
    clients.delete('new');
    expect(clients.members).toEqual(new Set());
    clients.delete('never-there');
    expect(clients.size).toBe(0);
  });

  it('moves a session that changes address', () => {
    const clients = ClientAddresses.of([{ id: 's1', vpnIp: '10.9.0.2' }]);
    clients.takeTouched();
    clients.set('s1', '10.9.0.9');
    expect(clients.members).toEqual(new Set(['10.9.0.9']));
    expect(clients.takeTouched()).toEqual(new Set(['10.9.0.2', '10.9.0.9']));
  });
});
