/**
 * Runs a program on a real pseudo-terminal (python3's `pty`), as a person at a terminal would:
 * stdin, stdout and stderr are the terminal, the terminal is `columns` wide, and Ctrl-C is the
 * byte 0x03 written to it (the line discipline sends SIGINT to the foreground process group).
 */
import { spawn } from 'node:child_process';
import { testEnv } from './env.js';

const DRIVER = String.raw`
import fcntl, json, os, pty, select, signal, struct, sys, termios, time
argv = json.loads(sys.argv[1]); opts = json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 40, opts['columns'], 0, 0))
    os.chdir(opts['cwd'])
    os.execvpe(argv[0], argv, opts['env'])
out = b''
sent = False
deadline = time.time() + opts['timeout']
marker = opts.get('interruptAfter')
while True:
    r, _, _ = select.select([fd], [], [], 0.05)
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b''
        if not data:
            break
        out += data
    if marker and not sent and marker.encode() in out:
        os.write(fd, b'\x03')
        sent = True
    if time.time() > deadline:
        os.kill(pid, signal.SIGKILL)
        break
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.stderr.write(json.dumps({'code': os.waitstatus_to_exitcode(status)}))
`;

export interface TerminalRun {
  /** Everything the terminal showed (stdout and stderr together, escape sequences included, CRLF line ends). */
  readonly screen: string;
  readonly code: number;
}

export interface TerminalOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly columns?: number;
  /** Press Ctrl-C once this text appears. */
  readonly interruptAfter?: string;
  readonly timeoutMs?: number;
}

/** Runs `argv` on a pseudo-terminal; CI, NO_COLOR and FORCE_COLOR are unset unless `env` sets them. */
export function onTerminal(argv: readonly string[], options: TerminalOptions): Promise<TerminalRun> {
  const env: NodeJS.ProcessEnv = { ...testEnv(), TERM: 'xterm-256color', ...options.env };
  for (const name of ['CI', 'NO_COLOR', 'FORCE_COLOR']) if (options.env?.[name] === undefined) delete env[name];
  const opts = {
    cwd: options.cwd,
    env,
    columns: options.columns ?? 100,
    timeout: (options.timeoutMs ?? 60_000) / 1000,
    ...(options.interruptAfter && { interruptAfter: options.interruptAfter }),
  };
  const child = spawn('python3', ['-c', DRIVER, JSON.stringify(argv), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', () => {
      try {
        const { code } = JSON.parse(err.slice(err.lastIndexOf('{'))) as { code: number };
        resolve({ screen: Buffer.concat(out).toString('utf8'), code });
      } catch {
        reject(new Error(`the terminal driver failed: ${err}`));
      }
    });
  });
}

/** The lines a terminal would finally show: each line's text after its last carriage return, escape sequences removed. */
export function screenLines(screen: string): string[] {
  return (
    screen
      // eslint-disable-next-line no-control-regex
      .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
      .split('\n')
      .map((l) => l.replace(/\r$/, ''))
      .map((l) => l.slice(l.lastIndexOf('\r') + 1))
      .filter((l) => l.trim() !== '')
  );
}
