import { renderTemplate } from '@tunnelgate/config';

/** The values a client profile is filled with; `{{name}}` placeholders in the template. */
export interface ProfileValues {
  username: string;
  remote: string;
  port: number;
  proto: 'udp' | 'tcp-client';
  /** The server CA as PEM: the only multi-line value. */
  ca: string;
}

export function renderProfile(template: string, values: ProfileValues): string {
  return renderTemplate(template, { ...values }, ['ca']);
}
