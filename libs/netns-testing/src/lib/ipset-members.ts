import type { Netns } from './netns';

/** The members of a kernel set (ipset) in a namespace, as `ipset save` lists them. */
export function ipsetMembers(ns: Netns, set: string): string[] {
  return ns
    .exec('ipset', ['save', set])
    .split('\n')
    .filter((line) => line.startsWith(`add ${set} `))
    .map((line) => line.split(' ')[2] ?? '');
}
