/*
Plans as data: what the UI and the commands may use.
*/
export type * from './types.js';
export {
	describePlan, describeAction, formatPreview, confirmationFor, isConfirmed, requiresConfirmation, type Preview, type PreviewRow,
} from './describe.js';
export {describeCheck} from './checks.js';
export {runPlan, type RunOptions} from './execute.js';
export {PlanError} from './errors.js';
export {
	initialRunState, reducePlan, type RunState, type StepProgress, type CleanupProgress,
} from './reduce.js';
export {toOpenstackCli} from './cli-export.js';
export {
	listUnfinished, readJournal, type JournalRecord, type UnfinishedPlan,
} from './journal.js';
export {resumePlan, cleanupPlan, runPlanLocked} from './recover.js';
export {systemClock} from './clock.js';
export * from './restore.js';
export * from './backup.js';
export * from './bundle.js';
export * from './commands.js';
