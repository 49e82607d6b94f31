/*
What `backstack restore …`, `backstack backup …` and `backstack journal …` need: requests from plain arguments,
planning, and running a plan with text progress (for pipes and CI). No argv, no process: the caller passes both in.
*/
import type {CloudSession} from '../../openstack/api.js';
import type {Inventory} from '../model.js';
import {formatBytes} from '../text.js';
import {
	planImageDownload,
	planProtectNow,
	planSecretExport,
	planServerImage,
	planVolumeBackup,
	planVolumeToImage,
	type ImageDownloadRequest,
	type ProtectNowRequest,
	type SecretExportRequest,
	type ServerImageRequest,
	type VolumeBackupRequest,
	type VolumeToImageRequest,
} from './backup.js';
import {
	planImageBundle,
	planVolumeBundle,
	type ImageBundleRequest,
	type VolumeBundleRequest,
} from './bundle.js';
import {toOpenstackCli} from './cli-export.js';
import {describePlan, formatPreview, requiresConfirmation} from './describe.js';
import {runPlan} from './execute.js';
import {listUnfinished, readJournal, type UnfinishedPlan} from './journal.js';
import {acquirePlanLock, PlanLockedError, type PlanLock} from './lock.js';
import {cleanupPlan, resumePlan} from './recover.js';
import {
	planImageFromFile,
	planRestoreBackupToNewVolume,
	planRestoreOntoVolume,
	planSecretFromFile,
	planVolumeFromImage,
	type ImageFromFileRequest,
	type RestoreBackupRequest,
	type RestoreOntoVolumeRequest,
	type SecretFromFileRequest,
	type VolumeFromImageRequest,
} from './restore.js';
import {planBundleRestore, type BundleRestoreRequest} from './restore-bundle.js';
import type {
	Clock,
	CreatedResource,
	Plan,
	PlanEvent,
	PlanResult,
} from './types.js';

export type RestoreRequest =
	| ({kind: 'backup'} & RestoreBackupRequest)
	| ({kind: 'onto'} & RestoreOntoVolumeRequest)
	| ({kind: 'volume-from-image'} & VolumeFromImageRequest)
	| ({kind: 'image'} & ImageFromFileRequest)
	| ({kind: 'secret'} & SecretFromFileRequest)
	| ({kind: 'bundle'} & BundleRestoreRequest);

export type BackupRequest =
	| ({kind: 'volume'} & VolumeBackupRequest)
	| ({kind: 'volume-image'} & VolumeToImageRequest)
	| ({kind: 'server'} & ServerImageRequest)
	| ({kind: 'image-download'} & ImageDownloadRequest)
	| ({kind: 'secret'} & SecretExportRequest)
	| ({kind: 'protect'} & ProtectNowRequest)
	| ({kind: 'bundle'} & ImageBundleRequest)
	| ({kind: 'volume-bundle'} & VolumeBundleRequest);

export const restoreKinds = ['backup', 'onto', 'volume-from-image', 'image', 'secret', 'bundle'] as const;
export const backupKinds = ['volume', 'volume-image', 'server', 'image-download', 'secret', 'protect', 'bundle'] as const;

/**
Usage text for `backstack restore` and `backstack backup` (for --help).
*/
export const planUsage = `Restore:
  backstack restore backup <backup> [--name N] [--volume-type T] [--method create-from-backup|create-then-restore]
                          [--tfstate FILE]... [--export-terraform F] [--iac-form import|arguments]
  backstack restore onto <backup> <volume> --confirm <volume name>
  backstack restore volume-from-image <image> [--name N] [--size GiB] [--volume-type T]
  backstack restore image <file> --name N [--disk-format raw] [--container-format bare]
                                 [--key-file F [--key-algorithm aes] [--key-bit-length 256] [--key-mode M] [--keep-key]]
  backstack restore secret <file> [--name N] [--algorithm aes] [--bit-length 256] [--mode M] [--secret-type symmetric] [--old-secret ID]
                          [--tfstate FILE]... [--export-terraform F]
  backstack restore bundle <directory> [--volume-type T] [--os-cloud C] [--project P] [--tfstate FILE]... [--export-terraform F]
Backup:
  backstack backup volume <volume> [--name N] [--incremental | --full] [--force]
  backstack backup volume-image <volume> --name IMAGE [--disk-format raw] [--container-format bare] [--via-snapshot]
  backstack backup server <server> --name IMAGE
  backstack backup image-download <image> <file>
  backstack backup secret <volume|backup|image|secret> <id> <file> [--hex]
  backstack backup protect <volume>... [--concurrency 2] [--incremental | --full]
  backstack backup bundle image <image> <directory>
  backstack backup bundle volume <volume> <directory>
Verify:
  backstack verify bundle <directory>   (offline: no cloud needed)
Journal:
  backstack journal [list] | resume <plan id> | cleanup <plan id>
Every plan: --dry-run (show it), --export-cli (print it as openstack commands), --yes (run it).`;

