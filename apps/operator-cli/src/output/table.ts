import Table from 'cli-table3';

export type Column<T> = readonly [header: string, value: (row: T) => string];

/** Columns aligned as kubectl prints them: no borders, so the output greps and cuts cleanly. */
export function renderTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  if (rows.length === 0) return '(none)';
  const table = new Table({
    head: columns.map(([header]) => header.toUpperCase()),
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const row of rows) table.push(columns.map(([, value]) => value(row)));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** One record as `field: value` lines. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width + 2)}${value}`).join('\n');
}
