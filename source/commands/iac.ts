/*
The Terraform/OpenTofu state files of a command (issue 14): `--tfstate FILE` (repeatable), else the `tfstate` setting.
Read once, before any cloud is opened, so that a bad file stops the command before anything is done.
*/
import path from 'node:path';
import {IacStateError, readIacStates, type IacMap} from '../core/iac/state.js';
import {loadSettings} from '../store/settings.js';
import type {CommandContext} from './context.js';

export type IacLoad =
	| {kind: 'none'}
	| {kind: 'map'; map: IacMap; files: string[]}
	| {kind: 'error'; message: string};

/**
The state files named by `--tfstate` (which replaces the setting) or the `tfstate` setting, resolved against the
current directory.
*/
export function iacFiles(context: Pick<CommandContext, 'flags' | 'env' | 'home' | 'cwd'>): string[] {
	const {tfstate} = context.flags;
	const given = Array.isArray(tfstate) ? tfstate.filter((file): file is string => typeof file === 'string' && file !== '') : [];
	const files = given.length > 0 ? given : loadSettings({env: context.env, home: context.home}).settings.tfstate;
	return files.map(file => path.resolve(context.cwd, file));
}

/**
Reads the state files; a file that is missing, not JSON or not a state comes back as its message (never thrown).
*/
export function loadIac(context: Pick<CommandContext, 'flags' | 'env' | 'home' | 'cwd'>): IacLoad {
	let files: string[];
	try {
		files = iacFiles(context);
	} catch (error) {
		// The settings file itself is broken: its own message names it.
		return {kind: 'error', message: error instanceof Error ? error.message : String(error)};
	}

	if (files.length === 0) {
		return {kind: 'none'};
	}

	try {
		return {kind: 'map', map: readIacStates(files), files};
	} catch (error) {
		if (error instanceof IacStateError) {
			return {kind: 'error', message: error.message};
		}

		throw error;
	}
}
