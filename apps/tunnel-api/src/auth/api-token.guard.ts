import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/api-error';
import { tokenMatches } from './api-token';

export const API_TOKEN = Symbol('API_TOKEN');

/** Every /v1 route wants `Authorization: Bearer <token>`; the ops routes do not use this guard. */
@Injectable()
export class ApiTokenGuard implements CanActivate {
  constructor(@Inject(API_TOKEN) private readonly token: string) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const presented = /^Bearer (\S+)$/.exec(header)?.[1];
    if (!presented || !tokenMatches(this.token, presented)) {
      throw new ApiError('UNAUTHORIZED', 'a valid bearer token is required');
    }
    return true;
  }
}