export class UsageError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UsageError';
	}
}

type Flags = Record<string, unknown>;

function text(flags: Flags, name: string): string | undefined {
	const value = flags[name];
	if (typeof value === 'number') {
		return String(value);
	}

	if (typeof value === 'string') {
		return value === '' ? undefined : value;
	}

	if (typeof value === 'boolean') {
		throw new UsageError(`--${name} needs a value.`);
	}

	return undefined;
}

function integer(flags: Flags, name: string): number | undefined {
	const value = text(flags, name);
	if (value === undefined) {
		return undefined;
	}

	const number = Number(value);
	if (!Number.isSafeInteger(number) || number <= 0) {
		throw new UsageError(`--${name} must be a positive whole number, not "${value}".`);
	}

	return number;
}

function positional(args: string[], index: number, what: string): string {
	const value = args[index];
	if (value === undefined || value === '') {
		throw new UsageError(`Missing ${what}.`);
	}

	return value;
}

function incrementalFlag(flags: Flags): boolean | 'auto' {
	if (flags['incremental'] === true && flags['full'] === true) {
		throw new UsageError('--incremental and --full exclude each other.');
	}

	if (flags['incremental'] === true) {
		return true;
	}

	return flags['full'] === true ? false : 'auto';
}

/**
`backstack restore <kind> <args…>` → a request. `args` are the words after `restore`; flags are meow's (camelCase
keys as meow gives them, e.g. `volumeType`). Throws UsageError with a sentence for the user.
*/
export function restoreRequestFrom(args: string[], flags: Flags): RestoreRequest {
	const [kind, ...rest] = args;
	switch (kind) {
		case 'backup': {
			const method = text(flags, 'method');
			if (method !== undefined && method !== 'create-from-backup' && method !== 'create-then-restore') {
				throw new UsageError('--method is create-from-backup or create-then-restore.');
			}

			return {
				kind, backupId: positional(rest, 0, 'the backup (name or ID)'), name: text(flags, 'name'), volumeType: text(flags, 'volumeType'), method,
			};
		}

		case 'onto': {
			return {kind, backupId: positional(rest, 0, 'the backup (name or ID)'), volumeId: positional(rest, 1, 'the target volume (name or ID)')};
		}

		case 'volume-from-image': {
			return {
				kind, imageId: positional(rest, 0, 'the image (name or ID)'), name: text(flags, 'name'), size: integer(flags, 'size'), volumeType: text(flags, 'volumeType'),
			};
		}

		case 'image': {
			const name = text(flags, 'name');
			if (name === undefined) {
				throw new UsageError('--name is needed: the name of the new image.');
			}

			return {
				kind,
				path: positional(rest, 0, 'the image file'),
				name,
				diskFormat: text(flags, 'diskFormat'),
				containerFormat: text(flags, 'containerFormat'),
				keyFile: text(flags, 'keyFile'),
				keyAlgorithm: text(flags, 'keyAlgorithm'),
				keyBitLength: integer(flags, 'keyBitLength'),
				keyMode: text(flags, 'keyMode'),
				keyDeletionPolicy: flags['keepKey'] === true ? 'keep' : 'on_image_deletion',
			};
		}

		case 'secret': {
			return {
				kind,
				path: positional(rest, 0, 'the key file'),
				name: text(flags, 'name'),
				algorithm: text(flags, 'algorithm'),
				bitLength: integer(flags, 'bitLength'),
				mode: text(flags, 'mode'),
				secretType: text(flags, 'secretType'),
				oldSecretId: text(flags, 'oldSecret'),
			};
		}

		case 'bundle': {
			return {kind, directory: positional(rest, 0, 'the bundle directory'), volumeType: text(flags, 'volumeType')};
		}

		case undefined:
		default: {
			throw new UsageError(`Unknown restore "${kind ?? ''}"; one of: ${restoreKinds.join(', ')}.`);
		}
	}
}

