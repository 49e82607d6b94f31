/*
After a restore into a new volume: the HCL that makes Terraform/OpenTofu adopt it, as text for a file the user applies
(backstack never runs terraform). Two forms, the user picks:

(a) `import`: an `import {to, id}` block for the new volume at the old volume's address (Terraform/OpenTofu ≥ 1.7 for the
    `removed` block that goes with it; import blocks since 1.5). The old volume must first leave the state without being
    destroyed: `terraform state rm ADDRESS`, or, for an address without an instance key, a `removed` block applied on
    its own (it needs the resource block gone from the configuration, so it cannot sit next to the import). That
    `removed` block is written as a comment with the steps.
(b) `arguments`: `backup_id`, `volume_type` and `size` for the address's `openstack_blockstorage_volume_v3` block
    (terraform-provider-openstack ≥ 1.54, Cinder microversion 3.47): Terraform then replaces the volume with one it
    restores itself from the backup, and the restore made by backstack is not needed.

Attachments of the old volume are named in both forms: their `volume_id` changes, so Terraform replaces them.

Other restores make resources that stand in for managed ones too (a secret restored from its key file, a DR bundle's
images and volumes): for those only the import form exists, one block per resource, with the ID the provider documents
for its import (a volume's or an image's ID; a secret's ID, the last part of its reference).
*/
import {shellQuote} from '../plans/shell.js';
import type {IacEntry} from './state.js';

export type IacForm = 'import' | 'arguments';

export const iacForms: readonly IacForm[] = ['import', 'arguments'];

export type IacAdoption = {
	/**
	Where the restored backup's source volume is managed.
	*/
	volume: IacEntry;
	backupId: string;
	/**
	The new volume; undefined when the plan did not run (a dry run or an export): a placeholder is written then.
	*/
	newVolumeId?: string;
	volumeType?: string;
	size: number;
	/**
	Attachment resources whose volume is the old one.
	*/
	attachments: readonly IacEntry[];
};

export const newVolumePlaceholder = 'NEW_VOLUME_ID';

/**
A quoted HCL string: backslash, quote and control characters escaped, and `${` / `%{` doubled so nothing interpolates.
*/
export function hclString(value: string): string {
	const escaped = value
		.replaceAll('\\', String.raw`\\`)
		.replaceAll('"', String.raw`\"`)
		.replaceAll('\n', String.raw`\n`)
		.replaceAll('\r', String.raw`\r`)
		.replaceAll('\t', String.raw`\t`)
		.replaceAll('${', () => '$${')
		.replaceAll('%{', () => '%%{');
	return `"${escaped}"`;
}

function hasInstanceKey(address: string): boolean {
	return address.endsWith(']');
}

function attachmentLines(adoption: IacAdoption): string[] {
	if (adoption.attachments.length === 0) {
		return [];
	}

	return [
		'#',
		'# Attached by (their volume_id changes, so Terraform replaces these attachments, i.e. re-attaches):',
		...adoption.attachments.map(attachment => `#   ${attachment.address}`),
	];
}

function removedNote(address: string): string[] {
	return [
		'#    or, with the resource block taken out of the configuration for one apply, this block instead:',
		'#      removed {',
		`#        from = ${address}`,
		'#        lifecycle {',
		'#          destroy = false',
		'#        }',
		'#      }',
	];
}

function importForm(adoption: IacAdoption): string {
	const {volume} = adoption;
	const id = adoption.newVolumeId ?? newVolumePlaceholder;
	// `from` takes no instance key, so the removed block fits a single-instance address only.
	const removed = hasInstanceKey(volume.address) ? [] : removedNote(volume.address);
	const lines = [
		`# backstack: adopt the volume restored from backup ${adoption.backupId} at ${volume.address}`,
		`# (state ${volume.stateFile}). Not applied by backstack. Terraform/OpenTofu >= 1.7.`,
		...(adoption.newVolumeId === undefined ? [`# The restore has not run: replace ${newVolumePlaceholder} with the new volume's ID once it has.`] : []),
		'#',
		`# 1. Take the old volume ${volume.id} out of the state, without destroying it:`,
		`#      terraform state rm ${shellQuote(volume.address)}`,
		...removed,
		'# 2. Put this block next to the configuration, then terraform plan (it shows the import) and apply.',
		...attachmentLines(adoption),
		'',
		'import {',
		`  to = ${volume.address}`,
		`  id = ${hclString(id)}`,
		'}',
		'',
	];
	return lines.join('\n');
}

