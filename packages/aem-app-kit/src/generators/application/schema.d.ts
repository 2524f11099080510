/** Options of the `application` generator (see schema.json). */
export interface ApplicationGeneratorSchema {
  /** The application's name (kebab-case folder under apps/). */
  name: string;
  /** The port the application listens on by default (7000). */
  port?: number;
  /** `tcp` (default): a line-based TCP service; `udp`: a datagram service on `@aem/udp`. */
  transport?: 'tcp' | 'udp';
}