/**
`backstack backup bundle image|volume <id> <directory>` → a request.
*/
function bundleRequestFrom(rest: string[], version: string | undefined): BackupRequest {
	const what = positional(rest, 0, 'what to bundle (image or volume)');
	if (what === 'volume') {
		return {
			kind: 'volume-bundle', volumeId: positional(rest, 1, 'the volume (name or ID)'), directory: positional(rest, 2, 'the bundle directory'), version,
		};
	}

	if (what !== 'image') {
		throw new UsageError(`An image or a volume can be bundled (not "${what}"); server bundles are not built yet.`);
	}

	return {
		kind: 'bundle', imageId: positional(rest, 1, 'the image (name or ID)'), directory: positional(rest, 2, 'the bundle directory'), version,
	};
}

/**
`backstack backup <kind> <args…>` → a request (see restoreRequestFrom).
*/
export function backupRequestFrom(args: string[], flags: Flags, version?: string): BackupRequest {
	const [kind, ...rest] = args;
	switch (kind) {
		case 'volume': {
			return {
				kind,
				volumeId: positional(rest, 0, 'the volume (name or ID)'),
				name: text(flags, 'name'),
				incremental: incrementalFlag(flags),
				force: flags['force'] === true ? true : undefined,
				version,
			};
		}

		case 'volume-image': {
			const imageName = text(flags, 'name');
			if (imageName === undefined) {
				throw new UsageError('--name is needed: the name of the new image.');
			}

			return {
				kind,
				volumeId: positional(rest, 0, 'the volume (name or ID)'),
				imageName,
				diskFormat: text(flags, 'diskFormat'),
				containerFormat: text(flags, 'containerFormat'),
				viaSnapshot: flags['viaSnapshot'] === true ? true : undefined,
			};
		}

		case 'server': {
			const imageName = text(flags, 'name');
			if (imageName === undefined) {
				throw new UsageError('--name is needed: the name of the new image.');
			}

			return {kind, serverId: positional(rest, 0, 'the server (ID)'), imageName};
		}

		case 'image-download': {
			return {kind, imageId: positional(rest, 0, 'the image (name or ID)'), path: positional(rest, 1, 'the file to write')};
		}

		case 'secret': {
			const from = positional(rest, 0, 'where the key is (volume, backup, image or secret)');
			if (from !== 'volume' && from !== 'backup' && from !== 'image' && from !== 'secret') {
				throw new UsageError('The key is taken from a volume, backup, image or secret.');
			}

			return {
				kind, from: {kind: from, id: positional(rest, 1, `the ${from} (name or ID)`)}, path: positional(rest, 2, 'the file to write'), hex: flags['hex'] === true,
			};
		}

		case 'bundle': {
			return bundleRequestFrom(rest, version);
		}

		case 'protect': {
			if (rest.length === 0) {
				throw new UsageError('Name at least one volume.');
			}

			return {
				kind, volumeIds: rest, concurrency: integer(flags, 'concurrency'), incremental: incrementalFlag(flags), version,
			};
		}

		case undefined:
		default: {
			throw new UsageError(`Unknown backup "${kind ?? ''}"; one of: ${backupKinds.join(', ')}.`);
		}
	}
}

type Named = {id: string; name: string};

async function byNameOrId<T extends Named>(what: string, idOrName: string, find: () => Promise<T | undefined>, list: () => AsyncIterable<T>): Promise<string | PlanResult> {
	const direct = await find();
	if (direct) {
		return direct.id;
	}

	const matches: T[] = [];
	for await (const item of list()) {
		if (item.name === idOrName) {
			matches.push(item);
		}
	}

	return matches.length === 1
		? matches[0]!.id
		: {
			kind: 'refusal', reason: matches.length === 0
				? `No ${what} is called ${idOrName}.`
				: `${matches.length} ${what}s are called ${idOrName}; use `
					+ `the ID (${matches.map(item => item.id).join(', ')}).`,
		};
}

