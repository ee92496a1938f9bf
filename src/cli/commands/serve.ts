import { Option, type Command } from 'commander';
import { configFileEnv, envName, flagName, loadServeConfig, optionSpecs } from '../../config/index.js';
import { boolean } from '../../config/values.js';

function describe(spec: (typeof optionSpecs)[number]): string {
  const shown = spec.defaultText ?? (spec.default === undefined ? undefined : String(spec.default));
  return `${spec.description}${shown === undefined ? '' : ` (default: ${shown})`} [${envName(spec.key)}]`;
}

/**
 * `wasmgate serve`: the HTTPS admission webhook. Runs until SIGTERM or SIGINT (graceful drain, exit 0);
 * SIGHUP reloads the policy and the certificate.
 */
export function registerServe(program: Command): void {
  const command = program
    .command('serve')
    .description('serve the compiled policy as HTTPS admission webhooks, validating and mutating (AdmissionReview v1 and v1beta1)')
    .addOption(new Option('--config <file>', `YAML file of settings (keys as below, e.g. port, tls.certFile) [${configFileEnv}]`));
  for (const spec of optionSpecs) {
    const flag = flagName(spec.key);
    if (spec.parse === boolean) {
      command.addOption(new Option(`--${flag}`, describe(spec)));
      command.addOption(new Option(`--no-${flag}`).hideHelp());
    } else {
      command.addOption(new Option(`--${flag} <value>`, describe(spec)));
    }
  }
  command.addHelpText(
    'after',
    '\nPrecedence: flags, then environment variables, then the --config file, then defaults.\n' +
      'Durations take ms, s or m (a bare number is milliseconds); sizes take KiB, MiB or GiB.',
  );
  command.action(async (flags: Record<string, unknown>) => {
    // Commander names `--tls-cert-file` tlsCertFile; the config module reads flags by those names.
    const { config, warnings } = loadServeConfig({ flags });
    // Loaded when the server starts, so that --help and --version start fast.
    const [{ createLogger }, { WebhookServer }] = await Promise.all([import('../../observability/logger.js'), import('../../server/server.js')]);
    const logger = createLogger({ level: config.log.level });
    for (const warning of warnings) logger.warn({ configFile: config.configFile }, `configuration: ${warning}`);
    const server = await WebhookServer.build(config, { logger });

    const onHup = () => {
      logger.info({ signal: 'SIGHUP' }, 'signal received: reloading the policy and the certificate');
      server.reloadCertificate('SIGHUP');
      void server.reloadPolicy('SIGHUP');
    };
    const onStop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'signal received: shutting down');
      void server.shutdown();
    };
    process.on('SIGHUP', onHup);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    try {
      try {
        await server.listen();
      } catch (err) {
        // The workers and file watches would keep the process alive.
        await server.shutdown();
        throw err;
      }
      await server.stopped;
    } finally {
      process.off('SIGHUP', onHup);
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
    }
    process.exitCode = 0;
  });
}
