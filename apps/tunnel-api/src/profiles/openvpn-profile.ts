/** The values a client profile is filled with; `{{name}}` placeholders in the template. */
export interface ProfileValues {
  username: string;
  remote: string;
  port: number;
  proto: 'udp' | 'tcp-client';
  ca: string;
}

/**
 * Fills the template. Every placeholder must be known and every value single-line (a newline
 * in a value would inject OpenVPN directives), except the CA, which is a PEM block.
 */
export function renderProfile(template: string, values: ProfileValues): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values))
      throw new Error(`profile template has an unknown placeholder {{${name}}}`);
    const value = String(values[name as keyof ProfileValues]);
    if (name !== 'ca' && /[\r\n]/.test(value))
      throw new Error(`profile value ${name} must be one line`);
    return name === 'ca' ? value.trim() : value;
  });
}
