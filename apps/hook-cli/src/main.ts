import { runManager } from './manage/run-manager';
import { ADMIN_COMMANDS } from './openvpn-server/admin-commands';
import { runHook } from './run-hook';

const adminCommand = ADMIN_COMMANDS[process.argv[2] ?? ''];
if (process.argv[2] === 'manage') {
  // Long-running: one process answers every client of an OpenVPN instance.
  void runManager(process.env).then((code) => process.exit(code));
} else if (adminCommand) {
  process.exitCode = adminCommand(process.env, process.argv[1] ?? '');
} else {
  // Any crash is a rejection: exit code 1 is the only failure OpenVPN needs to see.
  runHook(process.argv.slice(2), process.env).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `${JSON.stringify({ time: new Date().toISOString(), app: 'hook-cli', level: 'error', outcome: 'rejected', reason: `crash: ${String((error as Error)?.stack ?? error)}` })}\n`,
      );
      process.exitCode = 1;
    },
  );
}
