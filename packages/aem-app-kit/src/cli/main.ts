#!/usr/bin/env node
// The `aem-app-kit` executable (package.json `bin`); the logic lives in app-kit-cli.ts.
import { runCli } from './app-kit-cli';

process.exitCode = runCli(process.argv.slice(2));
