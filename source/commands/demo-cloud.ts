import path from 'node:path';
import {runStandalone} from '../demo-cloud/index.js';
import {configDirectory} from '../store/cache.js';
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
		// Backstack's own config directory ($BACKSTACK_CONFIG_DIR, XDG, ~/.config/backstack): never a clouds.yaml of the user's.
		directory: path.join(configDirectory(context.env, context.home), 'demo-cloud'),
		signal: context.signal,
		write(text: string) {
			context.stdout.write(text);
		},
	});
	return 0;
}
