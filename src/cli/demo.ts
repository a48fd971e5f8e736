/**
 * `cadence demo`: the whole product with no Pipedrive account. Starts the built-in sandbox in-process on
 * a free port with the demo firm's data, then runs the real parts against it over HTTP: setup, the
 * nightly job, the nightly job again to show that a re-run writes nothing, and a night after a client changed
 * hands (one handover activity for the new owner, docs/policy.md §10.5).
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { startSandbox } from '../../sandbox/server.js';
import { DEMO_STORY, DEMO_USERS, generateDataset } from '../../sandbox/generator.js';
import { loadConfig, type AppConfig } from '../config/load-config.js';
import { composeCompany, loggerFor } from '../app/compose.js';
import { runSetup, formatSetupReport } from '../setup/run-setup.js';
import { runCompanyJob } from '../job/run-company-job.js';
import { formatJobOutcome } from './format-outcome.js';
import { createProgress, jobProgress } from './progress.js';
import { EXIT } from './errors-to-exit.js';
import type { Locale } from '../i18n/locales.js';
import { dateNow, systemClock } from '../domain/clock.js';

type Values = Record<string, string | boolean | undefined>;

export async function runDemo(values: Values, env: Record<string, string | undefined>): Promise<number> {
  // --locale is one of LOCALES: the parser checks its choices (COMMANDS.demo in commands.ts).
  const locale = (values.locale ?? 'pt-BR') as Locale;
  const reportDir = (values['report-dir'] as string | undefined) ?? 'reports/demo';
  const stateFile = 'data/demo.sqlite';
  // Each demo starts a fresh sandbox, so its state starts fresh too.
  rmSync(stateFile, { force: true });

  const out = (s: string) => process.stdout.write(s);
  out('Starting the Pipedrive sandbox with the demo firm…\n');
  const sandbox = await startSandbox({ dataset: generateDataset({ seed: 42, now: dateNow(systemClock()), scale: 'demo' }) });
  try {
    const loaded = loadConfig({
      env: {
        PIPEDRIVE_API_TOKEN: sandbox.token,
        PIPEDRIVE_BASE_URL: sandbox.url,
        PIPEDRIVE_COMPANY_DOMAIN: sandbox.companyDomain,
        CADENCE_STATE_URL: `sqlite://./${stateFile}`,
        CADENCE_REPORT_DIR: reportDir,
        CADENCE_POLICY_FILE: (values.policy as string | undefined) ?? env.CADENCE_POLICY_FILE ?? 'config/policy.yaml',
        LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      },
    });
    const config: AppConfig = { ...loaded, policy: { ...loaded.policy, locale } };
    const logger = loggerFor(config);
    out(`Sandbox listening on ${sandbox.url} (token ${sandbox.token}); state in ${stateFile}; reports in ${reportDir}/\n\n`);

    const parts = await composeCompany(config, logger);
    try {
      out('1. cadence setup — create the flag fields and activity types the policy needs\n');
      const setup = await runSetup({ client: parts.client, policy: config.policy, logger });
      out(`${formatSetupReport(setup)}\n\n`);

      out('2. the nightly job — sync, rules, plan, apply, report\n');
      const progress = createProgress(process.stderr, logger);
      const first = await runCompanyJob(parts, {
        ...jobProgress(progress),
        onFirstApply: (summary) => void out(`First apply against this company. Plan summary:\n${summary}\n`),
      });
      progress.done();
      out(`${formatJobOutcome(first)}\n`);
      if (first.plan) {
        const created = first.plan.writes.filter((w) => w.kind === 'create_activity');
        out(`Activities written to Pipedrive (${created.length}):\n`);
        for (const w of created.slice(0, 25)) if (w.kind === 'create_activity') out(`  • [${w.purpose}] ${w.activity.subject}  → owner #${w.activity.owner_id}, due ${w.activity.due_date}\n`);
        if (created.length > 25) out(`  … and ${created.length - 25} more (see the report)\n`);
        out('\n');
      }

      out('3. the nightly job again — nothing changed, so nothing is written\n');
      // No report for the re-run: `latest` stays the run that did the work.
      const second = await runCompanyJob(parts, { steps: { report: false } });
      const c = second.apply?.counts;
      out(`Second run: ${c?.created ?? 0} created, ${c?.updated ?? 0} updated, ${c?.deleted ?? 0} deleted (status ${second.status}).\n\n`);
      const third = await demoHandover(sandbox, parts, out);

      const writes = sandbox.writes();
      out(`The sandbox received ${writes.length} writes in all (${writes.filter((w) => w.method === 'POST').length} POST, ${writes.filter((w) => w.method === 'PATCH').length} PATCH, ${writes.filter((w) => w.method === 'DELETE').length} DELETE).\n`);
      if (first.reports) out(`\nOpen the report: ${resolve(first.reports.files.html)}\n`);
      if (values['keep-running'] === true) {
        out(`\nThe sandbox keeps running on ${sandbox.url} (x-api-token: ${sandbox.token}). Ctrl-C to stop.\n`);
        await new Promise<void>((r) => {
          process.once('SIGINT', () => r());
          process.once('SIGTERM', () => r());
        });
      }
      return [first, second, third].some((o) => o.status === 'failed') ? EXIT.failed : EXIT.ok;
    } finally {
      await parts.close();
    }
  } finally {
    await sandbox.close();
  }
}

/** Step 4: the client of the handover story changes hands in Pipedrive; the next night hands its history over. */
async function demoHandover(
  sandbox: Awaited<ReturnType<typeof startSandbox>>,
  parts: Awaited<ReturnType<typeof composeCompany>>,
  out: (s: string) => void,
): Promise<Awaited<ReturnType<typeof runCompanyJob>>> {
  const story = DEMO_STORY.handover!;
  out(`4. ${story.name} changes hands in Pipedrive (Fernanda → Marcos) — the nightly job again\n`);
  sandbox.state.upsert('organization', { id: story.orgId, owner_id: DEMO_USERS.marcos.id });
  const third = await runCompanyJob(parts, { steps: { report: false } });
  const handovers = (third.plan?.writes ?? []).flatMap((w) => (w.kind === 'create_activity' && w.purpose === 'handover' ? [w] : []));
  out(`Third run: ${third.apply?.counts.created ?? 0} created (status ${third.status})`);
  for (const w of handovers) out(`\n  • [handover] ${w.activity.subject}  → owner #${w.activity.owner_id}`);
  out('\n\n');
  return third;
}
