import * as z from 'zod/mini';
import { accountSchema } from '../models/account';
import { CHANGE_OPS } from '../models/change';
import { clientSessionSchema } from '../models/client-session';
import { deviceSchema } from '../models/device';
import { publicDeviceSchema } from './devices.contract';
import {
  boundedString,
  idSchema,
  ipSchema,
  reportedBytesSchema,
  usernameSchema,
} from '../models/primitives';

/** An account as it leaves tunnel-api: everything but the password hash. */
export const publicAccountSchema = z.omit(accountSchema, { passwordHash: true });

export const WATCH_KINDS = ['session', 'account', 'device'] as const;
export type WatchKind = (typeof WATCH_KINDS)[number];

/** GET /v1/watch?kinds=session,account,device&after=N */
export const watchQuerySchema = z.strictObject({
  /** Resume after this revision (from an earlier stream); without it the stream starts with a snapshot. */
  after: z.optional(z.coerce.number().check(z.int(), z.minimum(0))),
  /**
   * The epoch `after` belongs to (from the snapshot): a store whose data was replaced since
   * answers 410, and the caller takes a snapshot.
   */
  epoch: z.optional(boundedString(1, 200)),
  /** Comma-separated; all kinds when absent. */
  kinds: z.optional(
    z.pipe(
      z
        .string()
        .check(
          z.regex(
            /^(session|account|device)(,(session|account|device))*$/,
            'expected kinds from session, account, device, comma-separated',
          ),
        ),
      z.transform((text) => [...new Set(text.split(','))] as WatchKind[]),
    ),
  ),
});

const changeLineSchema = z.discriminatedUnion('kind', [
  z.object({
    type: z.literal('change'),
    revision: z.number(),
    kind: z.literal('session'),
    op: z.enum(CHANGE_OPS),
    value: clientSessionSchema,
  }),
  z.object({
    type: z.literal('change'),
    revision: z.number(),
    kind: z.literal('account'),
    op: z.enum(CHANGE_OPS),
    value: publicAccountSchema,
  }),
  z.object({
    type: z.literal('change'),
    revision: z.number(),
    kind: z.literal('device'),
    op: z.enum(CHANGE_OPS),
    /** With its proxies' credentials for gateways; for every other principal, without. */
    value: z.union([deviceSchema, publicDeviceSchema]),
  }),
]);

/** The lines of the watch stream (newline-delimited JSON). */
export const watchLineSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    revision: z.number(),
    /** The store's epoch: send it back with `after` to resume. */
    epoch: z.optional(z.string()),
    /** Active sessions only. */
    sessions: z.optional(z.array(clientSessionSchema)),
    accounts: z.optional(z.array(publicAccountSchema)),
    devices: z.optional(z.array(z.union([deviceSchema, publicDeviceSchema]))),
  }),
  changeLineSchema,
  z.object({ type: z.literal('heartbeat'), revision: z.number() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type WatchLine = z.infer<typeof watchLineSchema>;

/** The schema of each kind of record a watch line carries. */
export const WATCH_RECORD_SCHEMAS = {
  session: clientSessionSchema,
  account: publicAccountSchema,
  device: deviceSchema,
} as const;

/**
 * A watch line with its records left undecoded: a reader decodes each record on its own
 * (`WATCH_RECORD_SCHEMAS`), so that one bad record costs that record, never the whole stream.
 */
export const watchEnvelopeSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('snapshot'),
    revision: z.number(),
    epoch: z.optional(z.string()),
    sessions: z.optional(z.array(z.unknown())),
    accounts: z.optional(z.array(z.unknown())),
    devices: z.optional(z.array(z.unknown())),
  }),
  z.object({
    type: z.literal('change'),
    revision: z.number(),
    kind: z.enum(WATCH_KINDS),
    op: z.enum(CHANGE_OPS),
    value: z.unknown(),
  }),
  z.object({ type: z.literal('heartbeat'), revision: z.number() }),
  z.object({ type: z.literal('error'), message: z.string() }),
]);
export type WatchEnvelope = z.infer<typeof watchEnvelopeSchema>;

export const GATEWAY_PROTOCOLS = ['http', 'socks5'] as const;
export type GatewayProtocol = (typeof GATEWAY_PROTOCOLS)[number];

