/*
Shell words for the exported `openstack` scripts (cli-export.ts and each operation's `exportCli`).
*/
import {isRef} from './refs.js';
import type {Ref, Step, Value} from './types.js';

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

/**
The shell variable that holds output `output` of step `$ref`.
*/
export function variableFor(reference: Ref): string {
	return `${snake(reference.$ref)}_${snake(reference.output)}`;
}

/**
A value as one shell word: a literal quoted, a ref as its variable.
*/
export function word(value: Value<string | number> | undefined): string {
	if (value === undefined) {
		return '';
	}

	return isRef(value) ? `"$${variableFor(value)}"` : shellQuote(String(value));
}

/**
`flag value`, or nothing when there is no value.
*/
export function option(flag: string, value: Value<string | number> | undefined): string[] {
	return value === undefined ? [] : [`${flag} ${word(value)}`];
}

export function propertyFlags(properties: Record<string, Value<string>> | undefined): string[] {
	return Object.entries(properties ?? {}).map(([key, value]) => isRef(value) ? `--property ${key}="$${variableFor(value)}"` : `--property ${shellQuote(`${key}=${value}`)}`);
}

/**
A line that runs `command` and keeps what it prints as output `output` of `step`.
*/
export function assign(step: Step, output: string, command: string): string {
	return `${variableFor({$ref: step.id, output})}="$(${command})"`;
}

/**
The openstack commands that delete a temporary of this kind and show it (until it is gone), for runbooks.
*/
export const removalCommands: Partial<Record<string, {remove: string; show: string}>> = {
	volume: {remove: 'openstack volume delete', show: 'openstack volume show'},
	snapshot: {remove: 'openstack volume snapshot delete', show: 'openstack volume snapshot show'},
	image: {remove: 'openstack image delete', show: 'openstack image show'},
};
