/** @internal What the pool posts to a worker for one job. */
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
