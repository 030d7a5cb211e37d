import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';

/**
 * The workspace validates with zod/mini rather than classic zod: the same schemas, but
 * tree-shakable, so the bundled hook loads them in a few ms instead of ~70 ms on every OpenVPN
 * event. zod/mini ships no messages; English ones are set here, once per process, by importing
 * this lib. Import `* as z from 'zod/mini'` in each file (never re-export the namespace: that
 * defeats tree-shaking).
 */
z.config(en());
