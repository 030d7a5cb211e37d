export type FirewallErrorCode = 'INVALID_RULE' | 'UNPARSABLE_SAVE' | 'UNTRACEABLE_RULE';

export class FirewallError extends Error {
  constructor(
    readonly code: FirewallErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FirewallError';
  }
}
