/** Options of the `application` generator (see schema.json). */
export interface ApplicationGeneratorSchema {
  /** The application's name (kebab-case folder under apps/). */
  name: string;
  /** The TCP port the application listens on by default (7000). */
  port?: number;
}
