/**
 * Ctrl-C for `npm run demo`, listened for from the first line of the run, so that a signal
 * never meets Node's default (die at once, skipping every clean-up) — not during start-up, and
 * not in the moment between printing the ready line and waiting.
 *
 * One Ctrl-C can arrive more than once: the terminal signals the whole process group, and a
 * wrapper (npm, a shell, the `tsx` CLI) may relay it. Signals within SAME_KEYPRESS_MS of the
 * first are that same keypress. A second keypress later forces the exit, and so does a stop
 * that hangs; a forced exit still stops Envoy and removes its folder (process "exit" handlers
 * in demo/envoy.ts).
 */

const SAME_KEYPRESS_MS = 1000;
/** A stop that takes longer than this is forced (something hangs; the exit still cleans up). */
const STOP_LIMIT_MS = 20_000;

export interface StopSignals {
  /** The first SIGINT or SIGTERM, once it came. */
  readonly requested: NodeJS.Signals | undefined;
  /** Resolves with the first signal. */
  readonly wait: Promise<NodeJS.Signals>;
}

export function listenForStop(): StopSignals {
  let requested: NodeJS.Signals | undefined;
  let firstAt = 0;
  let announce: (signal: NodeJS.Signals) => void = () => {};
  const wait = new Promise<NodeJS.Signals>((resolve) => {
    announce = resolve;
  });
  const force = (why: string) => {
    console.error(`\n${why}: forcing exit.`);
    process.exit(130);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) {
      if (Date.now() - firstAt >= SAME_KEYPRESS_MS) force(`${signal} again`);
      return;
    }
    requested = signal;
    firstAt = Date.now();
    console.log(`\n${signal}: stopping (press Ctrl-C again to force)…`);
    setTimeout(
      () => force(`still stopping after ${STOP_LIMIT_MS / 1000} s`),
      STOP_LIMIT_MS,
    ).unref();
    announce(signal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    get requested() {
      return requested;
    },
    wait,
  };
}
