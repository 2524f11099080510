/**
 * The AEM application kit (in development): an inversify container, declarative handlers,
 * lifecycle, supervision, hot upgrade and Nx generators. Until it lands, this entry point only
 * names the kit's DI scope.
 *
 * @packageDocumentation
 */

/** Prefix of every DI token the application kit defines. */
export const APP_KIT_TOKEN_PREFIX = 'aem:';
