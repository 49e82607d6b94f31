/*
The preview reader: what a plan will create, change and destroy, before it runs.
*/
import {dangerOf} from './operations.js';
import {describeRef, isRef} from './refs.js';
import type {
	OperationName,
	Operations,
	Action,
	Check,
	Confirmation,
	Danger,
	Plan,
	Step,
	Value,
} from './types.js';

export type PreviewRow = {
	/**
	1-based, as the user reads it.
	*/
	number: number;
	stepId: string;
	title: string;
	danger: Danger;
	/**
	One line: the call, with refs as "<volume from step 2>".
	*/
	action: string;
	checks: string[];
	/**
	"waits until available (fails on error, error_restoring)".
	*/
	wait?: string;
	/**
	What happens to what the step creates.
	*/
	creates?: string;
	note?: string;
};

export type Preview = {
	title: string;
	rows: PreviewRow[];
	warnings: string[];
	confirmation?: Confirmation;
	counts: Record<Danger, number>;
};

type Show = (value: Value<string | number> | undefined) => string;

/**
A string that says something (neither undefined nor empty).
*/
export function hasText(value: string | undefined): value is string {
	return value !== undefined && value !== '';
}

function quote(value: string): string {
	return `"${value}"`;
}

type DescribeInput<K extends OperationName> = {args: Operations[K]; show: Show};

const actionDescriptions: {[K in OperationName]: (input: DescribeInput<K>) => string} = {
	'cinder.createVolume'({args, show}) {
		const a = args;
		let source = 'empty';
		if (a.backupId !== undefined) {
			source = `from backup ${a.backupId} (microversion 3.47)`;
		} else if (a.imageRef !== undefined) {
			source = `from image ${show(a.imageRef)}`;
		} else if (a.snapshotId !== undefined) {
			source = `from snapshot ${show(a.snapshotId)}`;
		}

		const size = a.size === undefined ? 'size of the source' : `${show(a.size)} GiB`;
		return `Create volume ${quote(a.name ?? '')} ${source}, ${size}, type ${a.volumeType ?? 'default'}`;
	},
	'cinder.restoreBackup'({args, show}) {
		return args.volumeId === undefined
			? `Restore backup ${args.backupId} to a new volume ${quote(args.name ?? '')} (default type)`
			: `Restore backup ${args.backupId} onto volume ${show(args.volumeId)} (overwrites its data)`;
	},
	'cinder.createBackup'({args, show}) {
		const a = args;
		const flavour = [a.incremental ? 'incremental' : 'full', a.force ? 'forced (volume in use)' : ''].filter(Boolean).join(', ');
		return `Back up volume ${show(a.volumeId)} (${flavour}) as ${quote(a.name ?? '')}`;
	},
	'cinder.createSnapshot'({args, show}) {
		return `Snapshot volume ${show(args.volumeId)}${args.force ? ' (force, volume in use)' : ''} as ${quote(args.name ?? '')}`;
	},
	'cinder.uploadVolumeToImage'({args, show}) {
		return `Upload volume ${show(args.volumeId)} to image ${quote(args.imageName)} (${args.diskFormat ?? 'raw'}/${args.containerFormat ?? 'bare'})`;
	},
	'cinder.deleteVolume'({args, show}) {
		return `Delete volume ${show(args.volumeId)}`;
	},
	'cinder.deleteSnapshot'({args, show}) {
		return `Delete snapshot ${show(args.snapshotId)}`;
	},
	'glance.createImage'({args, show}) {
		const properties = Object.entries(args.properties ?? {}).map(([key, value]) => `${key}=${show(value)}`);
		return `Create image ${quote(args.name)} (${args.diskFormat}/${args.containerFormat})${properties.length > 0 ? ` with ${properties.join(', ')}` : ''}`;
	},
	'glance.uploadImageData'({args, show}) {
		return `Upload ${args.path} into image ${show(args.imageId)}`;
	},
	'glance.downloadImage'({args}) {
		return `Download image ${args.imageId} to ${args.path} (resumable, checksum verified)`;
	},
	'glance.setImageProperties'({args, show}) {
		const properties = Object.entries(args.properties).map(([key, value]) => `${key}=${show(value)}`);
		return `Set ${properties.join(', ')} on image ${show(args.imageId)}`;
	},
	'glance.removeImageProperties'({args, show}) {
		return `Remove ${args.keys.length === 1 ? 'property' : 'properties'} ${args.keys.join(', ')} from image ${show(args.imageId)}`;
	},
	'nova.createServerImage'({args}) {
		return `Create image ${quote(args.name)} of server ${args.serverId} (createImage)`;
	},
	'barbican.storeSecret'({args}) {
		const a = args;
		const attributes = [a.secretType, a.algorithm, a.bitLength === undefined ? undefined : `${a.bitLength} bit`, a.mode].filter(value => hasText(value)).join(' ');
		return `Store ${a.path} as a new Barbican secret ${quote(a.name ?? '')}${hasText(attributes) ? ` (${attributes})` : ''}`;
	},
	'barbican.exportSecret'({args}) {
		return `Write the plaintext of secret ${args.secretId} to ${args.path} (mode `
			+ `0600)${hasText(args.hexPath) ? ` and its LUKS passphrase form to ${args.hexPath}` : ''}`;
	},
};

