/** The slice of iptables the relay uses, as data: rules in, `iptables-restore` text out. */
export type Family = 'ipv4' | 'ipv6';
export type TableName = 'nat' | 'filter';
export type Protocol = 'tcp' | 'udp';
export type CtState = 'NEW' | 'RELATED' | 'ESTABLISHED' | 'DNAT';
export type RejectWith = 'icmp-port-unreachable' | 'icmp6-port-unreachable' | 'tcp-reset';

export interface Match {
  /** CIDR; a single address is written a.b.c.d/32, as iptables-save prints it. */
  source?: string;
  destination?: string;
  inInterface?: string;
  protocol?: Protocol;
  destinationPort?: number;
  /** `-m set --match-set <name> src`: the source address is a member of that kernel set. */
  sourceSet?: string;
  /** `-m addrtype --dst-type LOCAL`: addressed to one of the relay's own addresses. */
  destinationIsLocal?: boolean;
  ctstate?: CtState[];
}

export type Target =
  | { kind: 'ACCEPT' }
  | { kind: 'RETURN' }
  | { kind: 'REJECT'; with: RejectWith }
  | { kind: 'REDIRECT'; toPort: number }
  | { kind: 'DNAT'; toAddress: string; toPort: number }
  | { kind: 'MASQUERADE' }
  | { kind: 'JUMP'; chain: string };

export interface Rule {
  chain: string;
  match: Match;
  target: Target;
  /** Owner and key, `tunnelgate:<owner>:<key>`: how strays from an earlier run are found. */
  comment: string;
}

/** Our chains of one table, in the order they must be declared, each with its rules. */
export interface DesiredTable {
  chains: Map<string, Rule[]>;
  /** Kernel chain -> our chain it must jump to, as rule 1. */
  jumps: Map<string, string>;
}

export type DesiredRuleset = Record<Family, Partial<Record<TableName, DesiredTable>>>;
