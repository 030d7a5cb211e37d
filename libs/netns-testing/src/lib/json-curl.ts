/**
 * curl's arguments for one JSON call with a bearer token: for APIs that listen only inside a
 * namespace, where the test process cannot reach them and runs curl there instead.
 */
export function jsonCurlArgs(method: string, url: string, token: string, body?: unknown): string[] {
  return [
    '-s',
    '-X',
    method,
    '-H',
    `authorization: Bearer ${token}`,
    ...(body === undefined
      ? []
      : ['-H', 'content-type: application/json', '-d', JSON.stringify(body)]),
    url,
  ];
}
