/*
Which clouds the user has, and a session on one of them: the one door through which the UI reaches OpenStack.
*/
import {
	listConfiguredClouds,
	loadCloudConfig,
	openSession,
	type DebugSink,
} from '../openstack/index.js';
import type {CloudSession} from '../openstack/api.js';

export type CloudEntry = {
	name: string;
	/**
	The file that defines it, or `environment` for the `envvars` cloud.
	*/
	source: string;
};

export type ConnectorOptions = {
	env: Record<string, string | undefined>;
	cwd: string;
	home: string;
	debug?: DebugSink;
	/**
	What one request may take in all, retries included (`--timeout`, the `requestTimeoutSeconds` setting), ms.
	*/
	totalTimeoutMs?: number;
	/**
	True when the clouds are those of the embedded demo cloud.
	*/
	demo?: boolean;
};

export type Connector = {
	demo: boolean;
	listClouds(): Promise<CloudEntry[]>;
	/**
	Without a name: the cloud the `openstack` CLI would pick (OS_CLOUD, the envvars cloud, or the only one).
	*/
	connect(cloud?: string, options?: {project?: string; signal?: AbortSignal}): Promise<CloudSession>;
};

export function createConnector(options: ConnectorOptions): Connector {
	const where = {env: options.env, cwd: options.cwd, home: options.home};
	return {
		demo: options.demo ?? false,
		async listClouds() {
			return listConfiguredClouds(where);
		},
		async connect(cloud, connectOptions) {
			const config = await loadCloudConfig({...where, cloud});
			const session = await openSession(config, {debug: options.debug, totalTimeoutMs: options.totalTimeoutMs});
			const project = connectOptions?.project;
			if (project === undefined || project === session.identity.token().projectId || project === session.identity.token().projectName) {
				return session;
			}

			const projects = await session.identity.listProjects({signal: connectOptions?.signal});
			const match = projects.find(candidate => candidate.id === project || candidate.name === project);
			if (!match) {
				const known = projects.map(candidate => candidate.name).join(', ');
				session.close();
				throw new Error(`Project "${project}" is not one of yours on cloud "${session.cloudName}". Your projects: ${known === '' ? 'none' : known}.`);
			}

			const switched = await session.switchProject(match.id, {signal: connectOptions?.signal});
			session.close();
			return switched;
		},
	};
}
