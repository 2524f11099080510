/** @internal What the pool posts to a worker for one job (one at a time per worker). */
export interface CapsuleJob {
  readonly module: string;
  readonly exportName: string;
  readonly version: string;
  readonly payload: unknown;
}

/** @internal What a worker answers for one job (a worker's death is no reply at all). */
export type CapsuleReply =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly phase: 'load' | 'run' | 'reply';
      readonly error: { name: string; message: string; stack?: string };
    };

/** @internal A worker's first message: the scheduling policy it got (before any reply). */
export interface CapsuleReady {
  readonly policy: 'idle' | 'normal';
}

/** @internal The `workerData` a pool starts its workers with. */
export interface CapsuleWorkerData {
  readonly niceIncrement: number;
  readonly workerPolicy: 'idle' | 'normal';
}
