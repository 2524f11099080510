import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Builds the application's pino logger: a ready `Logger` is used as is; options (or nothing)
 * make a new one writing JSON lines to stdout (synchronously), named after the application.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'debug' }, 'sip-uas');
 * logger.info({ version: '1.0.0' }, 'started');
 * ```
 * @param logger - a pino logger, or pino options.
 * @param name - the application name (the `name` field of every line).
 * @returns the logger.
 */
export function createLogger(logger: Logger | LoggerOptions | undefined, name: string): Logger {
  if (logger !== undefined && typeof (logger as Logger).child === 'function')
    return logger as Logger;
  // A synchronous stdout destination: lines keep their order and none is lost when the
  // process exits right after a graceful stop. Pass your own logger for asynchronous output.
  // Errors keep their own message and carry their cause as a nested `cause`: pino's default
  // serializer appends the causes' messages to the message, which says a wrapping error's
  // reason twice (AEM errors already name their cause).
  return pino(
    {
      name,
      serializers: { err: pino.stdSerializers.errWithCause },
      ...(logger as LoggerOptions | undefined),
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
