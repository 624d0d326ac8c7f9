#!/usr/bin/env node
// Kept tiny so that `kiln --version` and `kiln --help` never load the engine.
import { main } from '../dist/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`kiln: internal error: ${error?.stack ?? error}\n`);
    process.exitCode = 70;
  },
);
