/*
The interactive view: wires the connector, core's reading and analysis, the cache and the terminal into <App/>.
*/
import path from 'node:path';
import {render} from 'ink';
import {writeFileAtomicSync} from '../core/atomic-file.js';
import {readInventory} from '../core/inventory.js';
import {checkCloud} from '../core/check.js';
import {listUnfinished} from '../core/plans/journal.js';
import {createInventoryCache, configDirectory} from '../store/cache.js';
import {loadSettings} from '../store/settings.js';
import {App} from '../ui/app.js';
import {analyseWithDrills} from '../ui/core-analysis.js';
import {appendDrillLog, readDrillLog} from '../store/drill-log.js';
import {osc52Writer} from '../ui/osc52.js';
import {checkPlugins, type Plugin} from '../ui/plugins.js';
import type {AppServices} from '../ui/services.js';
import type {CommandContext} from './context.js';
import {openEnvironment} from './environment.js';
import {loadIac} from './iac.js';
import {pluginRunner} from './plugin-runner.js';

export async function runTui(context: CommandContext): Promise<number> {
	let loaded: ReturnType<typeof loadSettings>;
	let plugins: Plugin[];
	try {
		loaded = loadSettings({env: context.env, home: context.home});
		// Before any cloud is opened or anything drawn: a plugin that cannot be offered is an error naming the file, its
		// index and the field.
		plugins = checkPlugins(loaded.settings.plugins, loaded.path);
	} catch (error) {
		// The user's file, said as such (with what to change), not as a crash; 78 is sysexits' EX_CONFIG.
		context.stderr.write(`backstack: ${error instanceof Error ? error.message : String(error)}\n`);
		return 78;
	}

	const {settings, policy} = loaded;
	// A state file that cannot be read does not stop the view: it runs without the addresses and says why.
	const iac = loadIac(context);
	const environment = await openEnvironment(context, {demoWhenUnconfigured: true});
	const directory = configDirectory(context.env, context.home);
	// The demo cloud's data is made up afresh each run: caching it would only show stale fiction.
	const cache = environment.demoReason === undefined ? createInventoryCache({directory}) : undefined;
	const journal = path.join(directory, 'journal');
	const services: AppServices = {
		journal,
		unfinishedPlans: listUnfinished(journal).filter(plan => !plan.running),
		connector: environment.connector,
		readInventory,
		// The local drill log is read again at each analysis: a drill run meanwhile (TUI or CLI) shows at the next refresh.
		analyse: analyseWithDrills(() => readDrillLog(directory)),
		// A drill started with D is logged where `backstack drill` logs its own (drills.jsonl of the config directory).
		drillLog(record) {
			appendDrillLog(directory, record);
		},
		async checkCloud(session, options) {
			return checkCloud(session, {signal: options?.signal});
		},
		policy: policy(),
		refreshSeconds: settings.refreshSeconds,
		cache,
		now: () => new Date(),
		copy: osc52Writer(context.stdout),
		env: context.env,
		theme: settings.theme,
		// Written into the metadata of the backups made here, as `backstack backup` does.
		version: context.version,
		plugins: {list: plugins, run: pluginRunner({env: context.env})},
		...(iac.kind === 'map' && {
			iac: {
				map: iac.map,
				write(name: string, hcl: string) {
					// The new volume's ID or the plan's: backstack-iac-<name>.tf where backstack was started, said in the short
					// form, which fits the plan screen at 80 columns.
					const file = `backstack-iac-${name}.tf`;
					writeFileAtomicSync(path.resolve(context.cwd, file), hcl);
					return `./${file}`;
				},
			},
		}),
		...(iac.kind === 'error' && {iac: {problem: iac.message}}),
	};
	const instance = render(
		<App
			services={services}
			isReadonly={context.flags.readonly}
			cloud={context.flags.osCloud ?? settings.defaultCloud ?? environment.cloudName}
			project={context.flags.project}
			demoReason={environment.demoReason}
		/>,
		{
			stdout: context.stdout,
			stdin: context.stdin,
			alternateScreen: true,
			// Ctrl+C is a key of the app's own: it stops a running plan safely (and its cleanup) before quitting.
			exitOnCtrlC: false,
		},
	);
	try {
		await instance.waitUntilExit();
	} finally {
		await cache?.close();
		await environment.close();
	}

	return 0;
}
