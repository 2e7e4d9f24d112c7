// The `machina` command line: one program, subcommands that read like sentences.
import { Command, CommanderError } from 'commander';
import { emitError } from './output.ts';
import { VERSION } from './version.ts';
import { addUpCommand } from './commands/up.ts';
import { addDeployCommand } from './commands/deploy.ts';
import { addStatusCommand } from './commands/status.ts';
import { addAgentCommands } from './commands/agent.ts';
import { addFeedbackCommands } from './commands/feedback.ts';
import { addValidationCommands } from './commands/validation.ts';
import { addMcpCommand } from './commands/mcp.ts';
import { addPayCommands } from './commands/pay.ts';
import { addWalletCommands } from './commands/wallet.ts';
import { addAnchorCommands } from './commands/anchor.ts';
import { addVerifyCommand } from './commands/verify.ts';
import { addDiffCommand } from './commands/diff.ts';
import { addDatasetCommands } from './commands/dataset.ts';
import { addModelCommands } from './commands/model.ts';
import { addAuditCommand } from './commands/audit.ts';
import { addComputeCommands } from './commands/compute.ts';
import { addProviderCommands } from './commands/provider.ts';
import { addDataCommands } from './commands/data.ts';
import { addDemoCommands } from './commands/demo.ts';
import { addSimCommands } from './commands/sim.ts';

export function buildProgram(): Command {
  const program = new Command()
    .name('machina')
    .description('Machina: open infrastructure for the machine economy')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  addUpCommand(program);
  addDeployCommand(program);
  addStatusCommand(program);
  addAgentCommands(program);
  addFeedbackCommands(program);
  addValidationCommands(program);
  addWalletCommands(program);
  addPayCommands(program);
  addAnchorCommands(program);
  addVerifyCommand(program);
  addDiffCommand(program);
  addDatasetCommands(program);
  addModelCommands(program);
  addAuditCommand(program);
  addComputeCommands(program);
  addProviderCommands(program);
  addDataCommands(program);
  addDemoCommands(program);
  addSimCommands(program);
  addMcpCommand(program);
  for (const cmd of allCommands(program)) cmd.exitOverride();
  return program;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}

/** Runs the CLI with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    await buildProgram().parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with code 0; usage errors were already printed.
      return err.exitCode;
    }
    return emitError({ json }, err);
  }
}
