import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import * as ipaddr from 'ipaddr.js';
import {
  boundAddress,
  SOCKS5_UDP_ASSOCIATE,
  socks5Negotiate,
  type Socks5Proxy,
} from '../upstream/socks5-dialer';
import type { UdpExit, UdpExitFactory } from './udp-exit';

/**
 * Through the device: a UDP ASSOCIATE on the phone's SOCKS5 proxy (with its credentials), then
 * the datagrams, still in SOCKS5 form, to the relay its reply names (the phone's UDP relay,
 * :1081 by default). The association lives as long as that control connection.
 *
 * Only BND.PORT is the phone's to choose (a zero port means the device's configured UDP port):
 * datagrams always go to the address the relay dials the phone at. A phone names its relay by
 * whatever address it bound (its cellular side, an unspecified one), and a hostile phone could
 * name the relay host's own loopback services, which would then answer it.
 */
export function deviceUdpExit(
  proxy: Socks5Proxy,
  udpPort: number,
  timeoutMs: number,
): UdpExitFactory {
  // Spelled as the kernel spells a sender (RFC 5952), so each datagram costs a string compare.
  const relayAddress = ipaddr.process(proxy.host).toString();
  return async (handlers) => {
    const { socket: control, reply } = await socks5Negotiate(
      proxy,
      SOCKS5_UDP_ASSOCIATE,
      { host: '0.0.0.0', port: 0 },
      timeoutMs,
    );
    const port = boundAddress(reply).port || udpPort;
    const relay = createSocket(isIP(relayAddress) === 6 ? 'udp6' : 'udp4');
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      control.destroy();
      relay.close();
    };
    relay.on('error', () => undefined);
    relay.on('message', (message, from) => {
      if (from.port === port && from.address === relayAddress) handlers.deliver(message);
    });
    control.on('error', () => undefined);
    control.on('close', () => {
      if (!closed) handlers.ended('the device ended the UDP association');
      close();
    });
    // The control connection carries nothing more; reading it is how its end is seen.
    control.resume();
    const exit: UdpExit = {
      send(packet) {
        if (!closed) relay.send(packet, port, relayAddress);
      },
      close,
    };
    return exit;
  };
}
