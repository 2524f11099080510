/** Options of the `service` generator (see schema.json). */
export interface ServiceGeneratorSchema {
  /** The service's name (kebab-case; the package is `@aem/<name>` in `packages/aem-<name>`). */
  name: string;
}
