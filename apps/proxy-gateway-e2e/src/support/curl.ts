import { execFile } from 'node:child_process';

export interface CurlResult {
  /** curl's exit code: 0 ok, 7 refused, 18/56 cut off mid-transfer, 97 SOCKS refusal… */
  code: number;
  status: number;
  /** The proxy's answer to CONNECT (0 when there was none). */
  connectStatus: number;
  body: string;
}

/** curl, the real client, asynchronously (the servers it talks to run in this process). */
export function curl(args: string[], timeoutSeconds = 10): Promise<CurlResult> {
  return new Promise((resolve) => {
    execFile(
      'curl',
      [
        '-s',
        '-S',
        '--max-time',
        String(timeoutSeconds),
        '-w',
        '\n%{http_code} %{http_connect}',
        ...args,
      ],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout) => {
        const at = stdout.lastIndexOf('\n');
        const [status = '0', connectStatus = '0'] = stdout.slice(at + 1).split(' ');
        resolve({
          code: error ? Number((error as { code?: number }).code ?? 1) : 0,
          status: Number(status),
          connectStatus: Number(connectStatus),
          body: stdout.slice(0, Math.max(0, at)),
        });
      },
    );
  });
}
