import {checkCloud, type CheckLine} from '../core/check.js';
import type {CommandContext} from './context.js';
import {openEnvironment} from './environment.js';

const marks: Record<CheckLine['state'], string> = {
	ok: '✔', warn: '!', fail: '✘', info: '·',
};

export function formatCheckLine(line: CheckLine): string {
	const meaning = line.meaning === '' ? '' : ` — ${line.meaning}`;
	return `${marks[line.state]} ${line.topic}: ${line.text}${meaning}`;
}

export async function runCheck(context: CommandContext): Promise<number> {
	const environment = await openEnvironment(context, {demoWhenUnconfigured: false});
	try {
		if (environment.demoReason !== undefined) {
			context.stdout.write(`(${environment.demoReason})\n`);
		}

		const session = await environment.connector.connect(context.flags.osCloud, {project: context.flags.project, signal: context.signal});
		try {
			const lines = await checkCloud(session);
			for (const line of lines) {
				context.stdout.write(`${formatCheckLine(line)}\n`);
			}

			return lines.some(line => line.state === 'fail') ? 1 : 0;
		} finally {
			session.close();
		}
	} finally {
		await environment.close();
	}
}
