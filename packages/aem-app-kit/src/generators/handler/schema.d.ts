/** Options of the `handler` generator (see schema.json). */
export interface HandlerGeneratorSchema {
  /** The handler's name (kebab-case file, PascalCase class + `Handler`). */
  name: string;
  /** The application folder under `apps/`. */
  project: string;
}
