import { isOverQuota, whitelistAllows, type Account, type ProxyProtocol } from '../models/account';

/**
 * Why an account may not open a connection now: one list, checked in one order, that tunnel-api's
 * password check, the OpenVPN connect and the gateway all map their answers from (issue 19).
 */
export const ADMISSION_REFUSALS = [
  'ACCOUNT_DISABLED',
  'PROTOCOL_NOT_ALLOWED',
  'SOURCE_NOT_ALLOWED',
  'OVER_QUOTA',
  'TOO_MANY_CONNECTIONS',
] as const;
export type AdmissionRefusalCode = (typeof ADMISSION_REFUSALS)[number];

export interface AdmissionRefusal {
  code: AdmissionRefusalCode;
  /** Safe to show the customer. */
  message: string;
}

export interface AdmissionRequest {
  protocol: ProxyProtocol;
  /** Where the customer connects from; undefined where no address applies (transparent). */
  clientIp?: string;
  /** The account's whitelist as a matcher the caller keeps (the gateway, per connection). */
  allowsSource?: (ip: string) => boolean;
  /** Bytes relayed and not yet in `usedBytes` (a gateway's unreported ones). */
  unreportedBytes?: number;
  /** The account's connections now, where the caller counts them (OpenVPN connect). */
  connections?: number;
}

const PROTOCOL_NAMES: Record<ProxyProtocol, string> = {
  openvpn: 'OpenVPN',
  http: 'the HTTP proxy',
  socks5: 'the SOCKS5 proxy',
};

type Admitted = Pick<
  Account,
  'enabled' | 'protocols' | 'cidrWhitelist' | 'quotaBytes' | 'usedBytes' | 'maxConnections'
>;

/** What forbids the account this connection now, or undefined: the rules, in their order. */
export function admissionRefusal(
  account: Admitted,
  request: AdmissionRequest,
): AdmissionRefusal | undefined {
  if (!account.enabled) return { code: 'ACCOUNT_DISABLED', message: 'account disabled' };
  if (!account.protocols.includes(request.protocol))
    return {
      code: 'PROTOCOL_NOT_ALLOWED',
      message: `${PROTOCOL_NAMES[request.protocol]} is not enabled for this account`,
    };
  const { clientIp } = request;
  if (
    clientIp !== undefined &&
    account.cidrWhitelist.length > 0 &&
    !(request.allowsSource ? request.allowsSource(clientIp) : whitelistAllows(account, clientIp))
  )
    return {
      code: 'SOURCE_NOT_ALLOWED',
      message: 'connecting from an address outside the whitelist',
    };
  const usedBytes = account.usedBytes + (request.unreportedBytes ?? 0);
  if (isOverQuota({ quotaBytes: account.quotaBytes, usedBytes }))
    return { code: 'OVER_QUOTA', message: 'traffic quota used up' };
  if (
    request.connections !== undefined &&
    account.maxConnections !== null &&
    request.connections >= account.maxConnections
  )
    return {
      code: 'TOO_MANY_CONNECTIONS',
      message: `account allows ${account.maxConnections} connections and holds ${request.connections}`,
    };
  return undefined;
}
