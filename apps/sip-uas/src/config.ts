/** The application's configuration (injectable with `@Inject(CONFIG)`). */
export interface AppConfig {
  /** TCP port to listen on. */
  readonly port: number;
  /** Port of `/metrics` and `/health`; not served when undefined. */
  readonly httpPort?: number;
  /** What a new connection is greeted with. */
  readonly greeting: string;
}

/** The configuration, from the environment where set. */
export const config: AppConfig = {
  port: Number(process.env.PORT ?? 5060),
  httpPort: process.env.HTTP_PORT === undefined ? undefined : Number(process.env.HTTP_PORT),
  greeting: 'sip-uas ready',
};
