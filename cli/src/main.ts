import { UsageError, resolveAddresses } from './config';
import { CliContext } from './context';
import { describeFailure, ExitCode } from './errors';
import { OutputFormat } from './output';
import { Args } from './commands/args';
import { executionCommand } from './commands/execution';
import { pipelineCommand } from './commands/pipeline';
import { eventsCommand, logsCommand, watchCommand } from './commands/streams';

const usage = `pipewright <command> [options]

  pipeline create|update <file> | get|delete|versions <name> | list
  start <pipeline> [--variable k=v]... [--source-revision Action=rev]... [--client-request-token t]
  state <pipeline>            executions <pipeline>          actions <pipeline> [--execution id]
  approve|reject <pipeline> <stage> <action> --summary text [--token t]
  retry <pipeline> <stage> --failed|--all [--execution id]
  stop <execution> [--pipeline name] [--abandon] [--reason text]
  transition enable|disable <pipeline> <stage> [--reason text]
  logs <job> [--follow] [--tail n]
  events [--pipeline p] [--execution id] [--follow]
  watch <pipeline> [execution]

  --output json|yaml|table   --endpoint service=host:port   --config file   --deadline-ms n
  --auth-token t (or PIPEWRIGHT_TOKEN): the bearer token sent with every call
  Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 invalid, 5 conflict or precondition, 6 unavailable, 7 denied.
`;

export async function run(argv: string[]): Promise<number> {
  let ctx: CliContext | undefined;
  try {
    const args = Args.parse(argv);
    const [command] = args.positionals;
    if (!command || args.flag('help')) {
      process.stdout.write(usage);
      return command || args.flag('help') ? ExitCode.ok : ExitCode.usage;
    }
    const output = (args.value('output') ?? 'table') as OutputFormat;
    if (!['json', 'yaml', 'table'].includes(output)) throw new UsageError('--output is json, yaml or table');
    ctx = new CliContext(resolveAddresses(args.list('endpoint'), args.value('config')), output, Number(args.value('deadline-ms') ?? 15000), args.value('auth-token') ?? (process.env.PIPEWRIGHT_TOKEN || undefined));
    const rest = args.shift(1);
    if (command === 'pipeline') await pipelineCommand(ctx, rest);
    else if (command === 'logs') await logsCommand(ctx, rest);
    else if (command === 'events') await eventsCommand(ctx, rest);
    else if (command === 'watch') await watchCommand(ctx, rest);
    else await executionCommand(ctx, command, rest);
    return ExitCode.ok;
  } catch (error) {
    const { line, code } = describeFailure(error);
    process.stderr.write(`pipewright: ${line}\n`);
    return code;
  } finally {
    ctx?.close();
  }
}

if (require.main === module || process.argv[1]?.endsWith('pipewright.js') || process.argv[1]?.endsWith('pipewright')) {
  run(process.argv.slice(2)).then((code) => process.exit(code));
}
