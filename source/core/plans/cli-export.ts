/*
The runbook reader: a plan as a commented bash script of `openstack` commands, with waits that stop on failure
statuses and a trap that removes temporary resources.
*/
import {describeCheck} from './describe.js';
import {dangerOf} from './operations.js';
import {isRef} from './refs.js';
import type {
	OperationName,
	Operations,
	Action,
	Plan,
	Ref,
	Step,
	Value,
	WaitResource,
} from './types.js';

const safeWord = /^[\w%+,\-.\/:=@]+$/v;

/**
A shell word for a literal value.
*/
export function shellQuote(value: string): string {
	return value !== '' && safeWord.test(value) ? value : `'${value.replaceAll('\'', String.raw`'\''`)}'`;
}

function snake(text: string): string {
	return text.replaceAll(/(?<=[\da-z])(?=[A-Z])/gv, '_').replaceAll(/[^\dA-Za-z]+/gv, '_').toUpperCase();
}

export function variableFor(reference: Ref): string {
	return `${snake(reference.$ref)}_${snake(reference.output)}`;
}

function word(value: Value<string | number> | undefined): string {
	if (value === undefined) {
		return '';
	}

	return isRef(value) ? `"$${variableFor(value)}"` : shellQuote(String(value));
}

const showCommand: Record<WaitResource, string> = {
	volume: 'openstack volume show',
	backup: 'openstack volume backup show',
	snapshot: 'openstack volume snapshot show',
	image: 'openstack image show',
};

function option(flag: string, value: Value<string | number> | undefined): string[] {
	return value === undefined ? [] : [`${flag} ${word(value)}`];
}

function propertyFlags(properties: Record<string, Value<string>> | undefined): string[] {
	return Object.entries(properties ?? {}).map(([key, value]) => isRef(value) ? `--property ${key}="$${variableFor(value)}"` : `--property ${shellQuote(`${key}=${value}`)}`);
}

function assign(step: Step, output: string, command: string): string {
	return `${variableFor({$ref: step.id, output})}="$(${command})"`;
}

type CommandInput<K extends OperationName> = {step: Step; args: Operations[K]; plan: Plan};

