import {runStandalone} from '../demo-cloud/index.js';
import type {CommandContext} from './context.js';

/**
`backstack demo-cloud`: serves until interrupted.
*/
export async function runDemoCloudCommand(context: CommandContext): Promise<number> {
	await runStandalone({
		port: context.flags.port,
		scale: context.flags.scale,
		latencyMs: context.flags.latency,
		env: context.env,
		home: context.home,
		signal: context.signal,
		write(text: string) {
			context.stdout.write(text);
		},
	});
	return 0;
}