/**
One line for an action; `show` renders values (refs in previews, resolved values while running).
*/
export function describeAction(action: Action, show: Show): string {
	const describe = actionDescriptions[action.op] as (input: DescribeInput<OperationName>) => string;
	return describe({args: action.args, show});
}

export function describeCheck(check: Check): string {
	switch (check.kind) {
		case 'volume-status': {
			return `volume ${check.volumeId} is ${check.in.join(' or ')}`;
		}

		case 'volume-min-size': {
			return `volume ${check.volumeId} is at least ${check.size} GiB`;
		}

		case 'volume-type-is': {
			return `volume ${check.volumeId} has type ${check.volumeType}`;
		}

		case 'backup-status': {
			return `backup ${check.backupId} is ${check.in.join(' or ')}`;
		}

		case 'snapshot-status': {
			return `snapshot ${check.snapshotId} is ${check.in.join(' or ')}`;
		}

		case 'volume-type-exists': {
			return `volume type ${check.volumeType} exists`;
		}

		case 'secret-exists': {
			return `Barbican secret ${check.secretId} exists`;
		}

		case 'image-status': {
			return `image ${check.imageId} is ${check.in.join(' or ')}`;
		}

		case 'server-status': {
			return `server ${check.serverId} is ${check.in.join(' or ')}`;
		}

		case 'available-full-backup': {
			return `volume ${check.volumeId} has an available full backup`;
		}

		case 'microversion': {
			return `${check.service} supports microversion ${check.atLeast}`;
		}

		case 'file-readable': {
			return `${check.path} is readable`;
		}

		case 'file-absent': {
			return `${check.path} does not exist yet`;
		}
	}
}

function describeWait(step: Step, show: Show): string | undefined {
	if (!step.wait) {
		return undefined;
	}

	const failOn = step.wait.failOn.length > 0 ? ` (fails on ${step.wait.failOn.join(', ')})` : '';
	return `waits until ${step.wait.resource} ${show(step.wait.id)} is ${step.wait.until.join(' or ')}${failOn}`;
}

export function describePlan(plan: Plan): Preview {
	const show: Show = value => {
		if (value === undefined) {
			return '?';
		}

		return isRef(value) ? describeRef(value, plan) : String(value);
	};

	const counts: Record<Danger, number> = {
		read: 0, create: 0, mutate: 0, destroy: 0,
	};
	const rows = plan.steps.map((step, index): PreviewRow => {
		const danger = dangerOf(step, plan);
		counts[danger]++;
		const creates = step.creates
			? [
				step.creates.temporary ? 'temporary ' : '',
				step.creates.kind,
				hasText(step.creates.name) ? ` "${step.creates.name}"` : '',
				step.creates.temporary ? ', removed at the end even on failure or cancel' : ', kept',
			].join('')
			: undefined;
		return {
			number: index + 1,
			stepId: step.id,
			title: step.title,
			danger,
			action: describeAction(step.action, show),
			checks: step.checks.map(check => describeCheck(check)),
			wait: describeWait(step, show),
			creates,
			note: step.note,
		};
	});
	return {
		title: plan.title, rows, warnings: plan.warnings, confirmation: plan.confirmation, counts,
	};
}

const dangerMarks: Record<Danger, string> = {
	read: '  ', create: '+ ', mutate: '~ ', destroy: '! ',
};

/**
The preview as plain text (for `--dry-run` and logs).
*/
export function formatPreview(preview: Preview): string {
	const lines = [preview.title, ''];
	for (const warning of preview.warnings) {
		lines.push(`WARNING: ${warning}`);
	}

	if (preview.warnings.length > 0) {
		lines.push('');
	}

	for (const row of preview.rows) {
		lines.push(`${dangerMarks[row.danger]}${row.number}. [${row.danger}] ${row.title}`, `     ${row.action}`);
		for (const check of row.checks) {
			lines.push(`     check: ${check}`);
		}

		if (hasText(row.wait)) {
			lines.push(`     ${row.wait}`);
		}

		if (hasText(row.creates)) {
			lines.push(`     creates: ${row.creates}`);
		}

		if (hasText(row.note)) {
			lines.push(`     note: ${row.note}`);
		}
	}

	if (preview.confirmation) {
		lines.push('', `DESTRUCTIVE: ${preview.confirmation.reason}`, `To run it, type the name: ${preview.confirmation.text}`);
	}

	return lines.join('\n');
}

/**
The text the user must type before a destructive plan runs, or undefined when none is needed.
*/
export function confirmationFor(plan: Plan): Confirmation | undefined {
	return plan.confirmation;
}

export function requiresConfirmation(plan: Plan): boolean {
	return plan.confirmation !== undefined || plan.steps.some(step => dangerOf(step, plan) === 'destroy');
}

/**
True when `typed` allows the plan to run. A destroy step without a confirmation never runs.
*/
export function isConfirmed(plan: Plan, typed: string | undefined): boolean {
	return requiresConfirmation(plan) ? plan.confirmation !== undefined && typed !== undefined && typed === plan.confirmation.text : true;
}
