/**
 * Questions to a person, on the terminal only: never on stdout (which may be a file of data), and
 * never without one. A prompt is shown when stdin and stderr are terminals and CI is unset; every
 * prompt has a flag that answers it (named in the refusal when there is no terminal).
 */
import { CliError, EXIT } from './output.js';

export const canPrompt = (): boolean => Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY) && !process.env.CI;

/** Where prompts draw: the terminal behind stderr. */
const terminal = () => ({ input: process.stdin, output: process.stderr });

/**
 * Asks "are you sure?" unless `yes` (the flag) answers it. Without a terminal it refuses and names
 * the flag; a "no" stops the command with exit 1 and nothing done.
 */
export async function confirmOrStop(question: string, options: { yes: boolean | undefined; flag: string }): Promise<void> {
  if (options.yes) return;
  if (!canPrompt()) throw new CliError(`refusing without confirmation: no terminal to ask on; pass ${options.flag} to go ahead`, EXIT.usage);
  const { confirm } = await import('@inquirer/prompts');
  const sure = await confirm({ message: question, default: false }, terminal());
  if (!sure) throw new CliError('stopped: nothing was changed');
}

/** A choice on the terminal; `missing` explains what to pass when there is none. */
export async function chooseOnTerminal<T extends string>(message: string, choices: { name: string; value: T; description?: string }[], missing: string): Promise<T> {
  if (!canPrompt()) throw new CliError(missing, EXIT.usage);
  const { select } = await import('@inquirer/prompts');
  return select({ message, choices }, terminal());
}