/**
The value for this one instance: other instances of a `count` / `for_each` block keep theirs (null = unset).
*/
function forInstance(volume: IacEntry, value: string): string {
	if (typeof volume.indexKey === 'number') {
		return `count.index == ${volume.indexKey} ? ${value} : null`;
	}

	return typeof volume.indexKey === 'string' ? `each.key == ${hclString(volume.indexKey)} ? ${value} : null` : value;
}

function argumentsForm(adoption: IacAdoption): string {
	const {volume} = adoption;
	const size = String(adoption.size);
	const where = volume.module === '' ? 'the root module' : `the module ${volume.module}`;
	const lines = [
		`# backstack: let Terraform restore backup ${adoption.backupId} itself at ${volume.address}`,
		`# (state ${volume.stateFile}). Not applied by backstack. terraform-provider-openstack >= 1.54.`,
		`# Add these arguments to the resource block below, in ${where}. On the next apply Terraform replaces`,
		`# the volume ${volume.id} with a new one restored from the backup: the old volume is deleted then,`,
		'# so keep a backup of it if its data still matters. A volume backstack restored is not used: delete it.',
		...attachmentLines(adoption),
		'',
		`resource ${hclString(volume.type)} ${hclString(volume.name)} {`,
		`  backup_id   = ${forInstance(volume, hclString(adoption.backupId))}`,
		...(adoption.volumeType === undefined ? [] : [`  volume_type = ${forInstance(volume, hclString(adoption.volumeType))}`]),
		// `size` is required: null would unset it for the other instances, so an indexed block only gets a reminder.
		volume.indexKey === undefined ? `  size        = ${size}` : `  # size: at least ${size} (GiB) for ${volume.address}, as the backup needs`,
		'}',
		'',
	];
	return lines.join('\n');
}

/**
The HCL text for `adoption` in the chosen form (default: import).
*/
export function adoptionHcl(adoption: IacAdoption, form: IacForm = 'import'): string {
	return form === 'import' ? importForm(adoption) : argumentsForm(adoption);
}

/**
The attachment resources of `volumeId` among `attachments`.
*/
export function attachmentsOf(attachments: readonly IacEntry[], volumeId: string): IacEntry[] {
	return attachments.filter(attachment => attachment.volumeId === volumeId);
}

/**
A resource a restore made in place of one a state manages.
*/
export type IacImport = {
	/**
	The old resource, as the state names it.
	*/
	entry: IacEntry;
	/**
	The new resource's ID; undefined before the plan ran.
	*/
	newId?: string;
};

const placeholders: Partial<Record<IacEntry['type'], string>> = {
	openstack_blockstorage_volume_v3: newVolumePlaceholder, // eslint-disable-line @typescript-eslint/naming-convention
	openstack_images_image_v2: 'NEW_IMAGE_ID', // eslint-disable-line @typescript-eslint/naming-convention
	openstack_keymanager_secret_v1: 'NEW_SECRET_ID', // eslint-disable-line @typescript-eslint/naming-convention
};

/**
Import blocks that adopt each new resource at its old one's address (Terraform/OpenTofu >= 1.5), after the
`terraform state rm` that takes the old ones out of the state. `what` names the restore in the header.
*/
export function importsHcl(imports: readonly IacImport[], what: string): string {
	const states = [...new Set(imports.map(item => item.entry.stateFile))].join(', ');
	const isPlanned = imports.some(item => item.newId === undefined);
	const lines = [
		`# backstack: adopt what ${what} made, at the addresses of the resources it stands in for`,
		`# (state ${states}). Not applied by backstack. Terraform/OpenTofu >= 1.5.`,
		...(isPlanned ? ['# The restore has not run: replace each NEW_…_ID with the new resource\'s ID once it has.'] : []),
		'#',
		'# 1. Take the old resources out of the state, without destroying them:',
		`#      terraform state rm ${imports.map(item => shellQuote(item.entry.address)).join(' ')}`,
		'# 2. Put these blocks next to the configuration, then terraform plan (it shows the imports) and apply.',
	];
	for (const item of imports) {
		lines.push(
			'',
			`# was ${item.entry.id}`,
			'import {',
			`  to = ${item.entry.address}`,
			`  id = ${hclString(item.newId ?? placeholders[item.entry.type] ?? 'NEW_ID')}`,
			'}',
		);
	}

	return `${lines.join('\n')}\n`;
}
