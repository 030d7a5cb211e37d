/**
 * Fills `{{name}}` placeholders of a config template (OpenVPN server and client files). An
 * unknown placeholder is an error, never left in the output, and values must be one line unless
 * named in `multiline`: a newline in a value would inject directives.
 */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string | number>>,
  multiline: readonly string[] = [],
): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    const text = String(value);
    if (!multiline.includes(name) && /[\r\n]/.test(text))
      throw new Error(`template value ${name} must be one line`);
    return multiline.includes(name) ? text.trim() : text;
  });
}
