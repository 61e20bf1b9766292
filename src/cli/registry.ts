/**
 * @module cli/registry
 * Every command of the CLI, in the order `gigafactory --help` lists them.
 * Adding a command = writing it under `commands/` and listing it here.
 */

import { alertCommands } from "./commands/alerts.ts";
import { artifact, artifacts } from "./commands/artifacts.ts";
import { batch } from "./commands/batch.ts";
import { batchSubmit } from "./commands/batch-submit.ts";
import { budgetCommands } from "./commands/budget.ts";
import { children } from "./commands/children.ts";
import { deadLetters, redriveDeadLetter, showDeadLetter } from "./commands/dead-letters.ts";
import { enroll } from "./commands/enroll.ts";
import { enrollmentCodeCommands } from "./commands/enrollment-codes.ts";
import { explain } from "./commands/explain.ts";
import { factories } from "./commands/factories.ts";
import { factoryCommands } from "./commands/factory-changes.ts";
import { history } from "./commands/history.ts";
import { job } from "./commands/job.ts";
import { jobActions } from "./commands/job-actions.ts";
import { jobs } from "./commands/jobs.ts";
import { lessonsCommands } from "./commands/lessons.ts";
import { login } from "./commands/login.ts";
import { metricsCommands } from "./commands/metrics.ts";
import { productCommands } from "./commands/products.ts";
import { queueState } from "./commands/queue-state.ts";
import { reviewCommands } from "./commands/review.ts";
import { routingCommands } from "./commands/routing.ts";
import { experimentCommands } from "./commands/routing-experiment.ts";
import { serialCommands } from "./commands/serial.ts";
import { settingsCommands } from "./commands/settings.ts";
import { submit } from "./commands/submit.ts";
import { tokenCommands } from "./commands/tokens.ts";
import { tree } from "./commands/tree.ts";
import { watch } from "./commands/watch.ts";
import { whoami } from "./commands/whoami.ts";
import type { Command } from "./context.ts";

export const COMMANDS: readonly Command[] = [
  login,
  whoami,
  submit,
  jobs,
  job,
  watch,
  explain,
  tree,
  children,
  artifacts,
  artifact,
  ...jobActions,
  ...reviewCommands,
  ...serialCommands,
  factories,
  ...factoryCommands,
  enroll,
  ...enrollmentCodeCommands,
  ...tokenCommands,
  ...productCommands,
  queueState,
  batch,
  batchSubmit,
  ...settingsCommands,
  ...budgetCommands,
  history,
  deadLetters,
  showDeadLetter,
  redriveDeadLetter,
  ...metricsCommands,
  ...lessonsCommands,
  ...alertCommands,
  ...routingCommands,
  ...experimentCommands,
];
