/*
What the restore and backup flows share: how a form's text becomes a request's value, and the lists a form offers.
*/
import type {FlowOption} from './types.js';

/**
A file name from a cloud-supplied name: letters, digits, dot, dash and underscore only (no path, no hidden file).
*/
export function safeFileName(name: string): string {
	const cleaned = name.replaceAll(/[^\w\-.]+/gv, '_').replace(/^\.+/v, '');
	return cleaned === '' ? 'backstack-export' : cleaned.slice(0, 100);
}

export function optional(value: string | undefined): string | undefined {
	const trimmed = value?.trim() ?? '';
	return trimmed === '' ? undefined : trimmed;
}

export function positive(value: string | undefined): number | undefined {
	const text = optional(value);
	return text === undefined ? undefined : Number(text);
}

export const backupModes: FlowOption[] = [
	{value: 'auto', label: 'automatic (incremental where a full backup exists)'},
	{value: 'full', label: 'full'},
];

export const diskFormats = ['raw', 'qcow2', 'vmdk', 'vdi', 'vhd', 'vhdx', 'iso'].map(value => ({value, label: value}));
