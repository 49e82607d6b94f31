/*
The peer in the benchmarks: Debian's `openstack` CLI (run with /usr/bin/python3, not the pyenv python first on PATH),
one command after another against the benchmark's demo cloud, each timed and its requests counted.
*/
import {spawnSync} from 'node:child_process';
import process from 'node:process';

export const openstackCli = '/usr/bin/openstack';

export type CliTiming = {command: string; milliseconds: number; requests: number; rows: number; ok: boolean};

export type CountingCloud = {cloudsFile: string; requestCount(): Promise<number>};

export async function timeCli(cloud: CountingCloud, cloudName: string, commands: readonly string[][]): Promise<CliTiming[]> {
	const timings: CliTiming[] = [];
	for (const command of commands) {
		// eslint-disable-next-line no-await-in-loop -- one command at a time, as a user would run them; requests are counted between them.
		const before = await cloud.requestCount();
		const started = performance.now();
		const run = spawnSync('/usr/bin/python3', [openstackCli, '--os-cloud', cloudName, ...command, '-f', 'value'], {
			env: {...process.env, OS_CLIENT_CONFIG_FILE: cloud.cloudsFile}, // eslint-disable-line @typescript-eslint/naming-convention
			encoding: 'utf8',
			maxBuffer: 512 * 1024 * 1024,
		});
		const milliseconds = performance.now() - started;
		// eslint-disable-next-line no-await-in-loop
		const after = await cloud.requestCount();
		timings.push({
			command: `openstack ${command.join(' ')}`,
			milliseconds,
			requests: after - before,
			rows: run.stdout.split('\n').filter(line => line !== '').length,
			ok: run.status === 0,
		});
	}

	return timings;
}
