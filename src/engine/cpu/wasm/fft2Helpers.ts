/**
 * Helper threads for the WebAssembly FFT2 and convolution: workers that instantiate a module on
 * the caller's shared memory and run the calls that the caller assigns them, so that one
 * synchronous fft2 or conv2d call can use several cores.
 *
 * Each helper owns a control block of int32 words in the shared memory. The caller writes the job
 * there, increments the job counter and notifies. The helper, blocked in Atomics.wait, runs the
 * job, stores the counter into the done word and notifies back. Workers are plain scripts from a
 * string, started with node:worker_threads in Node and from a Blob URL in browsers, so neither
 * Vite nor Vitest needs to resolve a worker file.
 */

/** Word indices of a helper's control block. */
export const Control = {
  job: 0,
  done: 1,
  data: 2,
  fields: 3,
  n: 4,
  log2n: 5,
  inverse: 6,
  twiddles: 7,
  bitReversal: 8,
  scratch: 9,
  stop: 10,
  failed: 11,
} as const;

/** Bytes of one FFT2 control block, a multiple of the cache line so that helpers share none. */
export const CONTROL_BYTES = 64;

/**
 * A kind of helper. `call` is JavaScript text that calls the module's export once per job, with
 * `instance` and the control block's Int32Array `control` in scope. The control block has
 * `controlBytes` bytes (a multiple of 64) and keeps the job, done, stop and failed words of Control
 * at their indices.
 */
export interface HelperEntry {
  /** Name of the helpers in messages and in browser thread names, such as 'FFT2'. */
  name: string;
  call: string;
  controlBytes: number;
}

/** The FFT2 helpers, which take their fft2 arguments from the named words of Control. */
export const FFT2_HELPER: HelperEntry = {
  name: 'FFT2',
  call:
    'instance.exports.fft2(control[C.data], control[C.fields], control[C.n], control[C.log2n], control[C.inverse], ' +
    'control[C.twiddles], control[C.bitReversal], control[C.scratch])',
  controlBytes: CONTROL_BYTES,
};

/** How long the caller waits for a helper's job before it gives up on the helpers. */
const HELPER_TIMEOUT_MS = 10_000;

/** Message that starts a helper: the shared memory, the compiled module and the control block. */
interface StartMessage {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: number;
}

/**
 * Returns the source of a helper that runs `entry`. It runs as a classic script in both
 * environments: Node's eval workers provide `require`, and browser workers provide `self`.
 */
function helperSource(entry: HelperEntry): string {
  return `
'use strict';
const C = ${JSON.stringify(Control)};
let send;
function start(message) {
  let instance;
  try {
    instance = new WebAssembly.Instance(message.module, { env: { memory: message.memory } });
  } catch (error) {
    send('instantiation failed: ' + (error && error.message));
    return;
  }
  const control = new Int32Array(message.memory.buffer, message.control, ${entry.controlBytes / 4});
  // The counter is read before 'ready', because the caller may post the first job right after it.
  let seen = Atomics.load(control, C.job);
  send('ready');
  for (;;) {
    Atomics.wait(control, C.job, seen);
    const job = Atomics.load(control, C.job);
    if (job === seen) continue;
    seen = job;
    if (Atomics.load(control, C.stop) !== 0) return;
    try {
      ${entry.call};
    } catch (error) {
      Atomics.store(control, C.failed, 1);
    }
    Atomics.store(control, C.done, job);
    Atomics.notify(control, C.done);
  }
}
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  send = (text) => parentPort.postMessage(text);
  parentPort.once('message', start);
} else {
  send = (text) => self.postMessage(text);
  self.onmessage = (event) => start(event.data);
}
`;
}

/** The parts of a Node or browser worker that the helpers use. */
interface HelperWorker {
  postMessage(message: StartMessage): void;
  /** Calls `listener` with the helper's first text message. */
  onceText(listener: (text: string) => void): void;
  onError(listener: (error: unknown) => void): void;
  terminate(): void;
}

/**
 * Returns true when this context can share WebAssembly memory with workers: Node, or a browser
 * context that is cross-origin isolated (SharedArrayBuffer needs the COOP and COEP headers there).
 */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if (isNode()) return true;
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true && typeof Worker === 'function';
}

function isNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof process?.versions?.node === 'string';
}

/** Returns the number of logical cores, or 1 when the environment does not report it. */
async function coreCount(): Promise<number> {
  if (isNode()) {
    const specifier = 'node:os';
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import('node:os');
    return os.availableParallelism();
  }
  return globalThis.navigator?.hardwareConcurrency ?? 1;
}

