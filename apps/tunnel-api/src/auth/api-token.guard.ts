import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { ALLOWED_PRINCIPALS, PRINCIPAL, type Principal, type WithPrincipal } from './principal';
import type { TokenSource } from './token-ring';

export const API_TOKENS = Symbol('API_TOKENS');

/**
 * Every /v1 route wants `Authorization: Bearer <token>` (the ops routes do not use this guard):
 * an unknown token is a 401; a known one whose principal the route does not allow, a 403.
 */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(
    @Inject(API_TOKENS) private readonly tokens: TokenSource,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest & WithPrincipal>();
    const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const principal = presented ? this.tokens.principalOf(presented) : undefined;
    if (!principal) throw new ApiError('UNAUTHORIZED', 'a valid bearer token is required');
    const allowed = this.reflector.getAllAndOverride<Principal[] | undefined>(ALLOWED_PRINCIPALS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (principal !== 'operator' && !allowed?.includes(principal))
      throw new ApiError('FORBIDDEN', `the ${principal} token does not grant this route`);
    request[PRINCIPAL] = principal;
    return true;
  }
}