const commandBuilders: {[K in OperationName]: (input: CommandInput<K>) => string[]} = {
	'cinder.createVolume'({step, args}) {
		const a = args;
		const command = [
			a.backupId === undefined ? 'openstack volume create' : 'openstack --os-volume-api-version 3.47 volume create',
			...option('--size', a.size),
			...option('--type', a.volumeType),
			...option('--backup', a.backupId),
			...option('--image', a.imageRef),
			...option('--snapshot', a.snapshotId),
			...option('--description', a.description),
			...propertyFlags(a.metadata),
			word(a.name ?? step.id),
			'-f value -c id',
		].join(' ');
		return [
			...(a.backupId === undefined
				? []
				: [
					'# Creating the volume from the backup with its type (microversion 3.47) avoids the restore-to-new-volume trap:',
					'# without a type Cinder uses the default one and an encrypted backup ends error_restoring.',
				]),
			assign(step, 'volumeId', command),
		];
	},
	'cinder.restoreBackup'({step, args}) {
		const a = args;
		if (a.volumeId === undefined) {
			return [assign(step, 'volumeId', `openstack volume backup restore ${word(a.backupId)} ${word(a.name ?? 'restored')} -f value -c volume_id`)];
		}

		return [
			'# python-openstackclient 6.0 sends this restore correctly but then crashes while printing the result',
			'# ("cannot unpack non-iterable VolumeBackupsRestore object", exit status 1). The wait below is what tells success.',
			`openstack volume backup restore --force ${word(a.backupId)} ${word(a.volumeId)} || echo 'openstack exited non-zero (known OSC 6 output bug); waiting for the volume' >&2`,
		];
	},
	'cinder.createBackup'({step, args}) {
		const a = args;
		const command = [
			a.metadata === undefined ? 'openstack volume backup create' : 'openstack --os-volume-api-version 3.43 volume backup create',
			...option('--name', a.name),
			...option('--description', a.description),
			...(a.incremental === true ? ['--incremental'] : []),
			...(a.force === true ? ['--force'] : []),
			...propertyFlags(a.metadata),
			word(a.volumeId),
			'-f value -c id',
		].join(' ');
		return [
			...(a.force === true ? ['# --force: the volume is in use; the backup is crash-consistent, not application-consistent.'] : []),
			assign(step, 'backupId', command),
		];
	},
	'cinder.createSnapshot'({step, args}) {
		const a = args;
		return [assign(step, 'snapshotId', `openstack volume snapshot create --volume ${word(a.volumeId)}${a.force ? ' --force' : ''} ${word(a.name ?? step.id)} -f value -c id`)];
	},
	'cinder.uploadVolumeToImage'({step, args}) {
		const a = args;
		return [assign(step, 'imageId', `openstack image create --volume ${word(a.volumeId)}${a.force ? ' --force' : ''} --disk-format ${word(a.diskFormat ?? 'raw')} `
			+ `--container-format ${word(a.containerFormat ?? 'bare')} ${word(a.imageName)} -f value -c image_id`)];
	},
	'cinder.deleteVolume'({args}) {
		return [`openstack volume delete ${word(args.volumeId)}`];
	},
	'cinder.deleteSnapshot'({args}) {
		return [`openstack volume snapshot delete ${word(args.snapshotId)}`];
	},
	'glance.createImage'({step, args, plan}) {
		const a = args;
		const upload = plan.steps.find(candidate => candidate.action.op === 'glance.uploadImageData' && isRef(candidate.action.args.imageId) && candidate.action.args.imageId.$ref === step.id);
		const file = upload?.action.op === 'glance.uploadImageData' ? ` --file ${word(upload.action.args.path)}` : '';
		return [assign(step, 'imageId', ['openstack image create', `--disk-format ${word(a.diskFormat)}`, '--container-format '
			+ word(a.containerFormat), ...propertyFlags(a.properties)].join(' ') + `${file} ${word(a.name)} -f value -c id`)];
	},
	'glance.uploadImageData'({args}) {
		return [`# ${args.path} is uploaded by the 'openstack image create --file' command above.`];
	},
	'glance.downloadImage'({args}) {
		const a = args;
		return [
			'# openstack image save cannot resume an interrupted download (backstack can: it keeps a .part file).',
			`openstack image save --file ${word(a.path)} ${word(a.imageId)}`,
			`expected="$(openstack image show ${word(a.imageId)} -c checksum -f value)"`,
			String.raw`printf '%s  %s\n' "$expected" ${word(a.path)} | md5sum --check --quiet - || { echo 'checksum mismatch: the file is damaged' >&2; exit 1; }`,
		];
	},
	'glance.setImageProperties'({args}) {
		return [`openstack image set ${propertyFlags(args.properties).join(' ')} ${word(args.imageId)}`];
	},
	'glance.removeImageProperties'({step, args}) {
		const image = word(args.imageId);
		const variable = variableFor({$ref: step.id, output: 'properties'});
		return [
			'# Only the properties the image still has: `openstack image unset` fails on one that is gone (e.g. on a second run).',
			`${variable}="$(openstack image show -c properties -f json ${image})"`,
			...args.keys.flatMap(key => [
				`if [[ "$${variable}" == *${shellQuote(`"${key}"`)}* ]]; then`,
				`\topenstack image unset --property ${word(key)} ${image}`,
				'fi',
			]),
		];
	},
	'nova.createServerImage'({step, args}) {
		const a = args;
		return [assign(step, 'imageId', `openstack server image create --name ${word(a.name)} ${word(a.serverId)} -f value -c id`)];
	},
	'barbican.storeSecret'({step, args}) {
		const a = args;
		const command = [
			'openstack secret store',
			...option('--algorithm', a.algorithm),
			...option('--bit-length', a.bitLength),
			...option('--mode', a.mode),
			...option('--secret-type', a.secretType),
			...option('--file', a.path),
			...option('--name', a.name),
		].join(' ');
		const variable = variableFor({$ref: step.id, output: 'secretId'});
		return [
			'# The restored secret gets a NEW ID; the href printed by Barbican ends with it.',
			`${variable}_HREF="$(${command} -f value -c 'Secret href')"`,
			`${variable}="\${${variable}_HREF##*/}"`,
		];
	},
	'barbican.exportSecret'({args}) {
		const a = args;
		return [
			'# PLAINTEXT key: umask 077 makes the file readable by you only from the moment it exists.',
			`(umask 077 && openstack secret get --file ${word(a.path)} --payload_content_type application/octet-stream ${word(a.secretId)})`,
			...(a.hexPath === undefined
				? []
				: [
					'# The LUKS passphrase form: OpenStack passes hexlify(key) to LUKS (SCS user data backup guide, appendix).',
					`(umask 077 && python3 -c 'import binascii, sys; sys.stdout.write(binascii.hexlify(open(sys.argv[1], "rb").read()).decode())' ${word(a.path)} > ${word(a.hexPath)})`,
				]),
		];
	},
};

function commandFor(step: Step, action: Action, plan: Plan): string[] {
	const command = commandBuilders[action.op] as (input: CommandInput<OperationName>) => string[];
	return command({step, args: action.args, plan});
}

