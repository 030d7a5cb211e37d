import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '../..');
export const OVERLAYS = ['single-node', 'multi-node'] as const;

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

/** `kubectl kustomize`: renders offline, with no cluster (kubectl ships kustomize). */
export function renderOverlay(overlay: string): K8sObject[] {
  const text = execFileSync(
    'kubectl',
    ['kustomize', join(ROOT, 'deployments/k8s/overlays', overlay)],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${overlay}: ${doc.errors[0]?.message}`);
    return doc.toJS() as K8sObject;
  });
}
