import { idSchema } from '@tunnelgate/sessions';
import { ZodValidationPipe } from './zod-validation.pipe';

/** The `:id` of every /v1 resource: 400 for anything the store would never hold. */
export const idParam = new ZodValidationPipe(idSchema);
