import type { K8sObject } from './render-overlay';

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    configMapKeyRef?: { name: string; key: string };
    secretKeyRef?: { name: string; key: string };
  };
}

export interface Probe {
  httpGet?: { path: string; port: number | string; host?: string };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: EnvVar[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: { privileged?: boolean; allowPrivilegeEscalation?: boolean };
}

export interface PodSpec {
  hostNetwork?: boolean;
  containers: Container[];
  initContainers?: Container[];
}

/** Every pod template in a rendered overlay, with the name of the workload that owns it. */
export function podTemplates(objects: K8sObject[]): { owner: string; spec: PodSpec }[] {
  return objects.flatMap((object) => {
    const spec = object['spec'] as { template?: { spec: PodSpec } } | undefined;
    return spec?.template
      ? [{ owner: `${object.kind}/${object.metadata.name}`, spec: spec.template.spec }]
      : [];
  });
}

/** Stand-ins for what only a cluster knows: the node's address and the Secrets' contents. */
export interface ClusterValues {
  hostIp: string;
  secret: (name: string, key: string) => string;
}

/**
 * The environment a container would start with: ConfigMap keys looked up in the same overlay,
 * `$(NAME)` references expanded as the kubelet does (earlier variables only).
 */
export function resolveEnv(
  container: Container,
  objects: K8sObject[],
  cluster: ClusterValues,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    env[variable.name] = expand(valueOf(variable, objects, cluster), env);
  }
  return env;
}

export function expand(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
    (whole, name: string) => env[name] ?? whole,
  );
}

function valueOf(variable: EnvVar, objects: K8sObject[], cluster: ClusterValues): string {
  const from = variable.valueFrom;
  if (!from) return variable.value ?? '';
  if (from.fieldRef) {
    if (from.fieldRef.fieldPath === 'status.hostIP') return cluster.hostIp;
    throw new Error(`${variable.name}: unsupported fieldRef ${from.fieldRef.fieldPath}`);
  }
  if (from.configMapKeyRef) {
    const { name, key } = from.configMapKeyRef;
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name);
    const value = (configMap?.['data'] as Record<string, string> | undefined)?.[key];
    if (value === undefined)
      throw new Error(`${variable.name}: ConfigMap ${name} has no key ${key}`);
    return value;
  }
  if (from.secretKeyRef) return cluster.secret(from.secretKeyRef.name, from.secretKeyRef.key);
  throw new Error(`${variable.name}: unsupported valueFrom`);
}

/** The port number a probe targets, by number or by the container's port name. */
export function probePort(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
