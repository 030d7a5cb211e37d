import type { Worker } from 'node:cluster';
import type { Readiness } from '../admin/admin-handler';

/**
 * What the gateway's primary and its workers say to each other over the cluster's IPC channel,
 * beside prom-client's own metrics messages. Tagged so that neither side mistakes the other's.
 */
const TAG = 'tunnelgate:gateway';

type GatewayMessage =
  | { tag: typeof TAG; kind: 'up' }
  | { tag: typeof TAG; kind: 'readiness?'; id: number }
  | { tag: typeof TAG; kind: 'readiness'; id: number; readiness: Readiness };

function isGatewayMessage(message: unknown): message is GatewayMessage {
  return (
    typeof message === 'object' && message !== null && (message as { tag?: unknown }).tag === TAG
  );
}

/** In a worker: its listeners are bound and it accepts. */
export function announceUp(): void {
  process.send?.({ tag: TAG, kind: 'up' } satisfies GatewayMessage);
}

/** In a worker: answers the primary's readiness questions until the returned stop is called. */
export function answerPrimary(readiness: () => Promise<Readiness>): () => void {
  const onMessage = (message: unknown) => {
    if (!isGatewayMessage(message) || message.kind !== 'readiness?') return;
    const answer = (value: Readiness) => {
      if (process.connected)
        process.send?.({ tag: TAG, kind: 'readiness', id: message.id, readiness: value });
    };
    readiness().then(answer, (error: unknown) =>
      answer({ ready: false, checks: { worker: String(error) } }),
    );
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** In the primary: calls back once the worker announces it accepts. */
export function onWorkerUp(worker: Worker, callback: () => void): void {
  const onMessage = (message: unknown) => {
    if (!isGatewayMessage(message) || message.kind !== 'up') return;
    worker.off('message', onMessage);
    callback();
  };
  worker.on('message', onMessage);
}

let nextQuestion = 0;

/** In the primary: the worker's readiness, or undefined when it does not answer in time. */
export function askReadiness(worker: Worker, timeoutMs: number): Promise<Readiness | undefined> {
  const id = ++nextQuestion;
  return new Promise((resolve) => {
    const done = (value: Readiness | undefined) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(value);
    };
    const onMessage = (message: unknown) => {
      if (isGatewayMessage(message) && message.kind === 'readiness' && message.id === id)
        done(message.readiness);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    worker.on('message', onMessage);
    try {
      worker.send({ tag: TAG, kind: 'readiness?', id } satisfies GatewayMessage);
    } catch {
      done(undefined);
    }
  });
}