/** POST /v1/proxy/auth — the gateway checks a customer's password (it never sees hashes). */
export const proxyAuthRequestSchema = z.strictObject({
  username: usernameSchema,
  password: boundedString(1, 1024),
  protocol: z.enum(GATEWAY_PROTOCOLS),
  clientIp: ipSchema,
});
export type ProxyAuthRequest = z.infer<typeof proxyAuthRequestSchema>;
export const proxyAuthResponseSchema = z.object({ ok: z.literal(true), accountId: z.string() });
export type ProxyAuthResponse = z.infer<typeof proxyAuthResponseSchema>;

/**
 * POST /v1/usage — bytes the gateway relayed per account since its last report. `id` is the
 * report's, the same on every retry: the store applies it once.
 */
export const usageReportRequestSchema = z.strictObject({
  id: idSchema,
  /** The reporting gateway (its TUNNELGATE_GATEWAY_ID), kept with the id for audits. */
  reporter: idSchema,
  entries: z
    .array(z.strictObject({ accountId: idSchema, bytes: reportedBytesSchema }))
    .check(z.minLength(1), z.maxLength(10_000)),
});
export type UsageReportRequest = z.infer<typeof usageReportRequestSchema>;
export const usageReportResponseSchema = z.object({
  /** This id was applied before (a retry): nothing was added this time. */
  duplicate: z.boolean(),
  /** Accounts of the report that no longer exist: nothing was added for them. */
  unknownAccounts: z.array(z.string()),
  /** The totals after the report, of the accounts that exist. */
  accounts: z.array(
    z.object({ accountId: z.string(), usedBytes: z.number(), quotaBytes: z.nullable(z.number()) }),
  ),
});
export type UsageReportResponse = z.infer<typeof usageReportResponseSchema>;

/** The most one lease request may ask for (1 GiB); the store holds the same bound. */
export const MAX_LEASE_REQUEST_BYTES = 2 ** 30;

/**
 * POST /v1/usage/leases — the gateway `holder` tops its lease on an account's bytes up by at most
 * `bytes` (0 renews it): what it may relay before it asks again. 404 for an unknown account.
 */
export const byteLeaseRequestSchema = z.strictObject({
  accountId: idSchema,
  holder: idSchema,
  bytes: z.int().check(z.minimum(0), z.maximum(MAX_LEASE_REQUEST_BYTES)),
});
export type ByteLeaseRequest = z.infer<typeof byteLeaseRequestSchema>;
export const byteLeaseResponseSchema = z.object({
  /** Bytes the holder may relay from now on under its lease. */
  remaining: z.number(),
  /** Of those, reserved by this request (0: the quota has nothing left to give). */
  granted: z.number(),
  /** When the lease lapses unless renewed (ms since the epoch). */
  expiresAt: z.number(),
  /** The account has no quota: no lease is needed. */
  unlimited: z.boolean(),
  /** What the quota leaves after the used bytes, leases aside (null without quota). */
  quotaLeft: z.nullable(z.number()),
});
export type ByteLeaseResponse = z.infer<typeof byteLeaseResponseSchema>;

/** POST /v1/usage/leases/release — the holder gives what is left of its lease back. */
export const byteLeaseReleaseSchema = z.strictObject({ accountId: idSchema, holder: idSchema });
export type ByteLeaseRelease = z.infer<typeof byteLeaseReleaseSchema>;
export const byteLeaseReleaseResponseSchema = z.object({ released: z.literal(true) });

/**
 * POST /v1/connections/slots — the gateway `holder` sets how many of an account's connection
 * slots it holds (at most `wanted`; 0 gives them back), `reserved` being the account's OpenVPN
 * sessions it sees, which count too. Held again within the slots' TTL, or they lapse.
 */
export const connectionSlotsRequestSchema = z.strictObject({
  accountId: idSchema,
  holder: idSchema,
  wanted: z.int().check(z.minimum(0), z.maximum(1_000_000)),
  reserved: z.int().check(z.minimum(0), z.maximum(1_000_000)),
});
export type ConnectionSlotsRequest = z.infer<typeof connectionSlotsRequestSchema>;
export const connectionSlotsResponseSchema = z.object({
  /** Slots the holder has now. */
  held: z.number(),
  /** The account's maxConnections (null: no limit). */
  limit: z.nullable(z.number()),
});
export type ConnectionSlotsResponse = z.infer<typeof connectionSlotsResponseSchema>;