async function volumeId(session: CloudSession, idOrName: string, signal?: AbortSignal): Promise<string | PlanResult> {
	const {cinder} = session;
	return cinder ? byNameOrId('volume', idOrName, async () => cinder.findVolume(idOrName, {signal}), () => cinder.listVolumes({signal})) : idOrName;
}

async function backupId(session: CloudSession, idOrName: string, signal?: AbortSignal): Promise<string | PlanResult> {
	const {cinder} = session;
	return cinder ? byNameOrId('backup', idOrName, async () => cinder.findBackup(idOrName, {signal}), () => cinder.listBackups({signal})) : idOrName;
}

async function imageId(session: CloudSession, idOrName: string, signal?: AbortSignal): Promise<string | PlanResult> {
	const {glance} = session;
	return glance ? byNameOrId('image', idOrName, async () => glance.findImage(idOrName, {signal}), () => glance.listImages({signal})) : idOrName;
}

/**
Plans a restore; names are resolved to IDs first. Nothing changes.
*/
export async function planRestore(session: CloudSession, request: RestoreRequest, options: {signal?: AbortSignal; inventory?: Inventory} = {}): Promise<PlanResult> {
	const {signal} = options;
	switch (request.kind) {
		case 'backup': {
			const id = await backupId(session, request.backupId, signal);
			return typeof id === 'string' ? planRestoreBackupToNewVolume(session, {...request, backupId: id}, signal) : id;
		}

		case 'onto': {
			const backup = await backupId(session, request.backupId, signal);
			if (typeof backup !== 'string') {
				return backup;
			}

			const volume = await volumeId(session, request.volumeId, signal);
			return typeof volume === 'string' ? planRestoreOntoVolume(session, {backupId: backup, volumeId: volume}, signal) : volume;
		}

		case 'volume-from-image': {
			const id = await imageId(session, request.imageId, signal);
			return typeof id === 'string' ? planVolumeFromImage(session, {...request, imageId: id}, signal) : id;
		}

		case 'image': {
			return planImageFromFile(session, request);
		}

		case 'secret': {
			return planSecretFromFile(session, {...request, inventory: request.inventory ?? options.inventory});
		}

		case 'bundle': {
			return planBundleRestore(session, request, signal);
		}
	}
}

/**
Plans a backup; names are resolved to IDs first. Nothing changes.
*/
export async function planBackup(session: CloudSession, request: BackupRequest, options: {signal?: AbortSignal} = {}): Promise<PlanResult> {
	const {signal} = options;
	switch (request.kind) {
		case 'volume': {
			const id = await volumeId(session, request.volumeId, signal);
			return typeof id === 'string' ? planVolumeBackup(session, {...request, volumeId: id}, signal) : id;
		}

		case 'volume-image': {
			const id = await volumeId(session, request.volumeId, signal);
			return typeof id === 'string' ? planVolumeToImage(session, {...request, volumeId: id}, signal) : id;
		}

		case 'server': {
			return planServerImage(session, request, signal);
		}

		case 'image-download': {
			const id = await imageId(session, request.imageId, signal);
			return typeof id === 'string' ? planImageDownload(session, {...request, imageId: id}, signal) : id;
		}

		case 'secret': {
			const resolvers = {
				volume: volumeId, backup: backupId, image: imageId, secret: async (_session: CloudSession, id: string) => id,
			} as const;
			const id = await resolvers[request.from.kind](session, request.from.id, signal);
			return typeof id === 'string' ? planSecretExport(session, {...request, from: {kind: request.from.kind, id}}, signal) : id;
		}

		case 'bundle': {
			const id = await imageId(session, request.imageId, signal);
			return typeof id === 'string' ? planImageBundle(session, {...request, imageId: id}, signal) : id;
		}

		case 'volume-bundle': {
			const id = await volumeId(session, request.volumeId, signal);
			return typeof id === 'string' ? planVolumeBundle(session, {...request, volumeId: id}, signal) : id;
		}

		case 'protect': {
			const ids: string[] = [];
			for (const volume of request.volumeIds) {
				// eslint-disable-next-line no-await-in-loop
				const id = await volumeId(session, volume, signal);
				if (typeof id !== 'string') {
					return id;
				}

				ids.push(id);
			}

			return planProtectNow(session, {...request, volumeIds: ids}, signal);
		}
	}
}

