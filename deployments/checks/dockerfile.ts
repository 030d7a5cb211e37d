import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './render-overlay';

export interface DockerStage {
  name: string;
  from: string;
  lines: string[];
}

/** The stages of deployments/docker/Dockerfile (no engine runs here: it is read, not built). */
export function dockerStages(): { args: Record<string, string>; stages: DockerStage[] } {
  const text = readFileSync(join(ROOT, 'deployments/docker/Dockerfile'), 'utf8');
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  const args: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const arg = /^ARG (\w+)=(\S+)$/.exec(line);
    if (arg && stages.length === 0) args[arg[1] ?? ''] = arg[2] ?? '';
    const from = /^FROM (\S+) AS (\S+)$/i.exec(line);
    if (from) stages.push({ from: from[1] ?? '', name: from[2] ?? '', lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return { args, stages };
}

/** Where a stage puts a file: the destination of the COPY whose source ends with `source`. */
export function copiedTo(stage: DockerStage, source: string): string | undefined {
  for (const line of stage.lines) {
    const parts = line.split(/\s+/).filter((p) => !p.startsWith('--'));
    if (parts[0] === 'COPY' && parts.slice(1, -1).some((p) => p.endsWith(source)))
      return parts.at(-1);
  }
  return undefined;
}

export function stageEnv(stage: DockerStage): Record<string, string> {
  return Object.fromEntries(
    stage.lines.flatMap((line) => {
      const env = /^ENV (\w+)=(\S+)$/.exec(line);
      return env ? [[env[1] ?? '', env[2] ?? '']] : [];
    }),
  );
}
