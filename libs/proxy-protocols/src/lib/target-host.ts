import * as ipaddr from 'ipaddr.js';
import { validHostName } from './peek-result';

/** The characters an IP literal is written with (IPv6 brackets already taken off). */
const IP_LITERAL = /^[0-9A-Fa-f:.]+$/;

/**
 * Whether `host` may be a tunnel's destination: an IP literal, or a host name of RFC 1035/1123
 * characters (underscores too, as in DNS service names) within 253 bytes. Everything a customer
 * names (SOCKS5 DOMAINNAME, a CONNECT target, an absolute URI, a peeked SNI or Host) passes here
 * before it is written into a request to a device: a name with CR/LF or spaces in it would
 * smuggle a second request, with the device's credentials, past the gateway.
 */
export function isValidTargetHost(host: string): boolean {
  if (IP_LITERAL.test(host) && ipaddr.isValid(host)) return true;
  return validHostName(host) !== undefined;
}
