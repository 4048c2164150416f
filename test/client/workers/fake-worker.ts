// A stand-in for a browser module worker, for the pool and loader tests in Node: a comlink
// endpoint over a real MessageChannel (structured clone and transfer included) whose far end
// runs the given API, plus what a Worker adds: `error` events and terminate(). A "behaviour"
// decides per job whether the worker answers, crashes (fires `error` and never answers) or hangs.
import * as Comlink from "comlink";

/** What a fake worker does with its n-th job (1-based). */
export type JobFate = "answer" | "crash" | "hang";

export class FakeWorker extends EventTarget {
  terminated = false;
  jobs = 0;
  private readonly port: MessagePort;
  private readonly far: MessagePort;

  /** `api(fate)` wraps the real work: it is called per job with that job's fate. */
  constructor(api: (fateOf: () => JobFate, crash: () => void) => object, fate: (job: number) => JobFate) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.far = port2;
    const fateOf = (): JobFate => fate(++this.jobs);
    // A crashing worker fires `error` on its Worker object (asynchronously, like the browser).
    const crash = (): void => {
      setTimeout(() => {
        if (!this.terminated) this.dispatchEvent(new Event("error"));
      }, 1);
    };
    Comlink.expose(api(fateOf, crash), port2);
  }

  postMessage(message: unknown, transfer?: Transferable[]): void {
    if (!this.terminated) this.port.postMessage(message, (transfer ?? []) as never);
  }

  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === "message") this.port.addEventListener(type, listener as never);
    else super.addEventListener(type, listener);
  }

  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === "message") this.port.removeEventListener(type, listener as never);
    else super.removeEventListener(type, listener);
  }

  start(): void {
    this.port.start();
  }

  terminate(): void {
    this.terminated = true;
    this.port.close();
    this.far.close();
  }
}

/** Never settles: the answer of a worker that crashed or hung. */
export const never = <T>(): Promise<T> => new Promise<T>(() => {});