async function spawnWorker(entry: HelperEntry): Promise<HelperWorker> {
  if (isNode()) {
    // A variable specifier keeps Vite from bundling node:worker_threads into the browser build.
    const specifier = 'node:worker_threads';
    const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    const worker = new NodeWorker(helperSource(entry), { eval: true });
    // A helper blocked in Atomics.wait must not keep Node running.
    worker.unref();
    return {
      postMessage: (message) => worker.postMessage(message),
      // A permanent 'message' listener would keep Node's event loop alive, even after unref().
      onceText: (listener) => worker.once('message', listener),
      onError: (listener) => worker.on('error', listener),
      terminate: () => void worker.terminate(),
    };
  }
  const url = URL.createObjectURL(new Blob([helperSource(entry)], { type: 'text/javascript' }));
  const worker = new Worker(url, { name: `${entry.name.toLowerCase()}-helper` });
  URL.revokeObjectURL(url);
  return {
    postMessage: (message) => worker.postMessage(message),
    onceText: (listener) =>
      worker.addEventListener('message', (event: MessageEvent<string>) => listener(event.data), { once: true }),
    onError: (listener) => worker.addEventListener('error', listener),
    terminate: () => worker.terminate(),
  };
}

/** A started helper and its control block. */
export interface Helper {
  readonly control: Int32Array;
  readonly worker: HelperWorker;
  readonly name: string;
}

/**
 * Starts one helper per core beyond the first, at most one per entry of `controls`, which are the
 * byte addresses of their control blocks in `memory`. Resolves once every helper has instantiated
 * the module, to an empty list on a single core, or rejects when a helper fails to start.
 */
export async function startHelpers(
  memory: WebAssembly.Memory,
  module: WebAssembly.Module,
  controls: number[],
  entry: HelperEntry = FFT2_HELPER,
): Promise<Helper[]> {
  const count = Math.min(controls.length, (await coreCount()) - 1);
  const starting: Promise<Helper>[] = [];
  for (let index = 0; index < count; index += 1) {
    starting.push(
      spawnWorker(entry).then(
        (worker) =>
          new Promise<Helper>((resolve, reject) => {
            const control = new Int32Array(memory.buffer, controls[index], entry.controlBytes / 4);
            worker.onError((error) => reject(new Error(`${entry.name} helper thread failed to start.`, { cause: error })));
            worker.onceText((text) => {
              if (text === 'ready') {
                resolve({ control, worker, name: entry.name });
              } else {
                reject(new Error(`${entry.name} helper thread failed to start: ${text}`));
              }
            });
            worker.postMessage({ memory, module, control: controls[index] });
          }),
      ),
    );
  }
  return Promise.all(starting);
}

/**
 * Splits the `count` items of one round over `threadCount` threads and returns each thread's
 * number of items. The leftover items go one each to helpers 1, 2, … so that the calling thread
 * (index 0), which also does the copies, gets the smallest share.
 */
export function splitRound(count: number, threadCount: number): number[] {
  const share = Math.floor(count / threadCount);
  const extra = count - share * threadCount;
  return Array.from({ length: threadCount }, (_, thread) => share + (thread >= 1 && thread <= extra ? 1 : 0));
}

/** Runs one job on `helper`: writes its words and wakes the helper. Call `waitForHelper` next. */
export function postJob(helper: Helper, words: Partial<Record<keyof typeof Control, number>>): number {
  const control = helper.control;
  for (const [name, value] of Object.entries(words)) control[Control[name as keyof typeof Control]] = value;
  const job = control[Control.job] + 1;
  Atomics.store(control, Control.job, job);
  Atomics.notify(control, Control.job);
  return job;
}

let canBlock: boolean | undefined;

/**
 * Waits until `helper` has finished `job`. Blocks in Atomics.wait where the context allows it (Node,
 * workers) and spins on the browser's main thread, where Atomics.wait throws. Throws when the job
 * failed or did not finish within HELPER_TIMEOUT_MS.
 */
export function waitForHelper(helper: Helper, job: number): void {
  const control = helper.control;
  const deadline = performance.now() + HELPER_TIMEOUT_MS;
  while (Atomics.load(control, Control.done) !== job) {
    if (canBlock !== false) {
      try {
        Atomics.wait(control, Control.done, job - 1, 100);
        canBlock = true;
      } catch {
        canBlock = false;
      }
    }
    if (performance.now() > deadline) {
      throw new Error(`${helper.name} helper thread timed out: its job did not finish within ${HELPER_TIMEOUT_MS} ms.`);
    }
  }
  if (Atomics.load(control, Control.failed) !== 0) {
    throw new Error(`${helper.name} helper thread failed to run its job.`);
  }
}
