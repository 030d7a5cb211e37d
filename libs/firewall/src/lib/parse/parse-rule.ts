import { FirewallError } from '../firewall-error';
import type { CtState, Match, Protocol, RejectWith, Rule, Target } from '../model/rule';
import { tokenize } from './parse-save';

/**
 * A saved rule line back into the rule model, for the options tunnelgate writes. Anything else
 * is an error rather than a guess: the tracer must never silently skip a condition.
 */
export function parseRule(line: string): Rule {
  const words = tokenize(line);
  const fail = (why: string) => new FirewallError('UNTRACEABLE_RULE', `${why}: ${line}`);
  if (words[0] !== '-A' || !words[1]) throw fail('not an -A line');
  const match: Match = {};
  let comment = '';
  let target: Target | undefined;
  for (let i = 2; i < words.length; i++) {
    const word = words[i];
    const next = () => {
      const value = words[++i];
      if (value === undefined) throw fail(`${word} needs a value`);
      return value;
    };
    switch (word) {
      case '-s':
        match.source = next();
        break;
      case '-d':
        match.destination = next();
        break;
      case '-i':
        match.inInterface = next();
        break;
      case '-p':
        match.protocol = next() as Protocol;
        break;
      case '-m':
        next(); // the module is implied by the option that follows
        break;
      case '--dport':
        match.destinationPort = Number(next());
        break;
      case '--match-set':
        match.sourceSet = next();
        if (next() !== 'src') throw fail('only --match-set <set> src is traced');
        break;
      case '--dst-type':
        if (next() !== 'LOCAL') throw fail('only --dst-type LOCAL is traced');
        match.destinationIsLocal = true;
        break;
      case '--ctstate':
        match.ctstate = next().split(',') as CtState[];
        break;
      case '--comment':
        comment = next();
        break;
      case '-j': {
        const name = next();
        if (name === 'ACCEPT' || name === 'RETURN' || name === 'MASQUERADE')
          target = { kind: name };
        else if (name === 'REJECT') target = { kind: 'REJECT', with: 'icmp-port-unreachable' };
        else if (name === 'REDIRECT') target = { kind: 'REDIRECT', toPort: 0 };
        else if (name === 'DNAT') target = { kind: 'DNAT', toAddress: '', toPort: 0 };
        else if (
          /^[A-Z][A-Z0-9-]*$/.test(name) &&
          !['DROP', 'SNAT', 'LOG', 'MARK'].includes(name)
        ) {
          target = { kind: 'JUMP', chain: name };
        } else throw fail(`target ${name} is not traced`);
        break;
      }
      case '--reject-with':
        if (target?.kind === 'REJECT') target.with = next() as RejectWith;
        else throw fail('--reject-with outside REJECT');
        break;
      case '--to-ports':
        if (target?.kind === 'REDIRECT') target.toPort = Number(next());
        else throw fail('--to-ports outside REDIRECT');
        break;
      case '--to-destination': {
        const value = next();
        const at = value.lastIndexOf(':');
        if (target?.kind !== 'DNAT' || at < 0) throw fail('bad --to-destination');
        target.toAddress = value.slice(0, at);
        target.toPort = Number(value.slice(at + 1));
        break;
      }
      default:
        throw fail(`option ${word} is not traced`);
    }
  }
  if (!target) throw fail('no target');
  return { chain: words[1], match, target, comment };
}
