/** A command run to its end, its output kept for the failure message (npm, node of another version). */
import { spawn } from 'node:child_process';

export interface CommandOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** Run `command args…`; resolve with its stdout, or reject with everything it printed and its exit code. */
export function runCommand(command: string, args: string[], options: CommandOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let all = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      all += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      all += b.toString();
    });
    child.once('error', reject);
    // 'close', not 'exit': the process may have exited before its output has all been read.
    child.once('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited ${code ?? signal}:\n${all}`));
    });
  });
}
