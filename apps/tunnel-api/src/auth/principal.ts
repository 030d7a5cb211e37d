import { SetMetadata } from '@nestjs/common';

/**
 * Who calls tunnel-api, each with a token of its own: operators (and the platform's services)
 * may do everything; gateways watch, check proxy passwords and report usage; OpenVPN's hooks
 * only admit and release OpenVPN clients.
 */
export const PRINCIPALS = ['operator', 'gateway', 'hook'] as const;
export type Principal = (typeof PRINCIPALS)[number];

export const ALLOWED_PRINCIPALS = Symbol('allowed principals');

/** The principals besides operators that may call a route (or a controller's routes). */
export const AllowPrincipals = (...principals: Exclude<Principal, 'operator'>[]) =>
  SetMetadata(ALLOWED_PRINCIPALS, principals);

/** Where the guard leaves the caller's principal on the request. */
export const PRINCIPAL = Symbol('principal');
export type WithPrincipal = { [PRINCIPAL]?: Principal };