export type Output = {write(chunk: string): unknown};

function clockTime(at: number): string {
	return new Date(at).toISOString().slice(11, 19);
}

function resourceText(resource: CreatedResource, shouldMarkTemporary = false): string {
	return `${shouldMarkTemporary && resource.temporary ? 'temporary ' : ''}${resource.kind} ${resource.id}${resource.name === undefined || resource.name === '' ? '' : ` (${resource.name})`}`;
}

type RendererContext = {plan: Plan; stepName: (stepId: string) => string; title: (stepId: string) => string};

function bytesText(event: Extract<PlanEvent, {type: 'bytes'}>): string {
	const {total, transferred, rate} = event;
	const parts = [total === undefined || total === 0
		? formatBytes(transferred)
		: `${Math.floor(transferred * 100 / total)}% ${formatBytes(transferred)} of ${formatBytes(total)}`];
	if (rate !== undefined && rate > 0) {
		parts.push(`${formatBytes(rate)}/s`);
		if (total !== undefined && transferred < total) {
			parts.push(`about ${Math.ceil((total - transferred) / rate)} s left`);
		}
	}

	return `  ${parts.join(', ')}`;
}

function cleanupDoneText(event: Extract<PlanEvent, {type: 'cleanup-done'}>): string {
	return event.alreadyGone ? `${resourceText(event.resource)} was already gone` : `removed ${resourceText(event.resource)}`;
}

/**
One line for an event, or undefined when it is not worth a line.
*/
function eventText(event: PlanEvent, context: RendererContext): string | undefined {
	switch (event.type) {
		case 'plan-start': {
			const verb = event.resumed ? 'Resuming' : 'Starting';
			return `${verb} plan ${context.plan.id}: ${context.plan.title}`;
		}

		case 'check-failed': {
			return `check failed (${context.stepName(event.stepId)}): ${event.reason}`;
		}

		case 'checks-passed': {
			return 'All checks passed.';
		}

		case 'step-start': {
			return `${context.stepName(event.stepId)}: ${context.title(event.stepId)}`;
		}

		case 'request': {
			return `  ${event.summary}`;
		}

		case 'created': {
			return `  created ${resourceText(event.resource, true)}`;
		}

		case 'status': {
			return `  ${event.resource} ${event.id}: ${event.status}`;
		}

		case 'bytes': {
			return bytesText(event);
		}

		case 'step-done': {
			return `${context.stepName(event.stepId)} done.`;
		}

		case 'step-failed': {
			return `${context.stepName(event.stepId)} FAILED: ${event.reason}`;
		}

		case 'cleanup-start': {
			return `cleanup: removing ${resourceText(event.resource)}`;
		}

		case 'cleanup-done': {
			return `cleanup: ${cleanupDoneText(event)}`;
		}

		case 'cleanup-failed': {
			return `cleanup: could NOT remove ${resourceText(event.resource)}: ${event.reason}`;
		}

		case 'cleanup-offered': {
			return `Left in place (remove with: backstack journal cleanup ${context.plan.id}): ${event.resources.map(resource => resourceText(resource)).join(', ')}`;
		}

		case 'plan-done': {
			const results = Object.entries(event.results).map(([key, value]) => `${key} ${value}`);
			return results.length > 0 ? `Done. ${results.join(', ')}` : 'Done.';
		}

		case 'plan-failed': {
			return `FAILED: ${event.reason}`;
		}

		case 'plan-cancelled': {
			return 'Cancelled.';
		}
	}
}

