import type { Change } from '@tunnelgate/sessions';
import type { ChangeListener, Watch } from './store';

export interface ChangeSource {
  since(after: number, limit: number, epoch?: string): Promise<Change[]>;
  waitForChange(after: number, signal: AbortSignal): Promise<void>;
}

const PAGE_SIZE = 500;

/** The watch loop both stores share: read what is new, deliver it in order, wait, repeat. */
export function runWatch(
  source: ChangeSource,
  after: number,
  onChange: ChangeListener,
  onError: (error: Error) => void,
  epoch?: string,
): Watch {
  const controller = new AbortController();
  const { signal } = controller;
  const loop = (async () => {
    let last = after;
    try {
      while (!signal.aborted) {
        const changes = await source.since(last, PAGE_SIZE, epoch);
        for (const change of changes) {
          if (signal.aborted) return;
          last = change.revision;
          onChange(change);
        }
        if (changes.length < PAGE_SIZE) await source.waitForChange(last, signal);
      }
    } catch (error) {
      if (!signal.aborted) onError(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return {
    stop: async () => {
      controller.abort();
      await loop;
    },
  };
}