function waitLines(step: Step): string[] {
	if (!step.wait) {
		return [];
	}

	const {wait} = step;
	const id = word(wait.id);
	const done = wait.until.map(status => `[ "$status" = ${shellQuote(status)} ]`).join(' || ');
	const minutes = Math.round(wait.timeoutMs / 60_000);
	return [
		`# Wait until ${wait.resource} is ${wait.until.join(' or ')}; stop at once on ${wait.failOn.length > 0 ? wait.failOn.join(', ') : '(none)'}; give up after ${minutes} min.`,
		`deadline=$((SECONDS + ${Math.round(wait.timeoutMs / 1000)}))`,
		`until status="$(${showCommand[wait.resource]} ${id} -c status -f value)" && { ${done}; }; do`,
		...(wait.failOn.length > 0
			? [`\tcase "$status" in ${wait.failOn.map(status => shellQuote(status)).join('|')}) `
				+ `echo "${wait.resource} ${id.replaceAll('"', '')} is $status" >&2; exit 1;; esac`]
			: []),
		`\tif [ "$SECONDS" -ge "$deadline" ]; then echo "${wait.resource} ${id.replaceAll('"', '')} is still $status after ${minutes} min" >&2; exit 1; fi`,
		'\tsleep 5',
		'done',
	];
}

const removalCommands: Partial<Record<string, {remove: string; show: string}>> = {
	volume: {remove: 'openstack volume delete', show: 'openstack volume show'},
	snapshot: {remove: 'openstack volume snapshot delete', show: 'openstack volume snapshot show'},
};

/**
The plan as a bash script for runbooks.
*/
export function toOpenstackCli(plan: Plan): string {
	const lines = [
		'#!/usr/bin/env bash',
		`# ${plan.title}`,
		`# Exported by backstack from plan ${plan.id}. Read it before you run it; it needs OS_CLOUD (or OS_* variables) set.`,
	];
	for (const warning of plan.warnings) {
		lines.push(`# WARNING: ${warning}`);
	}

	lines.push('set -euo pipefail', '');
	if (plan.confirmation) {
		lines.push(
			`# DESTRUCTIVE: ${plan.confirmation.reason}`,
			`read -r -p ${shellQuote(`Type ${plan.confirmation.text} to continue: `)} answer`,
			`[ "$answer" = ${shellQuote(plan.confirmation.text)} ] || { echo 'Not confirmed; nothing was changed.' >&2; exit 1; }`,
			'',
		);
	}

	const temporaries = plan.steps.filter(step => step.creates?.temporary);
	if (temporaries.length > 0) {
		lines.push(
			'# Temporary resources are removed when the script ends, also after a failure or Ctrl-C (newest first).',
			'temporaries=()',
			'cleanup() {',
			'\tlocal i kind id',
			// eslint-disable-next-line no-template-curly-in-string -- bash, not a template.
			'\tfor ((i = ${#temporaries[@]} - 1; i >= 0; i--)); do',
			// eslint-disable-next-line no-template-curly-in-string -- bash, not a template.
			'\t\tkind="${temporaries[i]%% *}"; id="${temporaries[i]#* }"',
			'\t\tcase "$kind" in',
		);
		for (const [kind, commands] of Object.entries(removalCommands)) {
			lines.push(
				`\t\t\t${kind}) ${commands!.remove} "$id" || true`,
				`\t\t\t\twhile ${commands!.show} "$id" >/dev/null 2>&1; do sleep 5; done ;;`,
			);
		}

		lines.push('\t\tesac', '\tdone', '}', 'trap cleanup EXIT', '');
	}

	if (plan.concurrency !== undefined && plan.concurrency > 1) {
		lines.push(`# backstack runs up to ${plan.concurrency} of these steps at a time; this script runs them one after the other.`, '');
	}

	for (const [index, step] of plan.steps.entries()) {
		lines.push(`# Step ${index + 1} [${dangerOf(step, plan)}]: ${step.title}`);
		for (const check of step.checks) {
			lines.push(`#   precondition: ${describeCheck(check)}`);
		}

		if (step.note !== undefined) {
			lines.push(`#   ${step.note}`);
		}

		lines.push(...commandFor(step, step.action, plan));
		if (step.creates?.temporary) {
			lines.push(`temporaries+=("${step.creates.kind} $${variableFor({$ref: step.id, output: step.creates.output})}")`);
		}

		lines.push(...waitLines(step), '');
	}

	const assigned = new Set(lines.map(line => /^(?<name>\w+)="/v.exec(line)?.groups?.['name']).filter(name => name !== undefined));
	for (const [label, reference] of Object.entries(plan.results ?? {})) {
		if (assigned.has(variableFor(reference))) {
			lines.push(`echo "${label}: $${variableFor(reference)}"`);
		}
	}

	return lines.join('\n') + '\n';
}