/**
Text progress for pipes and CI: one line per event that matters; byte progress at most every 10 % or 10 s.
Returns the function to feed events to.
*/
export function createTextRenderer(plan: Plan, output: Output): (event: PlanEvent) => void {
	const numbers = new Map(plan.steps.map((step, index) => [step.id, index + 1]));
	const titles = new Map(plan.steps.map(step => [step.id, step.title]));
	const context: RendererContext = {
		plan,
		stepName: stepId => `step ${numbers.get(stepId) ?? '?'}/${plan.steps.length}`,
		title: stepId => titles.get(stepId) ?? stepId,
	};
	const lastBytes = new Map<string, {at: number; share: number}>();
	const shouldPrint = (event: PlanEvent): boolean => {
		if (event.type !== 'bytes') {
			return true;
		}

		const share = event.total === undefined || event.total === 0 ? 0 : event.transferred / event.total;
		const previous = lastBytes.get(event.stepId);
		const isFinished = event.total !== undefined && event.transferred >= event.total;
		if (previous && !isFinished && share - previous.share < 0.1 && event.at - previous.at < 10_000) {
			return false;
		}

		lastBytes.set(event.stepId, {at: event.at, share});
		return true;
	};

	return event => {
		const message = shouldPrint(event) ? eventText(event, context) : undefined;
		if (message !== undefined) {
			output.write(`[${clockTime(event.at)}] ${message}\n`);
		}
	};
}

export type PlanCommandOptions = {
	stdout: Output;
	stderr: Output;
	signal?: AbortSignal;
	/**
	--yes: run without asking.
	*/
	yes?: boolean;
	/**
	--dry-run: print the preview only.
	*/
	dryRun?: boolean;
	/**
	--export-cli: print the plan as openstack commands only.
	*/
	exportCli?: boolean;
	/**
	--confirm: the typed confirmation of a destructive plan.
	*/
	confirm?: string;
	/**
	Journal directory (e.g. under the config dir); recommended.
	*/
	journal?: string;
	/**
	`journal resume|cleanup`: the plan's lock, when the caller took it before connecting.
	*/
	lock?: PlanLock;
	clock?: Clock;
	/**
	Called once the plan is done, with its results (e.g. `volume`: the new volume's ID), before the exit code returns.
	*/
	onDone?: (results: Record<string, string | number>) => Promise<void> | void;
};

/**
Exit codes of a plan command.
*/
export const exitCodes = {
	ok: 0, failed: 1, usage: 2, refused: 3, needsInput: 4, notConfirmed: 5, cancelled: 130,
	/**
	`backstack drill` for cron (issue 12): a drill could not run (the volume quota, no Cinder, the backup busy), which
	proves nothing either way; 1 stays "a drill failed". drill's usage errors are 64.
	*/
	couldNotRun: 2,
} as const;

/**
Prints, exports or runs a planner's result, and returns the exit code.
*/
export async function executePlanCommand(session: CloudSession, result: PlanResult, options: PlanCommandOptions): Promise<number> {
	if (result.kind === 'refusal') {
		options.stderr.write(`Refused (nothing was changed): ${result.reason}\n`);
		return exitCodes.refused;
	}

	if (result.kind === 'needs-input') {
		const flag = result.field.replaceAll(/[A-Z]/gv, letter => `-${letter.toLowerCase()}`);
		options.stderr.write(`${result.question}\nAnswer with --${flag} <value>:\n${result.options.map(option => `  ${option.value}  ${option.label}`).join('\n')}\n`);
		return exitCodes.needsInput;
	}

	const {plan} = result;
	if (options.exportCli) {
		options.stdout.write(toOpenstackCli(plan));
		return exitCodes.ok;
	}

	const preview = formatPreview(describePlan(plan));
	if (options.dryRun) {
		options.stdout.write(`${preview}\n`);
		return exitCodes.ok;
	}

	if (!options.yes) {
		options.stderr.write(`${preview}\n\nNothing was done. Run again with --yes to carry out this plan${plan.confirmation ? ` (and --confirm ${plan.confirmation.text})` : ''}.\n`);
		return exitCodes.notConfirmed;
	}

	if (requiresConfirmation(plan) && options.confirm !== plan.confirmation?.text) {
		options.stderr.write(`${preview}\n\nThis plan destroys data. Confirm with --confirm ${plan.confirmation?.text ?? '<name>'} (exactly).\n`);
		return exitCodes.notConfirmed;
	}

	options.stderr.write(`${preview}\n\n`);
	// The lock before the checks: `journal resume` from elsewhere must see this run as running from its first moment.
	let lock: PlanLock | undefined;
	if (options.journal !== undefined) {
		try {
			lock = acquirePlanLock(options.journal, plan.id);
		} catch (error) {
			options.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
			return error instanceof PlanLockedError ? exitCodes.refused : exitCodes.failed;
		}
	}

	try {
		return await runWithRenderer(plan, runPlan(plan, session, {
			signal: options.signal, journal: options.journal, confirmation: options.confirm, clock: options.clock,
		}), options.stdout, options.onDone);
	} finally {
		lock?.release();
	}
}

