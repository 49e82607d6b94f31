/*
`backstack verify bundle DIR`: checks a DR bundle offline (core/bundle/verify.ts). No cloud, no configuration: it runs
where the bundle is kept. Exit 0 sound, 1 a defect (one line each), 64 a usage error.
*/
import path from 'node:path';
import {findCryptsetup} from '../core/bundle/luks.js';
import {verifyBundle} from '../core/bundle/verify.js';
import type {CommandContext} from './context.js';

export const verifyUsage = 'Usage: backstack verify bundle <directory>   (no cloud needed; exit 0 sound, 1 a defect)';

export async function runVerifyCommand(context: CommandContext): Promise<number> {
	const [, kind, directory, ...rest] = context.input;
	if (kind !== 'bundle' || directory === undefined || directory === '' || rest.length > 0) {
		const what = kind === undefined || kind === 'bundle' ? (rest.length > 0 ? `one directory, not ${rest.length + 1}` : 'the bundle directory') : `"${kind}" (only a bundle can be verified)`;
		context.stderr.write(`backstack: verify needs ${what}.\n${verifyUsage}\n`);
		return 64;
	}

	const resolved = path.resolve(context.cwd, directory);
	const cryptsetup = await findCryptsetup(context.env['PATH']);
	const report = await verifyBundle(resolved, {cryptsetup, signal: context.signal});
	for (const note of report.notes) {
		context.stdout.write(`${note}\n`);
	}

	for (const defect of report.defects) {
		context.stdout.write(`DEFECT: ${defect}\n`);
	}

	context.stdout.write(report.defects.length === 0
		? `Sound: ${resolved}\n`
		: `${resolved}: ${report.defects.length} defect${report.defects.length === 1 ? '' : 's'}; the bundle is NOT sound.\n`);
	return report.defects.length === 0 ? 0 : 1;
}
