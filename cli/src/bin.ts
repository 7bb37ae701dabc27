#!/usr/bin/env node
/** The `drivrr` command. Each subcommand lives in commands/ and is a thin layer over library functions. */
import { buildProgram } from './program.js';
import { reportFatal } from './output.js';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  reportFatal(error);
}