const exitCodeOf: Partial<Record<PlanEvent['type'], number>> = {
	'plan-done': exitCodes.ok,
	'plan-failed': exitCodes.failed,
	'plan-cancelled': exitCodes.cancelled,
};

async function runWithRenderer(plan: Plan, events: AsyncIterable<PlanEvent>, output: Output, onDone?: PlanCommandOptions['onDone']): Promise<number> {
	const render = createTextRenderer(plan, output);
	let code: number = exitCodes.failed;
	let results: Record<string, string | number> | undefined;
	for await (const event of events) {
		render(event);
		code = exitCodeOf[event.type] ?? code;
		if (event.type === 'plan-done') {
			results = event.results;
		}
	}

	if (results !== undefined) {
		await onDone?.(results);
	}

	return code;
}

export function formatUnfinished(plans: UnfinishedPlan[]): string {
	if (plans.length === 0) {
		return 'No unfinished plans.\n';
	}

	return plans.map(plan => {
		const leftovers = plan.leftovers.map(resource => `${resourceText(resource)}${resource.temporary ? ' [temporary]' : ''}`);
		return [
			`${plan.planId}  ${plan.running ? 'RUNNING' : plan.state}  ${plan.stepsDone}/${plan.stepsTotal} steps  updated ${plan.updatedAt}`,
			`  ${plan.title}`,
			...leftovers.map(item => `  created: ${item}`),
			plan.running ? '' : `  backstack journal resume ${plan.planId}   |   backstack journal cleanup ${plan.planId}`,
		].filter(Boolean).join('\n');
	}).join('\n\n') + '\n';
}

/**
`backstack journal [list | resume <id> | cleanup <id>]`.
*/
export async function executeJournalCommand(session: CloudSession | undefined, args: string[], options: PlanCommandOptions & {journal: string}): Promise<number> {
	const [action = 'list', planId] = args;
	if (action === 'list') {
		options.stdout.write(formatUnfinished(listUnfinished(options.journal)));
		return exitCodes.ok;
	}

	if (planId === undefined || !['resume', 'cleanup'].includes(action)) {
		options.stderr.write('Usage: backstack journal [list] | resume <plan id> | cleanup <plan id>\n');
		return exitCodes.usage;
	}

	if (!session) {
		options.stderr.write('A cloud session is needed to resume or clean up a plan.\n');
		return exitCodes.usage;
	}

	const record = listUnfinished(options.journal).find(entry => entry.planId === planId);
	if (!record) {
		options.stderr.write(`Plan ${planId} is not unfinished in ${options.journal}.\n`);
		return exitCodes.refused;
	}

	if (!options.yes) {
		options.stderr.write(`${formatUnfinished([record])}\nNothing was done. Run again with --yes to ${action} it.\n`);
		return exitCodes.notConfirmed;
	}

	try {
		const {plan} = (readJournal(options.journal, planId)!);
		if (action === 'resume') {
			return await runWithRenderer(plan, resumePlan(options.journal, planId, session, {
				signal: options.signal, clock: options.clock, confirmation: options.confirm, lock: options.lock,
			}), options.stdout);
		}

		const render = createTextRenderer(plan, options.stdout);
		let isFailed = false;
		for await (const event of cleanupPlan(options.journal, planId, session, {clock: options.clock, lock: options.lock})) {
			render(event);
			isFailed ||= event.type === 'cleanup-failed';
		}

		return isFailed ? exitCodes.failed : exitCodes.ok;
	} catch (error) {
		options.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
		return error instanceof PlanLockedError ? exitCodes.refused : exitCodes.failed;
	}
}
