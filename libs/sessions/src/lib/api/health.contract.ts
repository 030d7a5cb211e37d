import * as z from 'zod/mini';

/** GET /healthz */
export const livenessSchema = z.object({ status: z.literal('ok') });

/** GET /readyz: 200 when ready, 503 with the same body naming the failing check. */
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.object({
    /** `ok`, or why the store did not answer. */
    store: z.string(),
    /** The firewall's sync state (`in-sync`, `off`, or what is wrong). */
    firewall: z.string(),
  }),
});
export type Readiness = z.infer<typeof readinessSchema>;
